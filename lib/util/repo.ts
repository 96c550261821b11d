/**
 * Where the repository is: its root folder (the one holding deno.json), found
 * from this module's own location.
 *
 * @example
 * ```ts
 * import { repoRoot } from "./repo.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const pipelines = `${repoRoot()}/pipelines`;
 * assertEquals(pipelines.endsWith("/pipelines"), true);
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";

/** URL of the repository root (the folder holding deno.json), with a trailing slash. */
export function repoRootUrl(): URL {
  return new URL("../../", import.meta.url);
}

/** Path of the repository root, without a trailing slash. */
export function repoRoot(): string {
  return fileURLToPath(repoRootUrl()).replace(/\/$/, "");
}
