/**
 * Deciding a pipeline's claims on a profile's results: each claim's kind
 * (lib/engine/kinds/claims/) tests it over seeds and gives PASS, FAIL or
 * INCONCLUSIVE; claims of other profiles are NOT CHECKED, and claims on a
 * profile whose runs are not all complete are INCOMPLETE (with what the
 * complete runs say). Written as claims.csv and printed as a table that
 * names each claim's source.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "../pipeline/load.ts";
 * import { planRuns } from "../pipeline/plan.ts";
 * import { defaultRegistryUrl, loadRegistry } from "../pipeline/registry.ts";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "x" } };
 * const plan = await planRuns(await loadPipeline("pipelines/value-rnn-td.yaml"), { profile: "smoke", registry, environment });
 * import { checkClaims, claimsTable } from "./claims.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const results = checkClaims(plan, [], []);
 * results.map((r) => r.status); // each NOT CHECKED in the smoke profile, or INCONCLUSIVE without runs
 * assertEquals(claimsTable(results).startsWith("claim"), true);
 * ```
 * @module
 */
import { stringify } from "csv-stringify/sync";
import { CLAIM_KINDS, type ClaimSpec } from "../kinds/claims/mod.ts";
import type { Decision, RunTables, SummaryRow } from "../kinds/types.ts";
import type { Plan } from "../pipeline/plan.ts";
import { formatF64 } from "../../util/format.ts";
import { reportContext } from "./context.ts";

/** Outcome of one claim. */
export interface ClaimResult {
  id: string;
  text: string;
  source: "paper" | "project";
  /** Where the paper states it (source paper). */
  section?: string;
  /** The sentence it tests (source paper). */
  says?: string;
  verbatim: boolean;
  /** Why the project adds it (source project). */
  why?: string;
  /** Where its margin or threshold comes from. */
  argument?: string;
  status: "PASS" | "FAIL" | "INCONCLUSIVE" | "NOT CHECKED" | "INCOMPLETE";
  detail: string;
  /** The statistical decision (null when not checked or nothing matched). */
  decision: Decision | null;
}

function provenance(claim: ClaimSpec) {
  return {
    id: claim.id,
    text: claim.text.trim(),
    source: claim.source,
    section: claim.section,
    says: claim.says?.trim(),
    verbatim: claim.verbatim,
    why: claim.why?.trim(),
    argument: claim.argument?.trim(),
  };
}

/** Decides every claim of the plan's pipeline. `complete` is false when some runs of the profile are missing. */
export function checkClaims(plan: Plan, summary: SummaryRow[], runs: RunTables[], complete = true): ClaimResult[] {
  const ctx = reportContext(plan, summary, runs);
  return plan.pipeline.data.claims.map((claim): ClaimResult => {
    const base = provenance(claim);
    if (claim.profiles && !claim.profiles.includes(plan.profile)) {
      return {
        ...base,
        status: "NOT CHECKED",
        detail: `checked in profiles ${claim.profiles.join(", ")}, not ${plan.profile}`,
        decision: null,
      };
    }
    let decision: Decision | null;
    try {
      decision = CLAIM_KINDS[claim.kind].evaluate(claim, ctx);
    } catch (e) {
      return {
        ...base,
        status: "INCONCLUSIVE",
        detail: `could not be decided: ${(e as Error).message}`,
        decision: null,
      };
    }
    if (!decision) {
      return {
        ...base,
        status: complete ? "INCONCLUSIVE" : "INCOMPLETE",
        detail: "nothing in these results matches the claim's cells and point",
        decision: null,
      };
    }
    if (!complete) {
      return {
        ...base,
        status: "INCOMPLETE",
        detail: `some runs did not complete; on the others: ${decision.verdict}, ${decision.detail}`,
        decision,
      };
    }
    return { ...base, status: decision.verdict, detail: decision.detail, decision };
  });
}

/** The columns of claims.csv, in order. */
export const CLAIMS_COLUMNS = [
  "claim",
  "status",
  "source",
  "section",
  "text",
  "says",
  "argument",
  "comparison",
  "method",
  "effect",
  "ci_low",
  "ci_high",
  "ci_level",
  "p_holm",
  "n",
  "comparisons",
  "detail",
];

/** CSV of claim results: one row per claim, the deciding comparison's statistics in their own columns. */
export function claimsCsv(results: ClaimResult[], level = 0.05): string {
  const num = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? "" : formatF64(v));
  const rows = results.map((r) => {
    const d = r.decision?.deciding ?? null;
    const failing = r.status === "FAIL";
    const ciLevel = d?.test.method === "binomial" ? 1 - level : 1 - 2 * level;
    return [
      r.id,
      r.status,
      r.source,
      r.section ?? "",
      r.text,
      r.says ? (r.verbatim ? r.says : `(paraphrase) ${r.says}`) : r.why ?? "",
      r.argument ?? "",
      d?.label ?? "",
      d?.test.method ?? "",
      num(d?.test.effect),
      num(d?.test.ci?.[0]),
      num(d?.test.ci?.[1]),
      d?.test.ci ? String(Math.round(ciLevel * 1000) / 1000) : "",
      num(d ? (failing ? d.pOppositeAdjusted : d.pAdjusted) : null),
      d ? String(d.test.n) : "",
      r.decision ? String(r.decision.comparisons.length) : "",
      r.detail,
    ];
  });
  return stringify([CLAIMS_COLUMNS, ...rows], { record_delimiter: "\n" });
}

/** A plain-text table for the terminal: verdict and source per claim, then its text and what decided it. */
export function claimsTable(results: ClaimResult[]): string {
  if (results.length === 0) return "No claims declared.";
  const w = Math.max(5, ...results.map((r) => r.id.length));
  const lines = [
    `${"claim".padEnd(w)}  ${"verdict".padEnd(12)}  source`,
    `${"-".repeat(w)}  ${"-".repeat(12)}  ${"-".repeat(40)}`,
  ];
  for (const r of results) {
    const source = r.source === "paper" ? `paper (${r.section})` : "project";
    lines.push(`${r.id.padEnd(w)}  ${r.status.padEnd(12)}  ${source}`);
    lines.push(`${" ".repeat(w)}  ${" ".repeat(12)}  ${r.text}`);
    lines.push(`${" ".repeat(w)}  ${" ".repeat(12)}  ${r.detail}`);
  }
  return lines.join("\n");
}

/** Counts of verdicts: "2 PASS, 1 FAIL, 1 INCONCLUSIVE". */
export function verdictCounts(results: { status: string }[]): string {
  const order = ["PASS", "FAIL", "INCONCLUSIVE", "INCOMPLETE", "NOT CHECKED"];
  return order.map((s) => [s, results.filter((r) => r.status === s).length] as const).filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`).join(", ") || "no claims";
}
