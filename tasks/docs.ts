/**
 * `deno task docs`: writes the generated documentation from the pipelines,
 * experiments, committed references and benchmark records: README.md's
 * pipeline table, docs/pipelines/<name>.md, docs/claims.md and
 * docs/benchmarks.md (a page of a pipeline that no longer exists is removed).
 * @module
 */
import { dirname, join } from "node:path";
import { runMain } from "../lib/engine/commands/cli.ts";
import { generateDocs, stalePipelinePages } from "../lib/engine/report/docs.ts";
import { pipelineNames } from "../lib/engine/pipeline/load.ts";
import { writeFileAtomic } from "../lib/util/atomic.ts";
import { repoRoot } from "../lib/util/repo.ts";

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

if (import.meta.main) {
  await runMain(async () => {
    const names = await pipelineNames();
    let changed = 0;
    for (const [path, text] of await generateDocs(names)) {
      const file = join(repoRoot(), path);
      if (await readOrNull(file) === text) continue;
      await Deno.mkdir(dirname(file), { recursive: true });
      await writeFileAtomic(file, text);
      console.log(`wrote ${path}`);
      changed++;
    }
    for (const path of await stalePipelinePages(names)) {
      await Deno.remove(join(repoRoot(), path));
      console.log(`removed ${path}`);
      changed++;
    }
    console.log(changed ? `${changed} file(s) updated` : "the generated docs are up to date");
    return 0;
  });
}
