import { assertEquals, assertRejects } from "../../helpers/assert.ts";
import { join } from "node:path";
import { exists, readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "../../../lib/util/atomic.ts";

Deno.test("writeFileAtomic() replaces the file whole and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  const f = join(dir, "sub", "a.txt");
  await writeFileAtomic(f, "one\n");
  await writeFileAtomic(f, "two\n");
  assertEquals(await Deno.readTextFile(f), "two\n");
  const names = [];
  for await (const e of Deno.readDir(join(dir, "sub"))) names.push(e.name);
  assertEquals(names, ["a.txt"]);
});

Deno.test("writeFileAtomic() keeps the old file when the write fails", async () => {
  const dir = await Deno.makeTempDir();
  const f = join(dir, "a.txt");
  await writeFileAtomic(f, "old");
  await Deno.mkdir(join(dir, "blocker"));
  await assertRejects(() => writeFileAtomic(join(dir, "blocker"), "x"));
  assertEquals(await Deno.readTextFile(f), "old");
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assertEquals(names.sort(), ["a.txt", "blocker"]);
});

Deno.test("readJsonIfExists() returns null for a missing file and names a corrupt one", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals(await readJsonIfExists(join(dir, "none.json")), null);
  await writeJsonAtomic(join(dir, "ok.json"), { a: 1 });
  assertEquals(await readJsonIfExists(join(dir, "ok.json")), { a: 1 });
  await Deno.writeTextFile(join(dir, "bad.json"), "{");
  await assertRejects(() => readJsonIfExists(join(dir, "bad.json")), /bad\.json is not valid JSON/);
  assertEquals(await exists(join(dir, "ok.json")), true);
});
