/**
 * `deno task compare <a> <b> [--tolerance T] [--match key|config] [--ignore backend,versions] [--require-all] [--json]`:
 * compares results from two machines by their bytes. a and b are results
 * folders or hashes.csv files. Exit 0 only when the sides share runs, every
 * shared run is identical (or within the tolerance) and nothing is corrupt;
 * 1 otherwise; 2 on bad input.
 *
 * @example
 * ```ts
 * import { compareCommand } from "./compare.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(await compareCommand(["--help"]), 0);
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { compareResults, formatReport, type Ignorable } from "../results/compare.ts";
import { UserError } from "../../util/errors.ts";

const USAGE = `Usage: deno task compare <a> <b> [options]

  <a>, <b>          results folders (results/, results/hnca-bandit, ...) or hashes.csv files;
                    committed reference folders are left out of a folder unless given themselves
  --tolerance T     count runs whose numbers differ by at most T (absolute) as equal (default 0)
  --match M         config (default): pair runs by what determines them (experiment, config, seed,
                    datasets, backend, runtime versions) but the code digest; key: by run key.
                    'cell' is accepted for config.
  --ignore LIST     with --match config, also pair runs that differ in: backend, versions (comma-separated)
  --require-all     also fail when a run is only on one side
  --json            print the report as JSON

Every run whose files are present is hashed again; one whose bytes differ from its own
record is CORRUPT. Exit 0: the sides share runs, all identical (or within the tolerance),
nothing corrupt; 1 otherwise; 2 bad input.`;

/** The `deno task compare` command: its exit code. */
export async function compareCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: args,
      allowPositionals: true,
      options: {
        tolerance: { type: "string" },
        match: { type: "string" },
        ignore: { type: "string" },
        "require-all": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    throw new UserError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 2) throw new UserError(USAGE);
  const tolerance = Number(v.tolerance ?? 0);
  if (!(tolerance >= 0)) throw new UserError(`--tolerance must be a number >= 0, got '${v.tolerance}'`);
  const match = (v.match ?? "config") as "key" | "config" | "cell";
  if (!["key", "config", "cell"].includes(match)) {
    throw new UserError(`--match must be key or config, got '${v.match}'`);
  }
  const ignore = (v.ignore ? v.ignore.split(",").map((s) => s.trim()).filter(Boolean) : []) as Ignorable[];
  for (const i of ignore) {
    if (i !== "backend" && i !== "versions") throw new UserError(`--ignore takes backend and versions, got '${i}'`);
  }
  if (ignore.length && match === "key") throw new UserError("--ignore needs --match config");
  const [a, b] = parsed.positionals;
  let report;
  try {
    report = await compareResults(a, b, { tolerance, match, ignore });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (v.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(report, [a, b]));
  const missing = report.onlyA.length + report.onlyB.length;
  if (v["require-all"] && missing > 0) {
    console.error(`${missing} runs are only on one side (--require-all).`);
    return 1;
  }
  if (report.pairs.length === 0) console.error("The two sides share no run.");
  return report.ok ? 0 : 1;
}
