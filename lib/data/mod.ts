/**
 * Datasets: sources, providers, and the MNIST helpers experiments use
 * (`mnistBatch`, `binarize`, the `Mnist` type), each defined in its own module.
 *
 * @example
 * ```ts
 * import { mnistDataset } from "./mod.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals((await mnistDataset.digest()).length, 64); // the SHA-256 identity of verified MNIST
 * ```
 * @module
 */
export { binarize } from "./binarize.ts";
export { mnistBatch } from "./mnist_batch.ts";
export { parseIdx } from "./idx.ts";
export { loadMnist, type Mnist, MNIST_FILES, mnistDataset, mnistDigest, prepareMnist } from "./mnist.ts";
export { type DatasetProvider, type DatasetSource, DatasetSourceSchema, type PrepareOptions } from "./types.ts";
