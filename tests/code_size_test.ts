/**
 * Code a newcomer can change: no file in lib/experiments over 400 lines, and
 * no function in lib/ over 80 lines (the seven that were longer when the
 * rule came in have been split; none is exempt).
 *
 * Functions are found from deno fmt's layout: a declaration (function,
 * method, or arrow function whose body is a block) at some indentation runs
 * to the first later line at that indentation that starts with "}".
 */
import { join, relative } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { repoRoot } from "../lib/util/repo.ts";

const FUNCTION_LIMIT = 80;
const EXPERIMENT_FILE_LIMIT = 400;

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory && e.name !== "assembly" && e.name !== "node_modules") yield* tsFiles(p);
    else if (e.isFile && e.name.endsWith(".ts")) yield p;
  }
}

const DECLARATION = [
  /^(\s*)(?:export\s+)?(?:async\s+)?function\*?\s+(\w+)/,
  /^(\s*)(?:export\s+)?(?:const|let)\s+(\w+)\s*(?::[^=]+)?=\s*(?:async\s*)?(?:<[^>]*>)?\(/,
  /^(\s*)(?:(?:private|public|protected|static|async|get|set)\s+)*(\w+)\s*(?:<[^>]*>)?\(/,
];
const NOT_NAMES = new Set(["if", "for", "while", "switch", "catch", "return", "await", "new", "function", "typeof"]);
const indent = (l: string) => l.length - l.trimStart().length;

/** Each block-bodied function of a file formatted by deno fmt: name, first line, length in lines. */
export function functionLengths(text: string): { name: string; line: number; lines: number }[] {
  const lines = text.split("\n");
  const out: { name: string; line: number; lines: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = DECLARATION.map((r) => lines[i].match(r)).find((x) => x);
    if (!m || NOT_NAMES.has(m[2]) || lines[i].trimStart().startsWith("//")) continue;
    const k = m[1].length;
    // The body opens on this line, or on the signature's closing line at the same indentation.
    let open = -1;
    if (lines[i].trimEnd().endsWith("{")) open = i;
    else {
      for (let j = i + 1; j < lines.length; j++) {
        if (lines[j].trim() === "" || indent(lines[j]) > k) continue;
        if (lines[j].trimStart().startsWith(")") && lines[j].trimEnd().endsWith("{")) open = j;
        break;
      }
    }
    if (open < 0) continue;
    for (let j = open + 1; j < lines.length; j++) {
      if (lines[j].trim() !== "" && indent(lines[j]) <= k) {
        if (indent(lines[j]) === k && lines[j].trimStart().startsWith("}")) {
          out.push({ name: m[2], line: i + 1, lines: j - i + 1 });
        }
        break;
      }
    }
  }
  return out;
}

Deno.test("functionLengths() measures functions, methods and block arrow functions from deno fmt's layout", () => {
  const text = [
    "export function a(x: number): number {",
    "  return x;",
    "}",
    "const b = async (",
    "  y: number,",
    "): Promise<void> => {",
    "  await y;",
    "};",
    "const c = (n: number) => ({ n });",
    "class K {",
    "  method(v: string) {",
    "    if (v) {",
    "      return;",
    "    }",
    "  }",
    "}",
  ].join("\n");
  assertEquals(functionLengths(text).map((f) => [f.name, f.lines]), [["a", 3], ["b", 5], ["method", 5]]);
});

Deno.test(`no function in lib/ over ${FUNCTION_LIMIT} lines`, async () => {
  const long: string[] = [];
  let functions = 0;
  for await (const file of tsFiles(join(repoRoot(), "lib"))) {
    const rel = relative(repoRoot(), file);
    for (const f of functionLengths(await Deno.readTextFile(file))) {
      functions++;
      if (f.lines > FUNCTION_LIMIT) long.push(`${rel}:${f.name} has ${f.lines} lines: split it by concern`);
    }
  }
  assert(functions > 500, `found ${functions} functions`);
  assertEquals(long, []);
});

Deno.test(`no file in lib/experiments over ${EXPERIMENT_FILE_LIMIT} lines`, async () => {
  const long: string[] = [];
  let files = 0;
  for await (const file of tsFiles(join(repoRoot(), "lib", "experiments"))) {
    files++;
    const n = (await Deno.readTextFile(file)).split("\n").length;
    if (n > EXPERIMENT_FILE_LIMIT) long.push(`${relative(repoRoot(), file)}: ${n} lines`);
  }
  assert(files > 8, `found ${files} files`);
  assertEquals(long, []);
});
