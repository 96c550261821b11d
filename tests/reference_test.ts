/**
 * The smoke profile of every pipeline, run fresh on the wasm backend, must
 * give exactly the result hashes committed under results/reference/ (paired by
 * config and seed, so that a change to code that leaves results alone does not
 * fail; the committed run files are hashed too). When a change is meant to
 * change results or configs, regenerate them with `deno task reference` and
 * commit them. Every committed claims.csv and summary must be what its committed
 * runs give under the current pipeline and code (`deno task reference
 * --aggregate-only` rewrites them).
 */
import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { runTask } from "./helpers/cli.ts";
import { repoRoot } from "../lib/util/repo.ts";
import { loadPipeline, pipelineNames, pipelinePath } from "../lib/engine/pipeline/load.ts";
import { aggregateReference } from "../lib/engine/commands/reference.ts";
import { referenceProfiles } from "../lib/engine/pipeline/schema.ts";

const names = await pipelineNames();

Deno.test("every pipeline has committed smoke reference hashes", async () => {
  assert(names.length > 0, "no pipelines found");
  for (const name of names) {
    const file = join(repoRoot(), "results", "reference", name, "smoke", "hashes.csv");
    const rows = (await Deno.readTextFile(file)).trim().split("\n");
    assert(rows.length > 1, `${file} lists no runs`);
  }
});

for (const name of names) {
  Deno.test(`a fresh smoke run of ${name} reproduces the reference hashes`, async () => {
    const dir = await Deno.makeTempDir();
    const run = await runTask("reproduce", [
      name,
      "--profile",
      "smoke",
      "--backend",
      "wasm",
      "--results",
      dir,
      "--no-plots",
      "--progress",
      "lines",
    ]);
    assertEquals(run.code, 0, run.stdout + run.stderr);
    const reference = join(repoRoot(), "results", "reference", name, "smoke", "hashes.csv");
    const cmp = await runTask("compare", [reference, join(dir, name, "smoke", "hashes.csv"), "--require-all"]);
    assertEquals(
      cmp.code,
      0,
      `${cmp.stdout}\n${cmp.stderr}\nIf this change is meant to change results, run 'deno task reference' and commit results/reference/.`,
    );
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("every committed claims.csv and summary is what its committed runs give now", async () => {
  const stale: string[] = [];
  for (const name of names) {
    for (const profile of referenceProfiles((await loadPipeline(pipelinePath(name))).data)) {
      for (const [file, text] of await aggregateReference(name, profile)) {
        const path = join(repoRoot(), "results", "reference", name, profile, file);
        if (await Deno.readTextFile(path).catch(() => null) !== text) stale.push(`${name} ${profile} ${file}`);
      }
    }
  }
  assertEquals(
    stale,
    [],
    "these reference files differ from what their committed runs give under the current pipeline and code: " +
      "run 'deno task reference <pipeline> --profile <P> --aggregate-only' and commit what it writes",
  );
});
