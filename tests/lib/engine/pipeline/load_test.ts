import { assert, assertEquals, assertRejects, assertThrows } from "../../../helpers/assert.ts";
import { PipelineError } from "../../../../lib/util/errors.ts";
import { loadPipeline, parsePipeline } from "../../../../lib/engine/pipeline/load.ts";
import { VALID } from "../../../fixtures/pipelines/valid.ts";

function issuesOf(text: string): string[] {
  const e = assertThrows(() => parsePipeline(text, "p.yaml"), PipelineError) as PipelineError;
  return e.message.split("\n");
}

Deno.test("parsePipeline() accepts a valid pipeline and fills defaults", () => {
  const p = parsePipeline(VALID, "p.yaml");
  assertEquals(p.data.grid.seeds, [0, 1]);
  assertEquals(p.data.evaluation.confidence, 0.95);
  assertEquals(p.data.claims, []);
  assertEquals(p.locate(["grid", "seeds"]), { line: 12, col: 10 });
  assertEquals(p.locate(["grid", "axes", "label", 1]), { line: 14, col: 16 });
});

Deno.test("parsePipeline() reports malformed YAML with its line", () => {
  const lines = issuesOf(VALID.replace("  seeds: [0, 1]", "  seeds: [0, 1"));
  assert(/^p\.yaml:1[23]:/.test(lines[0]), lines[0]);
  assert(lines[0].includes("YAML syntax error"), lines[0]);
});

Deno.test("parsePipeline() names an unknown key at its own line and column", () => {
  const lines = issuesOf(VALID.replace("default_profile: smoke", "default_profile: smoke\nseedz: [1]"));
  assertEquals(lines, ["p.yaml:19:1: seedz: unknown key 'seedz'"]);
  const nested = issuesOf(VALID.replace("    description: Tiny.", "    description: Tiny.\n    config_: {}"));
  assertEquals(nested, ["p.yaml:18:5: profiles.smoke.config_: unknown key 'config_'. Did you mean 'config'?"]);
});

Deno.test("parsePipeline() reports wrong types with the value seen", () => {
  const lines = issuesOf(VALID.replace("seeds: [0, 1]", "seeds: [0, one]"));
  assertEquals(lines, ['p.yaml:12:14: grid.seeds[1]: expected number, got "one"']);
  const url = issuesOf(VALID.replace("url: https://example.org/p", "url: not a url"));
  assert(url[0].startsWith("p.yaml:6:8: paper.url:"), url[0]);
});

Deno.test("parsePipeline() reports missing keys and empty seeds", () => {
  const lines = issuesOf(VALID.replace("title: Demo\n", ""));
  assertEquals(lines, ["p.yaml:1:1: title: missing required key (expected string)"]);
  const empty = issuesOf(VALID.replace("seeds: [0, 1]", "seeds: []"));
  assert(empty[0].startsWith("p.yaml:12:10: grid.seeds: the grid needs at least one seed"), empty[0]);
});

Deno.test("parsePipeline() reads a seed range as its list, both ends included, and names a bad one", () => {
  const p = parsePipeline(VALID.replace("seeds: [0, 1]", "seeds: { from: 3, to: 6 }"), "p.yaml");
  assertEquals(p.data.grid.seeds, [3, 4, 5, 6]);
  const backwards = issuesOf(VALID.replace("seeds: [0, 1]", "seeds: { from: 6, to: 3 }"));
  assert(backwards[0].startsWith("p.yaml:12:10: grid.seeds: 'to' must be at least 'from'"), backwards[0]);
  const typo = issuesOf(VALID.replace("seeds: [0, 1]", "seeds: { from: 3, too: 6 }"));
  assert(typo.some((l) => l.startsWith("p.yaml:12:") && l.includes("unknown key 'too'")), typo.join("\n"));
});

Deno.test("parsePipeline() reports a dataset source it does not know", () => {
  const lines = issuesOf(VALID.replace("experiment:", "datasets:\n  mnist: {source: ftp}\nexperiment:"));
  assertEquals(lines.length, 1);
  assert(lines[0].startsWith("p.yaml:9:"), lines[0]);
  assert(lines[0].includes('expected one of "npm", "dir", "url", got'), lines[0]);
});

Deno.test("loadPipeline() names a file that does not exist", async () => {
  const e = await assertRejects(() => loadPipeline("/nonexistent/x.yaml"), PipelineError);
  assertEquals(e.message, "/nonexistent/x.yaml: (top level): file not found");
});
