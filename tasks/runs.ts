/**
 * `deno task runs <pipeline> [--profile P] [--results DIR] [--backend B] [--csv]`:
 * one line per run of the profile: axes, seed, state (complete, partial at a
 * step, failed, not started), final values of the reported metrics, result hash.
 * @module
 */
import { join, resolve } from "node:path";
import { parseReproduceArgs, runMain } from "../lib/engine/commands/cli.ts";
import { listRuns, runsCsv, runsText } from "../lib/engine/commands/runs.ts";
import { repoRoot } from "../lib/util/repo.ts";

if (import.meta.main) {
  await runMain(async () => {
    const args = [...Deno.args];
    const csv = args.includes("--csv");
    const opts = parseReproduceArgs(args.filter((a) => a !== "--csv"));
    if (opts.help || !opts.pipeline) {
      console.log("Usage: deno task runs <pipeline> [--profile P] [--results DIR] [--backend B] [--csv]");
      return opts.help ? 0 : 2;
    }
    const resultsDir = resolve(opts.resultsDir ?? join(repoRoot(), "results"));
    const lines = await listRuns({ ...opts, resultsDir });
    console.log(csv ? runsCsv(lines).trimEnd() : runsText(lines));
    return 0;
  });
}
