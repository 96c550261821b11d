/**
 * `deno task docs`: rewrites the generated part of README.md (each pipeline's
 * profiles, config keys and CSV columns) from the pipelines and experiments.
 * @module
 */
import { join } from "node:path";
import { runMain } from "../lib/engine/commands/cli.ts";
import { generatedReadmeSection, README_MARKERS } from "../lib/engine/report/docs.ts";
import { writeFileAtomic } from "../lib/util/atomic.ts";
import { repoRoot } from "../lib/util/repo.ts";
import { pipelineNames } from "../lib/engine/commands/reproduce.ts";

if (import.meta.main) {
  await runMain(async () => {
    const file = join(repoRoot(), "README.md");
    const text = await Deno.readTextFile(file);
    const [a, b] = [text.indexOf(README_MARKERS[0]), text.indexOf(README_MARKERS[1])];
    if (a < 0 || b < a) {
      console.error(`README.md lacks the markers ${README_MARKERS.join(" ... ")}`);
      return 1;
    }
    const updated = text.slice(0, a) + await generatedReadmeSection(await pipelineNames()) +
      text.slice(b + README_MARKERS[1].length);
    await writeFileAtomic(file, updated);
    console.log(updated === text ? "README.md is up to date" : "Rewrote the generated part of README.md");
    return 0;
  });
}
