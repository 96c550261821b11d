/**
 * Plans and fake runs over the fixture experiment, for summary and claims tests.
 * @module
 */
import { parsePipeline } from "../../lib/engine/pipeline/load.ts";
import { type Plan, planRuns } from "../../lib/engine/pipeline/plan.ts";
import { defaultRegistryUrl, loadRegistry, toModuleUrl } from "../../lib/engine/pipeline/registry.ts";
import type { LoadedRun } from "../../lib/engine/results/summary.ts";
import { VALID } from "../fixtures/pipelines/valid.ts";

const registry = await loadRegistry([
  defaultRegistryUrl(),
  toModuleUrl(new URL("../fixtures/experiments/registry.ts", import.meta.url).href),
]);

/** A plan over the fixture experiment with 2 cells x 2 seeds. */
export async function fixturePlan(text = VALID): Promise<Plan> {
  return await planRuns(parsePipeline(text, "p.yaml"), {
    registry,
    environment: { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "v" } },
  });
}

/** Fake loaded runs: loss per epoch given by `loss(cell, seed, epoch)`; `epochs(seed)` rows each. */
export function fakeRuns(
  plan: Plan,
  loss: (cell: string, seed: number, epoch: number) => number,
  epochs = (_: number) => 2,
): LoadedRun[] {
  return plan.runs.map((run) => ({
    run,
    cell: run.cell,
    labels: run.labels,
    seed: run.seed,
    record: {} as LoadedRun["record"],
    tables: {
      metrics: {
        header: ["epoch", "loss", "weight_norm"],
        rows: Array.from({ length: epochs(run.seed) }, (_, i) => [i + 1, loss(run.cell, run.seed, i + 1), 1]),
      },
      weights: { header: ["unit", "weight"], rows: [[0, run.seed], [1, -run.seed]] },
    },
  }));
}

/** Loaded runs from in-process runs of each planned run (for claims tested on real training). */
export async function inProcessRuns(plan: Plan): Promise<LoadedRun[]> {
  const { runInProcess } = await import("../../lib/engine/run/in_memory.ts");
  const out: LoadedRun[] = [];
  for (const run of plan.runs) {
    const r = await runInProcess(plan.experiment, run.config, {}, { seed: run.seed });
    const tables: LoadedRun["tables"] = {};
    for (const spec of plan.tables) {
      const names = spec.columns.map((c) => c.name);
      tables[spec.name] = {
        header: names,
        rows: (r.rows[spec.name] ?? []).map((row) => names.map((n) => row[n] as number | string | null)),
      };
    }
    out.push({ run, record: {} as LoadedRun["record"], tables, cell: run.cell, labels: run.labels, seed: run.seed });
  }
  return out;
}
