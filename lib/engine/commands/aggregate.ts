/**
 * Aggregating a profile's finished runs: hashes.csv, summaries, claims and
 * figures, and what `reproduce` prints about them (final values, verdicts,
 * the runs still unfinished).
 *
 * @example
 * ```ts
 * import { aggregate } from "./aggregate.ts";
 * import { ok as assert } from "node:assert";
 * assert(typeof aggregate === "function"); // exercised in tests/lib/engine/commands/reproduce_test.ts
 * ```
 * @module
 */
import { join, relative } from "node:path";
import { writeFileAtomic } from "../../util/atomic.ts";
import { checkClaims, type ClaimResult, claimsCsv, claimsTable, verdictCounts } from "../report/claims.ts";
import { lockHolder } from "../run/lock.ts";
import { type Plan, type PlannedRun } from "../pipeline/plan.ts";
import { renderPlots } from "../report/plot.ts";
import { configHash, HASHES_COLUMNS, profileDir, runDir, type RunState, versionsText } from "../results/layout.ts";
import { type RankedSetting, rankSettings, selectionCsv } from "../results/selection.ts";
import { fmt } from "../kinds/values.ts";
import {
  type LoadedRun,
  loadRunTables,
  readSummaryCsv,
  reportTable,
  summarize,
  summaryCsv,
  type SummaryRow,
} from "../results/summary.ts";
import { count } from "../../util/format.ts";
import { stringify } from "csv-stringify/sync";
import { reportedMetrics } from "./load_plan.ts";

/** Writes hashes.csv, summary CSVs, claims.csv and figures for the completed runs of a plan. */
export async function aggregate(
  plan: Plan,
  resultsDir: string,
  options: { noPlots?: boolean; complete: boolean },
): Promise<
  {
    claims: ClaimResult[];
    files: string[];
    summary: SummaryRow[];
    skipped: { id: string; reason: string }[];
    selection: RankedSetting[];
  }
> {
  const dir = profileDir(resultsDir, plan.pipeline.data.name, plan.profile);
  const runs = await loadRunTables(plan, resultsDir);
  const files: string[] = [];
  const hashRows: string[][] = [];
  for (const r of runs) {
    hashRows.push([
      r.run.pipeline,
      plan.profile,
      r.run.key,
      r.run.cell,
      ...plan.axes.map((a) => r.run.labels[a]),
      String(r.run.seed),
      r.run.parts.backend,
      versionsText(r.run.parts.versions),
      await configHash(r.run.parts),
      r.record.result_hash,
      r.record.outputs_hash,
    ]);
  }
  const hashes = stringify([
    [...HASHES_COLUMNS.slice(0, 4), ...plan.axes, ...HASHES_COLUMNS.slice(4)],
    ...hashRows,
  ], { record_delimiter: "\n" });
  await writeFileAtomic(join(dir, "hashes.csv"), hashes);
  files.push(join(dir, "hashes.csv"));
  const { summary, claims, texts } = summariesAndClaims(plan, runs, options.complete);
  for (const [name, text] of texts) {
    if (name === "claims.csv") continue;
    await writeFileAtomic(join(dir, name), text);
    files.push(join(dir, name));
  }
  const selection = plan.selection ? rankSettings(runs, plan.tables, plan.selection) : [];
  if (plan.selection) {
    await writeFileAtomic(join(dir, "selection.csv"), selectionCsv(plan, selection));
    files.push(join(dir, "selection.csv"));
  }
  await writeFileAtomic(join(dir, "claims.csv"), texts.get("claims.csv")!);
  files.push(join(dir, "claims.csv"));
  let skipped: { id: string; reason: string }[] = [];
  if (!options.noPlots && runs.length > 0) {
    // The plot stage reads summary.csv back, as `deno task plot` does.
    const fromDisk = await readSummaryCsv(plan, dir);
    const rendered = await renderPlots(plan, fromDisk, join(dir, "figures"), runs);
    files.push(...rendered.files);
    skipped = rendered.skipped;
  }
  return { claims, files, summary, skipped, selection };
}

/**
 * A profile's summary CSVs (`summary.csv`, `summary.<table>.csv`) and claims.csv from its loaded runs, by file
 * name, with the summary rows and claim results they print: what aggregate() writes, and what a committed
 * reference is checked against (reference.ts).
 */
export function summariesAndClaims(
  plan: Plan,
  runs: LoadedRun[],
  complete: boolean,
): { summary: SummaryRow[]; claims: ClaimResult[]; texts: Map<string, string> } {
  const ev = plan.pipeline.data.evaluation;
  const summary = summarize(plan, runs, ev.confidence, ev.metrics);
  const texts = new Map<string, string>();
  for (const t of plan.tables.filter((t) => t.summarize !== false)) {
    texts.set(
      t.name === "metrics" ? "summary.csv" : `summary.${t.name}.csv`,
      summaryCsv(t, plan.axes, summary, ev.confidence),
    );
  }
  const claims = checkClaims(plan, summary, runs, complete);
  texts.set("claims.csv", claimsCsv(claims, ev.level));
  return { summary, claims, texts };
}

/** With --aggregate-only: how many runs finished, and each other run with its state and how to finish it. */
export async function printUnfinished(
  runs: PlannedRun[],
  states: RunState[],
  elsewhere: Map<string, string>,
  resultsDir: string,
  out: (l: string) => void,
): Promise<void> {
  const done = states.filter((s) => s === "complete").length;
  out(`Aggregated ${done} of ${count(runs.length, "run")}; nothing was trained (--aggregate-only).`);
  if (done === runs.length) return;
  const text: Record<RunState, string> = {
    complete: "complete",
    new: "not started",
    resumable: "stopped; resumes from its checkpoint",
    failed: "failed",
  };
  const w = Math.max(4, ...runs.map((r) => r.cell.length));
  out(`Not finished:`);
  out(`  ${"run key".padEnd(14)}${"cell".padEnd(w + 2)}${"seed".padEnd(6)}state`);
  for (const [i, r] of runs.entries()) {
    if (states[i] === "complete") continue;
    const job = elsewhere.get(r.key);
    const holder = job ? null : await lockHolder(join(runDir(resultsDir, r.key), ".lock"));
    const state = job
      ? `running under Slurm job ${job}`
      : holder
      ? `running (process ${holder.pid} on ${holder.hostname}${holder.slurm_job ? `, Slurm ${holder.slurm_job}` : ""})`
      : text[states[i]];
    out(`  ${r.key.slice(0, 12).padEnd(14)}${r.cell.padEnd(w + 2)}${String(r.seed).padEnd(6)}${state}`);
  }
  out("Claims read INCOMPLETE until these finish (with what the finished runs say); run reproduce to finish them.");
}

/** The results for people: final values per cell, the claims' verdicts, skipped figures, files written. */
export function printResults(
  plan: Plan,
  result: Awaited<ReturnType<typeof aggregate>>,
  out: (l: string) => void,
): void {
  const report = reportedMetrics(plan);
  if (report.length && result.summary.length) {
    out("");
    out(reportTable(plan, result.summary, report));
  }
  if (plan.selection && result.selection.length) {
    const s = plan.selection;
    const groups = [...new Set(result.selection.map((r) => r.group))];
    out("");
    out(
      `Selection: the top ${s.top} settings of '${s.axis}' by final ${s.table}.${s.metric} (${s.direction}), the runs claims and figures read (selection.csv):`,
    );
    for (const g of groups) {
      const kept = result.selection.filter((r) => r.group === g && r.selected);
      const all = result.selection.filter((r) => r.group === g).length;
      out(
        `  ${g === "default" ? "" : `${g}: `}${kept.map((r) => `${r.setting} ${fmt(r.value)}`).join(", ")} (of ${all})`,
      );
    }
  }
  out("");
  out(`Claims (${plan.pipeline.data.name}, profile ${plan.profile}): ${verdictCounts(result.claims)}`);
  out(claimsTable(result.claims));
  for (const s of result.skipped) out(`Skipped figure ${s.id}: ${s.reason}`);
  out("");
  out(`Wrote ${result.files.map((f) => relative(Deno.cwd(), f)).join(", ")}`);
}
