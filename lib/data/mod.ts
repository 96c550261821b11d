/**
 * Datasets the engine can prepare, by the name pipelines use under `datasets:`.
 *
 * @example
 * ```ts
 * import { datasetDigest, DATASETS } from "./mod.ts";
 * await datasetDigest("mnist"); // the SHA-256 identity of verified MNIST
 * Object.keys(DATASETS); // ["mnist"]
 * ```
 * @module
 */
import type { DatasetSource } from "../engine/pipeline_schema.ts";
import { loadMnist, mnistDigest, prepareMnist, type PrepareOptions } from "./mnist.ts";

export { binarize } from "./binarize.ts";
export { mnistBatch } from "./mnist_batch.ts";
export { parseIdx } from "./idx.ts";
export { loadMnist, type Mnist, MNIST_FILES, mnistDigest, prepareMnist } from "./mnist.ts";

/** How the engine prepares and loads one dataset. */
export interface DatasetProvider {
  /** Identity of the verified content (part of run keys); computable without reading files. */
  digest(): Promise<string>;
  /** Verifies the source and fills the cache; returns the prepared folder. */
  prepare(source: DatasetSource, options: PrepareOptions): Promise<{ dir: string; digest: string }>;
  /** Loads prepared data inside a run. */
  load(dir: string): Promise<unknown>;
}

/** Registered datasets. */
export const DATASETS: Record<string, DatasetProvider> = {
  mnist: { digest: mnistDigest, prepare: prepareMnist, load: loadMnist },
};

/** The digest of a registered dataset; throws naming the known ones. */
export async function datasetDigest(name: string): Promise<string> {
  const p = DATASETS[name];
  if (!p) throw new Error(`Unknown dataset '${name}'; known: ${Object.keys(DATASETS).join(", ")}`);
  return await p.digest();
}
