/**
 * `deno task report [pipeline ...] [--profile P] [--results DIR]`: writes a
 * self-contained static page, results/report/index.html (figures beside it),
 * with each pipeline profile's verdicts, final values, figures, runs and
 * environment. Open it in any browser; it needs no network.
 * @module
 */
import { join, resolve } from "node:path";
import { parseReproduceArgs, runMain } from "../lib/engine/commands/cli.ts";
import { writeReport } from "../lib/engine/commands/report.ts";
import { repoRoot } from "../lib/util/repo.ts";

if (import.meta.main) {
  await runMain(async () => {
    const opts = parseReproduceArgs(Deno.args);
    if (opts.help) {
      console.log("Usage: deno task report [pipeline ...] [--profile P] [--results DIR]");
      return 0;
    }
    const resultsDir = resolve(opts.resultsDir ?? join(repoRoot(), "results"));
    const { path, sections } = await writeReport({
      resultsDir,
      pipelines: opts.positionals,
      profile: opts.profile,
      registry: opts.registry,
    });
    console.log(
      sections
        ? `Wrote ${path} (${sections} profile${sections === 1 ? "" : "s"}); open it in a browser.`
        : `Wrote ${path}, but ${resultsDir} holds no profile with results yet: run 'deno task reproduce <pipeline>' first.`,
    );
    return 0;
  });
}
