/**
 * `deno task compare <a> <b> [--tolerance T] [--match key|cell] [--require-all] [--json]`:
 * compares results from two machines. a and b are results folders or
 * hashes.csv files. Exit 0 only when every shared run is identical (or within
 * the tolerance); 1 otherwise; 2 on bad input.
 * @module
 */
import { parseArgs } from "node:util";
import { runMain } from "../lib/engine/commands/cli.ts";
import { compareResults, formatReport } from "../lib/engine/results/compare.ts";
import { UserError } from "../lib/util/errors.ts";

const USAGE = `Usage: deno task compare <a> <b> [options]

  <a>, <b>          results folders (results/, results/hnca-bandit, ...) or hashes.csv files
  --tolerance T     count runs whose numbers differ by at most T (absolute) as equal (default 0)
  --match M         key (default): pair runs by run key; cell: by pipeline, grid cell and seed
  --require-all     also fail when a run is only on one side
  --json            print the report as JSON`;

if (import.meta.main) {
  await runMain(async () => {
    let parsed;
    try {
      parsed = parseArgs({
        args: Deno.args,
        allowPositionals: true,
        options: {
          tolerance: { type: "string" },
          match: { type: "string" },
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
    const match = (v.match ?? "key") as "key" | "cell";
    if (match !== "key" && match !== "cell") throw new UserError(`--match must be key or cell, got '${v.match}'`);
    const [a, b] = parsed.positionals;
    let report;
    try {
      report = await compareResults(a, b, { tolerance, match });
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
    return report.ok ? 0 : 1;
  });
}
