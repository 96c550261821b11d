/**
 * Writes that never leave a half-written file: data goes to a temporary file
 * in the same folder, is flushed to disk, then renamed over the target.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * await writeFileAtomic("/tmp/example.txt", "complete or absent\n");
 * assertEquals(await Deno.readTextFile("/tmp/example.txt"), "complete or absent\n");
 * ```
 * @module
 */
import { dirname } from "node:path";

/** Atomically replaces `path` with `data` (string as UTF-8, or bytes). Creates the folder. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const f = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Copies a file atomically (its bytes written to a temporary file, then renamed); creates parent folders. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  await writeFileAtomic(to, await Deno.readFile(from));
}

/** Atomically writes `value` as pretty JSON with a trailing newline. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Reads and parses a JSON file; null when it does not exist. */
export async function readJsonIfExists<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    if (e instanceof SyntaxError) throw new Error(`File ${path} is not valid JSON: ${e.message}`);
    throw e;
  }
}

/** True when a file or folder exists at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
