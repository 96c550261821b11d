import { assert, assertEquals, assertNotEquals, assertRejects } from "../../helpers/assert.ts";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  defaultRegistryUrl,
  loadExperiment,
  loadRegistry,
  localImports,
  sourceDigest,
  toModuleUrl,
} from "../../../lib/engine/registry.ts";

Deno.test("localImports() finds relative static, re-export and dynamic imports only", () => {
  const src =
    `import { a } from "./a.ts";\nimport type { B } from '../b.ts';\nexport { c } from "./c.ts";\nimport * as tf from "@tensorflow/tfjs";\nconst d = await import("./d.ts");\nimport "./e.ts";`;
  assertEquals(localImports(src).sort(), ["../b.ts", "./a.ts", "./c.ts", "./d.ts", "./e.ts"]);
});

Deno.test("sourceDigest() covers imported files and changes when one of them changes", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "main.ts"), `import { x } from "./dep.ts";\nexport const y = x;\n`);
  await Deno.writeTextFile(join(dir, "dep.ts"), `export const x = 1;\n`);
  const url = pathToFileURL(join(dir, "main.ts")).href;
  const first = await sourceDigest(url);
  assertEquals(first.files.length, 2);
  assertEquals((await sourceDigest(url)).digest, first.digest);
  await Deno.writeTextFile(join(dir, "dep.ts"), `export const x = 2;\n`);
  assertNotEquals((await sourceDigest(url)).digest, first.digest);
  await Deno.writeTextFile(join(dir, "dep.ts"), `export const x = 1;\r\n`);
  assertEquals((await sourceDigest(url)).digest, first.digest, "CRLF line endings do not change the digest");
});

Deno.test("loadExperiment() names the registered experiments when an id is unknown", async () => {
  const registry = await loadRegistry([defaultRegistryUrl(), toModuleUrl("tests/fixtures/experiments/registry.ts")]);
  const exp = await loadExperiment(registry, "fixture-regression");
  assertEquals(exp.id, "fixture-regression");
  const e = await assertRejects(() => loadExperiment(registry, "nope"), /Unknown experiment 'nope'; registered: /);
  assert(e.message.includes("fixture-regression"));
});
