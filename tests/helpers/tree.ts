/**
 * The bytes of a folder, for tests that check a command changed nothing.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { treeDigests } from "./tree.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "a");
 * const before = await treeDigests(dir);
 * assertEquals([...before.keys()], ["a.txt"]);
 * assertEquals(await treeDigests(dir), before);
 * ```
 * @module
 */
import { join } from "node:path";
import { sha256File } from "../../lib/util/hash.ts";

/** Every file under `dir` (paths relative to it, sorted) with the SHA-256 of its bytes; empty when `dir` is absent. */
export async function treeDigests(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string) => {
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(join(dir, rel))) entries.push(e);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path);
      else if (e.isFile) out.set(path, await sha256File(join(dir, path)));
    }
  };
  await walk("");
  return out;
}
