import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  defaultRegistryUrl,
  getDataset,
  getExperiment,
  loadRegistry,
  localImports,
  sourceDigest,
  toModuleUrl,
} from "../../../../lib/engine/pipeline/registry.ts";

Deno.test("localImports() leaves out type-only imports and re-exports", () => {
  const src =
    `import type { A } from "./a.ts";\nexport type { B } from "./b.ts";\nimport { type C, d } from "./c.ts";\n`;
  assertEquals(localImports(src), ["./c.ts"]);
});

Deno.test("localImports() finds relative static, re-export and dynamic imports only", () => {
  const src =
    `import { a } from "./a.ts";\nimport { B } from '../b.ts';\nexport { c } from "./c.ts";\nimport * as tf from "@tensorflow/tfjs";\nconst d = await import("./d.ts");\nimport "./e.ts";`;
  assertEquals(localImports(src).sort(), ["../b.ts", "./a.ts", "./c.ts", "./d.ts", "./e.ts"]);
});

Deno.test("sourceDigest() covers files a module reads by URL (a kernel's .wasm)", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, "main.ts"),
    `const bytes = await Deno.readFile(new URL("./k.wasm", import.meta.url));\n`,
  );
  await Deno.writeFile(join(dir, "k.wasm"), Uint8Array.of(0, 97, 115, 109));
  const url = pathToFileURL(join(dir, "main.ts")).href;
  const first = await sourceDigest(url);
  assert(first.files.some((f) => f.endsWith("k.wasm")), first.files.join());
  await Deno.writeFile(join(dir, "k.wasm"), Uint8Array.of(0, 97, 115, 110));
  assertNotEquals((await sourceDigest(url)).digest, first.digest);
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

Deno.test("getExperiment() names the registered experiments when an id is unknown", async () => {
  const registry = await loadRegistry([defaultRegistryUrl(), toModuleUrl("tests/fixtures/experiments/registry.ts")]);
  const exp = getExperiment(registry, "fixture-regression");
  assertEquals(exp.id, "fixture-regression");
  const e = assertThrows(() => getExperiment(registry, "nope"), Error, "Unknown experiment 'nope'; registered: ");
  assert(e.message.includes("fixture-regression"));
});

Deno.test("loadRegistry() gathers the datasets that registry modules contribute", async () => {
  const registry = await loadRegistry([defaultRegistryUrl()]);
  assertEquals(Object.keys(registry.datasets), ["mnist"]);
  assertEquals(getDataset(registry, "mnist"), registry.datasets.mnist);
  assertThrows(() => getDataset(registry, "cifar"), Error, "Unknown dataset 'cifar'; registered: mnist");
});

Deno.test("loadRegistry() rejects an experiment that does not name its module", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "reg.ts");
  await Deno.writeTextFile(file, `export const experiments = [{ id: "x", run() {} }];\n`);
  await assertRejects(() => loadRegistry([pathToFileURL(file).href]), Error, "must name its module");
  await Deno.remove(dir, { recursive: true });
});
