/**
 * The view of a profile's results that plot and claim kinds work on, built
 * from a plan, its summary and its loaded runs.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "../pipeline/load.ts";
 * import { planRuns } from "../pipeline/plan.ts";
 * import { defaultRegistryUrl, loadRegistry } from "../pipeline/registry.ts";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "x" } };
 * const plan = await planRuns(await loadPipeline("pipelines/value-rnn-td.yaml"), { profile: "smoke", registry, environment });
 * import { reportContext } from "./context.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const ctx = reportContext(plan, [], []);
 * assertEquals([ctx.pipeline, ctx.profile, ctx.level], ["value-rnn-td", "smoke", 0.05]);
 * ```
 * @module
 */
import type { Plan } from "../pipeline/plan.ts";
import type { ReportContext, RunTables, SummaryRow } from "../kinds/types.ts";
import { selectionView } from "../results/selection.ts";
import { summarize } from "../results/summary.ts";

/**
 * The report context of a plan's profile. With a random search that selects
 * (plan.selection), it is the selection's view: only the top settings' runs,
 * as replicates of one cell, and a summary of those.
 */
export function reportContext(plan: Plan, summary: SummaryRow[], runs: RunTables[]): ReportContext {
  if (plan.selection) {
    const view = selectionView(plan, runs);
    const ev = plan.pipeline.data.evaluation;
    return reportContext(view.plan, summarize(view.plan, view.runs, ev.confidence, ev.metrics), view.runs);
  }
  const cells = [...new Map(plan.runs.map((r) => [r.cell, r.labels])).entries()].map(([id, labels]) => ({
    id,
    labels,
  }));
  const ev = plan.pipeline.data.evaluation;
  return {
    pipeline: plan.pipeline.data.name,
    profile: plan.profile,
    axes: plan.axes,
    cells,
    tables: plan.tables,
    confidence: ev.confidence,
    level: ev.level,
    summary,
    runs,
  };
}
