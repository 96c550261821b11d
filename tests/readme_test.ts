import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { generatedReadmeSection, README_MARKERS } from "../lib/engine/report/docs.ts";
import { repoRoot } from "../lib/util/repo.ts";
import { pipelineNames } from "../lib/engine/commands/reproduce.ts";

Deno.test("README's generated pipeline section matches the pipelines and experiments (deno task docs)", async () => {
  const text = await Deno.readTextFile(join(repoRoot(), "README.md"));
  const a = text.indexOf(README_MARKERS[0]), b = text.indexOf(README_MARKERS[1]) + README_MARKERS[1].length;
  assert(a >= 0 && b > a, "README.md lacks the generated-section markers");
  const expected = await generatedReadmeSection(await pipelineNames());
  assert(
    text.slice(a, b) === expected,
    "README.md's pipeline section is stale: run 'deno task docs' and commit README.md",
  );
});

Deno.test("README names the two commands and .ci/run runs README's test command", async () => {
  const readme = await Deno.readTextFile(join(repoRoot(), "README.md"));
  const ci = await Deno.readTextFile(join(repoRoot(), ".ci", "run"));
  assert(readme.includes("deno task reproduce hnca-bandit"), "README lacks the reproduce command");
  assert(readme.includes("deno task test"), "README lacks the test command");
  assert(ci.includes("deno task test"), ".ci/run does not run 'deno task test'");
});
