/**
 * Loading a pipeline and planning its runs for a command (reproduce, plot,
 * verify, runs, run): the backend, the registry, the selected runs; why a
 * run is not cached; the metrics printed per cell.
 *
 * @example
 * ```ts
 * import { loadAndPlan } from "./load_plan.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { plan } = await loadAndPlan({ pipeline: "value-rnn-td", profile: "smoke", backend: "wasm" });
 * assertEquals(plan.runs.length, 2);
 * ```
 * @module
 */
import { join } from "node:path";
import { exists, readJsonIfExists } from "../../util/atomic.ts";
import { chooseBackend, runtimeVersions } from "../run/backend.ts";
import { PipelineError, UserError } from "../../util/errors.ts";
import { type LoadedPipeline, loadPipeline, pipelineNames, pipelinePath } from "../pipeline/load.ts";
import { type Plan, type PlannedRun, planValidated, selectRuns } from "../pipeline/plan.ts";
import { defaultRegistryUrl, loadRegistry, type Registry, toModuleUrl } from "../pipeline/registry.ts";
import { type RunRecord, RUNS_DIR } from "../results/layout.ts";
import { checkOverrides } from "../run/datasets.ts";
import { canonicalJson } from "../../util/canonical_json.ts";
import { didYouMean } from "../../util/suggest.ts";
import type { ReproduceOptions } from "./options.ts";

/** True for errors that mean "this folder cannot be written" (permissions, read-only file system). */
export function isWriteDenied(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotADirectory ||
    ["EROFS", "EACCES", "EPERM", "ENOTDIR"].includes(code ?? "");
}

/** Loads and plans; shared by reproduce, plot and run. */
export async function loadAndPlan(
  options: ReproduceOptions,
): Promise<
  {
    pipeline: LoadedPipeline;
    plan: Plan;
    selected: PlannedRun[];
    backend: string;
    registry: Registry;
    registryUrls: string[];
  }
> {
  const file = pipelinePath(options.pipeline);
  if (!(await exists(file))) {
    throw new UserError(
      `Pipeline '${options.pipeline}' not found (${file}).${
        didYouMean(options.pipeline, await pipelineNames())
      } Available: ${(await pipelineNames()).join(", ")}`,
    );
  }
  const pipeline = await loadPipeline(file);
  if (pipeline.data.name === "reference" || pipeline.data.name === RUNS_DIR) {
    throw new PipelineError([
      pipeline.issue(["name"], `'${pipeline.data.name}' is reserved (results/reference and results/${RUNS_DIR})`),
    ]);
  }
  const registryUrls = [defaultRegistryUrl(), ...(options.registry ?? []).map(toModuleUrl)];
  const registry = await loadRegistry(registryUrls);
  const backend = await chooseBackend(options.backend ?? "auto");
  const plan = await planValidated(pipeline, {
    profile: options.profile,
    registry,
    environment: { backend, versions: runtimeVersions() },
    set: options.set,
  });
  checkOverrides(plan, options.datasetDirs);
  const selected = options.only && Object.keys(options.only).length > 0 ? selectRuns(plan, options.only) : plan.runs;
  return { pipeline, plan, selected, backend, registry, registryUrls };
}

export async function explainMiss(plan: Plan, resultsDir: string, key: string): Promise<string> {
  const run = plan.runs.find((r) => r.key === key)!;
  const base = join(resultsDir, RUNS_DIR);
  if (!(await exists(base))) return "no earlier runs in this results folder";
  let best: { record: RunRecord; diffs: string[] } | null = null;
  for await (const e of Deno.readDir(base)) {
    if (!e.isDirectory || e.name === key) continue;
    const record = await readJsonIfExists<RunRecord>(join(base, e.name, "run.json")).catch(() => null);
    if (
      !record || record.status !== "complete" || record.seed !== run.seed ||
      record.key_parts?.experiment?.id !== run.parts.experiment.id
    ) continue;
    const diffs: string[] = [];
    const walk = (a: unknown, b: unknown, path: string) => {
      if (typeof a === "object" && a && typeof b === "object" && b && !Array.isArray(a)) {
        for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
          walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
        }
      } else if (canonicalJson(a ?? null) !== canonicalJson(b ?? null)) {
        diffs.push(`${path}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
      }
    };
    walk(record.key_parts, run.parts, "");
    if (!best || diffs.length < best.diffs.length) best = { record, diffs };
  }
  if (!best) return `no completed run of experiment ${run.parts.experiment.id} with seed ${run.seed}`;
  return `closest completed run ${best.record.key.slice(0, 12)} (same experiment and seed) differs in: ${
    best.diffs.join("; ")
  }`;
}

/**
 * The metrics whose final values are printed per cell: the pipeline's
 * `evaluation.report`, else the metrics its figures draw from the metrics
 * table, else every metric of that table.
 */
export function reportedMetrics(plan: Plan): string[] {
  const ev = plan.pipeline.data.evaluation.report;
  if (ev.length) return ev;
  const metrics = plan.tables.find((t) => t.name === "metrics")!;
  const names = metrics.columns.filter((c) => c.role === "metric" && c.type !== "str").map((c) => c.name);
  const plotted = plan.pipeline.data.plots.filter((p) => p.table === "metrics")
    .flatMap((p) => (Array.isArray(p.y) ? p.y : [p.y])).filter((m) => names.includes(m));
  return [...new Set(plotted.length ? plotted : names)];
}
