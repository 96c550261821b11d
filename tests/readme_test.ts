import { dirname, join, normalize } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { generateDocs, stalePipelinePages } from "../lib/engine/report/docs.ts";
import { repoRoot } from "../lib/util/repo.ts";
import { pipelineNames } from "../lib/engine/pipeline/load.ts";

Deno.test("the generated docs match the pipelines, references and bench records (deno task docs)", async () => {
  const names = await pipelineNames();
  const stale: string[] = [];
  for (const [path, expected] of await generateDocs(names)) {
    let actual: string | null = null;
    try {
      actual = await Deno.readTextFile(join(repoRoot(), path));
    } catch {
      actual = null;
    }
    if (actual !== expected) stale.push(path);
  }
  stale.push(...await stalePipelinePages(names));
  assertEquals(stale, [], `stale generated docs: ${stale.join(", ")}; run 'deno task docs' and commit them`);
});

Deno.test("README is a landing page: at most 250 lines, the two commands, .ci/run runs the test command", async () => {
  const readme = await Deno.readTextFile(join(repoRoot(), "README.md"));
  const ci = await Deno.readTextFile(join(repoRoot(), ".ci", "run"));
  const lines = readme.split("\n").length;
  assert(lines <= 250, `README.md has ${lines} lines; move reference material to docs/`);
  assert(readme.includes("deno task reproduce hnca-bandit"), "README lacks the reproduce command");
  assert(readme.includes("deno task test"), "README lacks the test command");
  assert(ci.includes("deno task test"), ".ci/run does not run 'deno task test'");
});

/** Relative links of a markdown file ([text](path) and ![alt](path)), without anchors or URLs. */
function relativeLinks(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1])
    .filter((l) => !/^[a-z]+:/.test(l) && !l.startsWith("#")).map((l) => l.split("#")[0]);
}

Deno.test("every relative link in README.md, CONTRIBUTING.md and docs/ points at a file that exists", async () => {
  const files = ["README.md", "CONTRIBUTING.md"];
  for (const dir of ["docs", "docs/pipelines"]) {
    for await (const e of Deno.readDir(join(repoRoot(), dir))) {
      if (e.isFile && e.name.endsWith(".md")) files.push(`${dir}/${e.name}`);
    }
  }
  const broken: string[] = [];
  for (const f of files) {
    for (const link of relativeLinks(await Deno.readTextFile(join(repoRoot(), f)))) {
      try {
        await Deno.stat(join(repoRoot(), normalize(join(dirname(f), link))));
      } catch {
        broken.push(`${f}: ${link}`);
      }
    }
  }
  assertEquals(broken, []);
});
