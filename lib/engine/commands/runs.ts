/**
 * `deno task runs`: one line per run of a profile, like `dvc exp show`: its
 * axis values and seed, its state (complete, partial at a step, failed, not
 * started), the final values of the reported metrics, and its result hash.
 *
 * @example
 * ```ts
 * import { listRuns, runsText } from "./runs.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const rows = await listRuns({ pipeline: "value-rnn-td", profile: "smoke", backend: "wasm", resultsDir: await Deno.makeTempDir() });
 * assertEquals(rows.map((r) => r.state), ["not started", "not started"]);
 * assertEquals(runsText(rows).split("\n")[0].startsWith("run key"), true);
 * ```
 * @module
 */
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { readJsonIfExists } from "../../util/atomic.ts";
import { formatF64 } from "../../util/format.ts";
import { decodeCheckpoint } from "../run/checkpoint.ts";
import { type FailureRecord, runDir, type RunRecord, runState } from "../results/layout.ts";
import { parseCsv } from "../results/tables.ts";
import { loadAndPlan, reportedMetrics } from "./load_plan.ts";
import { type ReproduceOptions } from "./options.ts";

/** One run's line. */
export interface RunLine {
  key: string;
  labels: Record<string, string>;
  seed: number;
  /** complete; partial at <step> <n>; failed at <step> <n>: <error>; not started */
  state: string;
  /** Final values of the reported metrics (null where not complete). */
  values: Record<string, number | null>;
  resultHash: string | null;
}

/** The runs of a profile, in plan order. */
export async function listRuns(opts: ReproduceOptions & { resultsDir: string }): Promise<RunLine[]> {
  const { plan } = await loadAndPlan(opts);
  const metrics = reportedMetrics(plan);
  const step = plan.tables.find((t) => t.name === "metrics")?.step;
  const out: RunLine[] = [];
  for (const run of plan.runs) {
    const dir = runDir(opts.resultsDir, run.key);
    const state = await runState(dir, run.key);
    const values: Record<string, number | null> = Object.fromEntries(metrics.map((m) => [m, null]));
    let text = "not started", hash: string | null = null;
    if (state === "complete") {
      const record = (await readJsonIfExists<RunRecord>(join(dir, "run.json")))!;
      hash = record.result_hash;
      text = "complete";
      const { header, rows } = parseCsv(await Deno.readTextFile(join(dir, "metrics.csv")), "metrics.csv");
      const last = step
        ? rows.reduce((a, r) => (Number(r[header.indexOf(step)]) >= Number(a[header.indexOf(step)]) ? r : a), rows[0])
        : rows.at(-1);
      for (const m of metrics) {
        const v = last?.[header.indexOf(m)];
        values[m] = v === undefined || v === "" ? null : Number(v);
      }
    } else if (state === "resumable") {
      try {
        const { data } = decodeCheckpoint(await Deno.readFile(join(dir, "checkpoint.safetensors")), run.key);
        text = `partial at ${step ?? "step"} ${data.step}`;
      } catch {
        text = "partial (unreadable checkpoint)";
      }
    } else if (state === "failed") {
      const f = await readJsonIfExists<FailureRecord>(join(dir, "failure.json"));
      text = `failed${f?.step ? ` at ${f.step.column} ${f.step.value}` : ""}: ${f?.error.split("\n")[0] ?? ""}`;
    }
    out.push({ key: run.key, labels: run.labels, seed: run.seed, state: text, values, resultHash: hash });
  }
  return out;
}

function fmt(v: number | null): string {
  return v === null ? "-" : String(Number(v.toPrecision(4)));
}

/** An aligned text table of run lines. */
export function runsText(lines: RunLine[]): string {
  const axes = Object.keys(lines[0]?.labels ?? {});
  const metrics = Object.keys(lines[0]?.values ?? {});
  const header = ["run key", ...axes, "seed", "state", ...metrics, "result hash"];
  const rows = lines.map((l) => [
    l.key.slice(0, 12),
    ...axes.map((a) => l.labels[a]),
    String(l.seed),
    l.state,
    ...metrics.map((m) => fmt(l.values[m])),
    l.resultHash?.slice(0, 16) ?? "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** The same as CSV (full keys and hashes, numbers as written in the results). */
export function runsCsv(lines: RunLine[]): string {
  const axes = Object.keys(lines[0]?.labels ?? {});
  const metrics = Object.keys(lines[0]?.values ?? {});
  return stringify([
    ["run_key", ...axes, "seed", "state", ...metrics, "result_hash"],
    ...lines.map((l) => [
      l.key,
      ...axes.map((a) => l.labels[a]),
      String(l.seed),
      l.state,
      ...metrics.map((m) => (l.values[m] === null ? "" : formatF64(l.values[m]!))),
      l.resultHash ?? "",
    ]),
  ], { record_delimiter: "\n" });
}
