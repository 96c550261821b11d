/**
 * Every exported module of lib/ shows its use in an @example that runs:
 * `deno task test` runs them (`deno test --doc`), and this test checks that
 * each has a line of code, not only comments and imports.
 */
import { join, relative } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { repoRoot } from "../lib/util/repo.ts";

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory && e.name !== "assembly") yield* tsFiles(p);
    else if (e.isFile && e.name.endsWith(".ts")) yield p;
  }
}

Deno.test("every @example in lib/ has an executable line (not only comments and imports)", async () => {
  const empty: string[] = [];
  let examples = 0;
  for await (const file of tsFiles(join(repoRoot(), "lib"))) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      examples++;
      const code = m[1].split("\n").map((l) => l.replace(/^\s*\*\s?/, "").trim())
        .filter((l) => l && !l.startsWith("//") && !l.startsWith("import "));
      if (code.length === 0) empty.push(relative(repoRoot(), file));
    }
  }
  assert(examples > 50, `found ${examples} examples`);
  assertEquals(empty, []);
});

Deno.test("every @example in lib/ asserts what it shows (an assert call, not only a comment)", async () => {
  const silent: string[] = [];
  for await (const file of tsFiles(join(repoRoot(), "lib"))) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      if (!/\bassert\w*\(/.test(m[1])) {
        silent.push(`${relative(repoRoot(), file)}:${text.slice(0, m.index).split("\n").length}`);
      }
    }
  }
  assertEquals(silent, []);
});
