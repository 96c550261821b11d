/**
 * `deno task plot <pipeline> [--profile P]`: redraws a profile's figures from
 * its summary files, without training.
 *
 * @example
 * ```ts
 * import { plotCommand } from "./plot.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(await plotCommand(["--help"]), 0);
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { parseReproduceArgs } from "./cli.ts";
import { renderPlots } from "../report/plot.ts";
import { repoRoot } from "../../util/repo.ts";
import { loadAndPlan } from "./load_plan.ts";
import { profileDir } from "../results/layout.ts";
import { loadRunTables, readSummaryCsv } from "../results/summary.ts";
import { exists } from "../../util/atomic.ts";
import { UserError } from "../../util/errors.ts";

/** The `deno task plot` command: its exit code. */
export async function plotCommand(args: string[]): Promise<number> {
  const opts = parseReproduceArgs(args);
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
}
