/**
 * The table of every paper-sourced claim (docs/claims.md): for each, the
 * cheapest committed profile that decides it (PASS or FAIL), its verdict,
 * effect and cost in core-hours (the wall time its committed runs record);
 * for a claim no committed profile decides, what the committed profiles say,
 * the profile that would decide it with its estimated cost (the profile's
 * `cost`) and the `--executor slurm` command that runs it.
 *
 * @example
 * ```ts
 * import { paperClaimRows } from "./claims_table.ts";
 * import { ok as assert } from "node:assert";
 * const rows = await paperClaimRows("hnca-bandit");
 * assert(rows.length > 0 && rows.every((r) => r.pipeline === "hnca-bandit"));
 * ```
 * @module
 */
import { join } from "node:path";
import { loadPipeline } from "../pipeline/load.ts";
import { type PipelineData, referenceProfiles } from "../pipeline/schema.ts";
import { repoRoot } from "../../util/repo.ts";
import {
  type ClaimRecord,
  decides,
  formatCoreHours,
  referenceClaims,
  type ReferenceCost,
  referenceCost,
} from "./references.ts";

/** What one committed profile said about a claim. */
export interface ClaimVerdict {
  profile: string;
  record: ClaimRecord;
  cost: ReferenceCost | null;
}

/** One paper-sourced claim and what the committed references say about it. */
export interface PaperClaimRow {
  pipeline: string;
  claim: string;
  section: string;
  /** Every committed profile (smoke aside) that checks the claim. */
  verdicts: ClaimVerdict[];
  /** The cheapest of them whose verdict is PASS or FAIL, if any. */
  decided: ClaimVerdict | null;
  /** Where none decides: the profile that would, with its declared cost. */
  wouldDecide: { profile: string; coreHours: number | null; basis: string | null } | null;
}

/** The profiles that check a claim, smoke aside. */
function checkingProfiles(d: PipelineData, claimProfiles: string[] | undefined): string[] {
  return (claimProfiles ?? Object.keys(d.profiles)).filter((p) => p !== "smoke");
}

/** Of the uncommitted profiles that check a claim, the one with the lowest declared cost (else `paper`). */
function wouldDecide(d: PipelineData, checking: string[], committed: Set<string>): PaperClaimRow["wouldDecide"] {
  const open = checking.filter((p) => !committed.has(p));
  const costed = open.filter((p) => d.profiles[p].cost).sort((a, b) =>
    d.profiles[a].cost!.core_hours - d.profiles[b].cost!.core_hours
  );
  const profile = costed[0] ?? (open.includes("paper") ? "paper" : open[0]);
  if (!profile) return null;
  const cost = d.profiles[profile].cost;
  return { profile, coreHours: cost?.core_hours ?? null, basis: cost?.basis ?? null };
}

/** The rows of one pipeline's paper-sourced claims, read from its committed references. */
export async function paperClaimRows(name: string): Promise<PaperClaimRow[]> {
  const d = (await loadPipeline(join(repoRoot(), "pipelines", `${name}.yaml`))).data;
  const committed = referenceProfiles(d).filter((p) => p !== "smoke");
  const byProfile = new Map<string, { claims: ClaimRecord[]; cost: ReferenceCost | null }>();
  for (const p of committed) {
    const claims = await referenceClaims(name, p);
    if (claims) byProfile.set(p, { claims, cost: await referenceCost(name, p) });
  }
  const rows: PaperClaimRow[] = [];
  for (const claim of d.claims.filter((c) => c.source === "paper")) {
    const checking = checkingProfiles(d, claim.profiles);
    const verdicts: ClaimVerdict[] = [];
    for (const p of checking) {
      const record = byProfile.get(p)?.claims.find((r) => r.claim === claim.id && r.status !== "NOT CHECKED");
      if (record) verdicts.push({ profile: p, record, cost: byProfile.get(p)!.cost });
    }
    const deciding = verdicts.filter((v) => decides(v.record.status))
      .sort((a, b) => (a.cost?.coreHours ?? Infinity) - (b.cost?.coreHours ?? Infinity));
    rows.push({
      pipeline: name,
      claim: claim.id,
      section: claim.section ?? "",
      verdicts,
      decided: deciding[0] ?? null,
      wouldDecide: deciding.length ? null : wouldDecide(d, checking, new Set(byProfile.keys())),
    });
  }
  return rows;
}

/** "1.24 [90% CI 1.14, 1.33]" from a claims.csv record, or its comparison where it has no effect. */
export function effectText(r: ClaimRecord): string {
  const n = (x: string) => Number(Number(x).toPrecision(3));
  if (r.effect === "" || r.effect === undefined) return r.comparison || "";
  const ci = r.ci_low !== "" && r.ci_high !== ""
    ? ` [${Math.round(Number(r.ci_level) * 100)}% CI ${n(r.ci_low)}, ${n(r.ci_high)}]`
    : "";
  return `${n(r.effect)}${ci}${r.comparison ? `: ${r.comparison}` : ""}`;
}

function costText(c: ReferenceCost | null): string {
  return c ? `${formatCoreHours(c.coreHours)} (${c.runs} runs)` : "";
}

function othersText(r: PaperClaimRow): string {
  return r.verdicts.filter((v) => v !== r.decided).map((v) => `${v.record.status} at \`${v.profile}\``).join(", ");
}

function decidedLine(r: PaperClaimRow): string {
  const v = r.decided!;
  return `| \`${r.pipeline}\` | \`${r.claim}\` | **${v.record.status}** | \`${v.profile}\` | ${
    effectText(v.record)
  } | ${costText(v.cost)} | ${othersText(r)} |`;
}

function undecidedLine(r: PaperClaimRow): string {
  const said = r.verdicts.map((v) => `${v.record.status} at \`${v.profile}\``).join(", ") || "no committed run";
  const w = r.wouldDecide;
  const what = w
    ? `\`${w.profile}\`, ${w.coreHours === null ? "cost not estimated" : `about ${formatCoreHours(w.coreHours)}`}: ` +
      `\`deno task reproduce ${r.pipeline} --profile ${w.profile} --executor slurm\``
    : r.verdicts.length
    ? "none: every profile that checks it has a committed reference above"
    : "no profile checks it";
  return `| \`${r.pipeline}\` | \`${r.claim}\` | ${said} | ${what} |`;
}

/** docs/claims.md: every paper-sourced claim of the given pipelines. */
export async function claimsTableDoc(names: string[]): Promise<string> {
  const rows = (await Promise.all(names.map(paperClaimRows))).flat();
  const decided = rows.filter((r) => r.decided), open = rows.filter((r) => !r.decided);
  const lines = [
    "# Every claim taken from a paper, and what decides it",
    "",
    "<!-- generated by deno task docs from pipelines/*.yaml and results/reference/: do not edit -->",
    "",
    `${rows.length} claims name a paper as their source; committed references decide ${decided.length} of them ` +
    `(PASS or FAIL) and leave ${open.length} undecided. Cost is core-hours: the wall time the committed runs ` +
    "record, one core per run. A claim's own text, threshold and argument are on its pipeline's page " +
    "([pipelines/](pipelines/)).",
    "",
    "## Decided by a committed reference",
    "",
    "The cheapest committed profile whose verdict is PASS or FAIL; the effect is the weakest comparison's " +
    "difference with its interval. A claim can PASS at one budget and FAIL at another: the last column gives " +
    "what the other committed profiles say.",
    "",
    "| pipeline | claim | verdict | profile | effect | core-hours | other committed profiles |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...decided.map(decidedLine),
    "",
    "## Not decided by any committed reference",
    "",
    "What the committed profiles say, and the profile that would decide it with its estimated cost (the " +
    "profile's `cost:` in its pipeline, with the basis of the estimate there) and the command that runs it " +
    "as a Slurm job array ([cluster.md](cluster.md)).",
    "",
    "| pipeline | claim | committed verdicts | would be decided by |",
    "| --- | --- | --- | --- |",
    ...open.map(undecidedLine),
    "",
  ];
  return lines.join("\n");
}
