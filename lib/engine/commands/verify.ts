/**
 * `deno task verify <pipeline> [--profile P] [--results DIR] [--tolerance T]`:
 * does my run reproduce the committed reference bit for bit? Compares a
 * profile's runs in the results folder with results/reference/<pipeline>/<P>/
 * run by run (paired by config and seed), hashing both sides' files, and
 * shows, for a run that differs, the first differing row of each table and
 * the largest difference per column.
 *
 * Exit 0 when every reference run is present and identical (or within the
 * tolerance); 1 otherwise; 2 on bad input (no such reference or run).
 *
 * @example
 * ```ts
 * import { verifyCommand } from "./verify.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(await verifyCommand(["--help"]), 0);
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { parseReproduceArgs } from "./cli.ts";
import { referenceDir } from "./reference.ts";
import { loadAndPlan } from "./load_plan.ts";
import { compareResults, formatReport } from "../results/compare.ts";
import { profileDir } from "../results/layout.ts";
import { exists } from "../../util/atomic.ts";
import { UserError } from "../../util/errors.ts";
import { referenceProfiles } from "../pipeline/schema.ts";
import { repoRoot } from "../../util/repo.ts";

/** The `deno task verify` command: its exit code. */
export async function verifyCommand(argv: string[]): Promise<number> {
  const args = [...argv];
  let tolerance = 0;
  const t = args.indexOf("--tolerance");
  if (t >= 0) {
    tolerance = Number(args[t + 1]);
    if (!(tolerance >= 0)) throw new UserError(`--tolerance must be a number >= 0, got '${args[t + 1]}'`);
    args.splice(t, 2);
  }
  const opts = parseReproduceArgs(args);
  if (opts.help || !opts.pipeline) {
    console.log(
      "Usage: deno task verify <pipeline> [--profile P] [--results DIR] [--tolerance T]\n\n" +
        "Compares your run of a profile with the committed reference, run by run.",
    );
    return opts.help ? 0 : 2;
  }
  const { plan } = await loadAndPlan(opts);
  const name = plan.pipeline.data.name;
  const ref = join(referenceDir(name, plan.profile), "hashes.csv");
  if (!(await exists(ref))) {
    throw new UserError(
      `No committed reference for ${name} profile ${plan.profile} (references: ${
        referenceProfiles(plan.pipeline.data).join(", ")
      })`,
    );
  }
  const mine = join(
    profileDir(resolve(opts.resultsDir ?? join(repoRoot(), "results")), name, plan.profile),
    "hashes.csv",
  );
  if (!(await exists(mine))) {
    throw new UserError(
      `${mine} does not exist: run 'deno task reproduce ${opts.pipeline} --profile ${plan.profile}' first`,
    );
  }
  const report = await compareResults(mine, ref, { tolerance, match: "config" });
  console.log(formatReport(report, ["your run", "reference"]));
  const refRuns = report.pairs.length + report.onlyB.length;
  const same = report.pairs.filter((p) => p.status === "identical").length;
  console.log("");
  console.log(
    `${same} of ${refRuns} runs bit-identical to the committed reference (${name}, profile ${plan.profile})` +
      (report.onlyB.length ? `; ${report.onlyB.length} reference runs missing from your results` : "") + ".",
  );
  return report.ok && report.onlyB.length === 0 ? 0 : 1;
}
