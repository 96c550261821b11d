/**
 * Reading completed runs back and summarizing them over seeds.
 *
 * For every table, grid cell, metric and index value (for example each
 * epoch) the summary holds n, mean, sample std and a Student-t confidence
 * interval over seeds (`at` = `each`). For tables with a step column, rows
 * with `at` = `final` summarize each run's last step.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "../pipeline/load.ts";
 * import { planRuns } from "../pipeline/plan.ts";
 * import { defaultRegistryUrl, loadRegistry } from "../pipeline/registry.ts";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "x" } };
 * const plan = await planRuns(await loadPipeline("pipelines/value-rnn-td.yaml"), { profile: "smoke", registry, environment });
 * import { loadRunTables, summarize } from "./summary.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const runs = await loadRunTables(plan, await Deno.makeTempDir()); // none complete in an empty folder
 * assertEquals(summarize(plan, runs, 0.95).length, 0);
 * ```
 * @module
 */
import { join } from "node:path";
import { exists, readJsonIfExists } from "../../util/atomic.ts";
import type { TableSpec } from "../experiment.ts";
import type { RunTables, SummaryRow } from "../kinds/types.ts";
import { formatF64 } from "../../util/format.ts";
import { sha256Hex } from "../../util/hash.ts";
import type { Plan, PlannedRun } from "../pipeline/plan.ts";
import { configHash, referenceRunDir, runDir, type RunRecord } from "./layout.ts";
import { describe } from "../../util/stats.ts";
import { UserError } from "../../util/errors.ts";
import { parseCsv } from "./tables.ts";
import { stringify } from "csv-stringify/sync";

/** A completed run with its parsed tables (numbers parsed, empty cells null), its cell and seed. */
export interface LoadedRun extends RunTables {
  run: PlannedRun;
  record: RunRecord;
}

export type { SummaryRow } from "../kinds/types.ts";

/**
 * Loads the tables of every completed run of the plan, checking each file
 * against the hash in its run.json. Runs without run.json are skipped.
 * Throws naming the file when a result file was changed after the run.
 */
export async function loadRunTables(plan: Plan, resultsDir: string): Promise<LoadedRun[]> {
  const out: LoadedRun[] = [];
  for (const run of plan.runs) {
    const dir = runDir(resultsDir, run.key);
    const record = await readJsonIfExists<RunRecord>(join(dir, "run.json"));
    if (!record || record.status !== "complete" || record.key !== run.key) continue;
    const tables = await readRunTables(dir, record, plan.tables, run, false);
    out.push({ run, record, tables, cell: run.cell, labels: run.labels, seed: run.seed });
  }
  return out;
}

/**
 * Loads the runs of a committed reference profile folder
 * (`runs/<cell>-seed<k>/`, see reference.ts) for every run of the plan,
 * paired by cell and seed and checked by config hash, each table against the
 * hash its run.json records. Tables a reference leaves out (over its size
 * limit) are absent from the runs' `tables`. Throws naming the run when one
 * is missing or was made with another config than the plan's.
 */
export async function loadReferenceRunTables(plan: Plan, referenceProfileDir: string): Promise<LoadedRun[]> {
  const out: LoadedRun[] = [];
  for (const run of plan.runs) {
    const dir = referenceRunDir(referenceProfileDir, run.cell, run.seed);
    const record = await readJsonIfExists<RunRecord>(join(dir, "run.json"));
    if (!record || record.status !== "complete") {
      throw new UserError(`${dir}/run.json: no completed run of ${run.cell}, seed ${run.seed} in the reference`, 1);
    }
    if (await configHash(record.key_parts) !== await configHash(run.parts)) {
      throw new UserError(
        `${dir}: this run was made with another config, experiment version or dataset than the pipeline now plans; ` +
          `regenerate the reference (deno task reference ${plan.pipeline.data.name} --profile ${plan.profile})`,
        1,
      );
    }
    const tables = await readRunTables(dir, record, plan.tables, run, true);
    out.push({ run, record, tables, cell: run.cell, labels: run.labels, seed: run.seed });
  }
  return out;
}

/** Reads and parses a run's tables, each checked against the SHA-256 its run.json records. */
async function readRunTables(
  dir: string,
  record: RunRecord,
  specs: TableSpec[],
  run: PlannedRun,
  skipMissing: boolean,
): Promise<LoadedRun["tables"]> {
  const tables: LoadedRun["tables"] = {};
  for (const spec of specs) {
    const file = join(dir, `${spec.name}.csv`);
    if (skipMissing && !await exists(file)) continue;
    const text = await Deno.readTextFile(file);
    const hash = await sha256Hex(text);
    const recorded =
      (spec.deterministic === false ? record.unhashed_outputs ?? {} : record.outputs)[`${spec.name}.csv`];
    if (hash !== recorded) {
      throw new UserError(
        `${file} has SHA-256 ${hash}, but its run.json records ${recorded}: ` +
          `the file was changed after the run; rerun it with --force --only seed=${run.seed}` +
          Object.entries(run.labels).map(([k, v]) => ` --only ${k}=${v}`).join(""),
        1,
      );
    }
    const { header, rows } = parseCsv(text, file);
    const want = spec.columns.map((c) => c.name);
    if (header.join(",") !== want.join(",")) {
      throw new Error(`${file} has columns ${header.join(",")}, expected ${want.join(",")}`);
    }
    tables[spec.name] = { header, rows: rows.map((r) => r.map((v, i) => parseCell(v, spec.columns[i].type))) };
  }
  return tables;
}

function parseCell(v: string, type: string): number | string | null {
  if (v === "") return null;
  if (type === "f32" || type === "f64" || type === "int") return Number(v);
  return v;
}

function compareIndex(a: (number | string | null)[], b: (number | string | null)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x === y) continue;
    if (x === null) return -1;
    if (y === null) return 1;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Summarizes every table of the loaded runs. `metricsFilter` limits the metrics table's metrics. */
export function summarize(
  plan: Plan,
  runs: RunTables[],
  confidence: number,
  metricsFilter?: string[],
): SummaryRow[] {
  const out: SummaryRow[] = [];
  const cells = [...new Map(plan.runs.map((r) => [r.cell, r.labels])).entries()];
  for (const spec of plan.tables) {
    if (spec.summarize === false) continue;
    const idxCols = spec.columns.filter((c) => c.role === "index").map((c) => c.name);
    let metricCols = spec.columns.filter((c) => c.role === "metric" && c.type !== "str" && c.type !== "bool").map((c) =>
      c.name
    );
    if (spec.name === "metrics" && metricsFilter) metricCols = metricCols.filter((m) => metricsFilter.includes(m));
    const pos = (name: string) => spec.columns.findIndex((c) => c.name === name);
    for (const [cell, labels] of cells) {
      const cellRuns = runs.filter((r) => r.cell === cell).sort((a, b) => a.seed - b.seed);
      if (cellRuns.length === 0) continue;
      for (const metric of metricCols) {
        const mi = pos(metric);
        // each: group by the full index tuple
        const groups = new Map<string, { index: (number | string | null)[]; values: number[] }>();
        for (const r of cellRuns) {
          for (const row of r.tables[spec.name].rows) {
            const v = row[mi];
            if (v === null || typeof v !== "number") continue;
            const index = idxCols.map((c) => row[pos(c)]);
            const k = JSON.stringify(index);
            if (!groups.has(k)) groups.set(k, { index, values: [] });
            groups.get(k)!.values.push(v);
          }
        }
        const sorted = [...groups.values()].sort((a, b) => compareIndex(a.index, b.index));
        for (const g of sorted) {
          const d = describe(g.values, confidence);
          out.push({
            table: spec.name,
            cell,
            labels,
            metric,
            at: "each",
            index: Object.fromEntries(idxCols.map((c, i) => [c, g.index[i]])),
            ...d,
          });
        }
        if (!spec.step) continue;
        // final: each run's rows at its last step, grouped by the other index columns
        const si = pos(spec.step);
        const finals = new Map<string, { index: (number | string | null)[]; values: number[]; steps: Set<unknown> }>();
        for (const r of cellRuns) {
          const rows = r.tables[spec.name].rows;
          let last: number | string | null = null;
          for (const row of rows) {
            if (row[si] !== null && (last === null || compareIndex([row[si]], [last]) > 0)) last = row[si];
          }
          if (last === null) continue;
          for (const row of rows) {
            if (row[si] !== last) continue;
            const v = row[mi];
            if (v === null || typeof v !== "number") continue;
            const index = idxCols.map((c) => (c === spec.step ? null : row[pos(c)]));
            const k = JSON.stringify(index);
            if (!finals.has(k)) finals.set(k, { index, values: [], steps: new Set() });
            finals.get(k)!.values.push(v);
            finals.get(k)!.steps.add(last);
          }
        }
        for (const g of [...finals.values()].sort((a, b) => compareIndex(a.index, b.index))) {
          const d = describe(g.values, confidence);
          const index = Object.fromEntries(idxCols.map((c, i) => [c, g.index[i]]));
          if (g.steps.size === 1) index[spec.step] = [...g.steps][0] as number | string;
          out.push({ table: spec.name, cell, labels, metric, at: "final", index, ...d });
        }
      }
    }
  }
  return out;
}

/** CSV text of one table's summary rows (columns documented in docs/guide.md). */
export function summaryCsv(spec: TableSpec, axes: string[], rows: SummaryRow[], confidence: number): string {
  const idxCols = spec.columns.filter((c) => c.role === "index").map((c) => c.name);
  const header = [
    "cell",
    ...axes,
    "metric",
    "at",
    ...idxCols,
    "n",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "ci_level",
    "median",
    "q25",
    "q75",
    "min",
    "max",
  ];
  const cell = (v: number | string | null) => (v === null ? "" : typeof v === "number" ? formatF64(v) : v);
  const body = rows.filter((r) => r.table === spec.name).map((r) => [
    r.cell,
    ...axes.map((a) => r.labels[a] ?? ""),
    r.metric,
    r.at,
    ...idxCols.map((c) => cell(r.index[c] ?? null)),
    String(r.n),
    formatF64(r.mean),
    r.std === null ? "" : formatF64(r.std),
    r.ci === null ? "" : formatF64(r.ci[0]),
    r.ci === null ? "" : formatF64(r.ci[1]),
    String(confidence),
    formatF64(r.median),
    formatF64(r.q25),
    formatF64(r.q75),
    formatF64(r.min),
    formatF64(r.max),
  ]);
  return stringify([header, ...body], { record_delimiter: "\n" });
}

/** Reads a profile's summary files back (what `deno task plot` draws from). */
export async function readSummaryCsv(plan: Plan, profileDirPath: string): Promise<SummaryRow[]> {
  const out: SummaryRow[] = [];
  for (const spec of plan.tables) {
    if (spec.summarize === false) continue;
    const file = join(profileDirPath, spec.name === "metrics" ? "summary.csv" : `summary.${spec.name}.csv`);
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw new Error(`${file} does not exist; run reproduce first`);
      throw e;
    }
    const { header, rows } = parseCsv(text, file);
    const idxCols = spec.columns.filter((c) => c.role === "index");
    const col = (n: string) => {
      const i = header.indexOf(n);
      if (i < 0) throw new Error(`${file} lacks column '${n}'`);
      return i;
    };
    const num = (v: string) => (v === "" ? null : Number(v));
    for (const r of rows) {
      const std = num(r[col("std")]);
      const lo = num(r[col("ci_low")]), hi = num(r[col("ci_high")]);
      out.push({
        table: spec.name,
        cell: r[col("cell")],
        labels: Object.fromEntries(plan.axes.map((a) => [a, r[col(a)]])),
        metric: r[col("metric")],
        at: r[col("at")] as "each" | "final",
        index: Object.fromEntries(idxCols.map((c) => {
          const v = r[col(c.name)];
          return [c.name, v === "" ? null : c.type === "str" || c.type === "bool" ? v : Number(v)];
        })),
        n: Number(r[col("n")]),
        mean: Number(r[col("mean")]),
        std,
        ci: lo === null || hi === null ? null : [lo, hi],
        median: Number(r[col("median")]),
        q25: Number(r[col("q25")]),
        q75: Number(r[col("q75")]),
        min: Number(r[col("min")]),
        max: Number(r[col("max")]),
      });
    }
  }
  return out;
}

/**
 * A text table of final values per cell: one row per cell, one column per
 * metric, "mean [ci_low, ci_high]" over seeds (the pipeline's `evaluation.report`).
 */
export function reportTable(plan: Plan, summary: SummaryRow[], metrics: string[]): string {
  const level = Math.round(plan.pipeline.data.evaluation.confidence * 100);
  const { header, rows } = finalValues(plan, summary, metrics);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [
    `Final values (mean [${level}% CI] over seeds):`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}

/** Final values per cell as text: header (cell, seeds, metrics) and one row per cell, "mean [ci_low, ci_high]". */
export function finalValues(
  plan: Plan,
  summary: SummaryRow[],
  metrics: string[],
): { header: string[]; rows: string[][] } {
  const cells = [...new Map(plan.runs.map((r) => [r.cell, r.labels])).keys()];
  const fmt = (v: number) => Number(v.toPrecision(4)).toString();
  const rows = cells.map((cell) => {
    let n = 0;
    const values = metrics.map((m) => {
      const r = summary.find((s) => s.table === "metrics" && s.cell === cell && s.metric === m && s.at === "final");
      if (!r) return "-";
      n = Math.max(n, r.n);
      return r.ci ? `${fmt(r.mean)} [${fmt(r.ci[0])}, ${fmt(r.ci[1])}]` : fmt(r.mean);
    });
    return [cell, String(n), ...values];
  });
  return { header: ["cell", "seeds", ...metrics], rows };
}
