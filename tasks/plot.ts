/**
 * `deno task plot <pipeline> [--profile P]`: redraws a profile's figures from
 * its summary files, without training.
 * @module
 */
import { join, resolve } from "node:path";
import { parseReproduceArgs, runMain } from "../lib/engine/commands/cli.ts";
import { renderPlots } from "../lib/engine/report/plot.ts";
import { repoRoot } from "../lib/util/repo.ts";
import { loadAndPlan } from "../lib/engine/commands/load_plan.ts";
import { profileDir } from "../lib/engine/results/layout.ts";
import { loadRunTables, readSummaryCsv } from "../lib/engine/results/summary.ts";
import { exists } from "../lib/util/atomic.ts";
import { UserError } from "../lib/util/errors.ts";

if (import.meta.main) {
  await runMain(async () => {
    const opts = parseReproduceArgs(Deno.args);
    if (opts.help || !opts.pipeline) {
      console.log("Usage: deno task plot <pipeline> [--profile P] [--results DIR]");
      return opts.help ? 0 : 2;
    }
    const { plan } = await loadAndPlan(opts);
    const dir = profileDir(
      resolve(opts.resultsDir ?? join(repoRoot(), "results")),
      plan.pipeline.data.name,
      plan.profile,
    );
    const resultsDir = resolve(opts.resultsDir ?? join(repoRoot(), "results"));
    if (!(await exists(join(dir, "summary.csv")))) {
      throw new UserError(
        `${
          join(dir, "summary.csv")
        } does not exist: run 'deno task reproduce ${opts.pipeline} --profile ${plan.profile}' first`,
      );
    }
    const runs = await loadRunTables(plan, resultsDir);
    const { files, skipped } = await renderPlots(plan, await readSummaryCsv(plan, dir), join(dir, "figures"), runs);
    for (const s of skipped) console.log(`Skipped figure ${s.id}: ${s.reason}`);
    console.log(files.length ? `Wrote ${files.join(", ")}` : "This pipeline declares no plots.");
    return 0;
  });
}
