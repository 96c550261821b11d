/**
 * Comparing the results of two machines (or two runs of one machine).
 *
 * Each side is a results folder (every run.json and hashes.csv below it) or
 * one hashes.csv file. Runs are matched by run key (or, with `match: "cell"`,
 * by pipeline, grid cell and seed). A matched pair is identical when its
 * result and outputs hashes agree; for a different pair whose CSV files are
 * on both sides, the report gives the first differing row of each table and
 * the largest absolute and relative difference per column.
 *
 * @example
 * ```ts
 * import { compareResults, formatReport } from "./compare.ts";
 * const report = await compareResults("results/hnca-bandit", "results/reference/hnca-bandit", { tolerance: 0, match: "key" });
 * console.log(formatReport(report));
 * report.ok; // true when every shared run is identical
 * ```
 * @module
 */
import { basename, dirname, join } from "node:path";
import { exists } from "../../util/atomic.ts";
import { type RunRecord, RUNS_DIR } from "./layout.ts";
import { parseCsv } from "./tables.ts";

/** One run as seen on one side. */
export interface RunEntry {
  key: string;
  pipeline: string;
  cell: string;
  seed: number;
  result_hash: string;
  outputs_hash: string | null;
  /** Folder with the run's files, when they are present. */
  dir: string | null;
  /** Files covered by the hashes (deterministic outputs); null when unknown. */
  files: string[] | null;
  key_parts: unknown;
}

/** Difference of one column between two versions of a table. */
export interface ColumnDiff {
  column: string;
  max_abs: number;
  max_rel: number;
}

/** Difference of one table file. */
export interface TableDiff {
  file: string;
  /** 1-based data row of the first difference, with both sides' text. */
  first_row: { row: number; a: string; b: string } | null;
  columns: ColumnDiff[];
  note?: string;
}

/** One matched pair. */
export interface PairResult {
  a: RunEntry;
  b: RunEntry;
  status: "identical" | "within tolerance" | "different";
  tables: TableDiff[];
  /** Key parts that differ (cell matching only). */
  key_differences: string[];
}

/** The whole comparison. */
export interface CompareReport {
  pairs: PairResult[];
  onlyA: RunEntry[];
  onlyB: RunEntry[];
  match: "key" | "cell";
  tolerance: number;
  /** Every shared run identical or within tolerance, and at least one shared run. */
  ok: boolean;
}

/** Options of compareResults. */
export interface CompareOptions {
  /** Largest absolute difference still counted as equal (needs CSVs on both sides). */
  tolerance: number;
  match: "key" | "cell";
}

async function readHashesCsv(file: string): Promise<RunEntry[]> {
  const { header, rows } = parseCsv(await Deno.readTextFile(file), file);
  const col = (n: string) => header.indexOf(n);
  for (const need of ["run_key", "cell", "seed", "result_hash"]) {
    if (col(need) < 0) throw new Error(`${file} lacks the column '${need}' (columns: ${header.join(", ")})`);
  }
  // hashes.csv sits in results/<pipeline>/<profile>/; runs sit in results/<pipeline>/<key>/.
  const pipelineDir = dirname(dirname(file));
  const out: RunEntry[] = [];
  for (const r of rows) {
    const key = r[col("run_key")];
    const dir = join(dirname(pipelineDir), RUNS_DIR, key);
    out.push({
      key,
      pipeline: col("pipeline") >= 0 ? r[col("pipeline")] : basename(pipelineDir),
      cell: r[col("cell")],
      seed: Number(r[col("seed")]),
      result_hash: r[col("result_hash")],
      outputs_hash: col("outputs_hash") >= 0 ? r[col("outputs_hash")] : null,
      dir: await exists(join(dir, "run.json")) ? dir : null,
      files: null,
      key_parts: null,
    });
  }
  return out;
}

async function walk(dir: string, out: string[], depth: number): Promise<void> {
  if (depth > 6) return;
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) await walk(p, out, depth + 1);
    else if (e.isFile && (e.name === "run.json" || e.name === "hashes.csv")) out.push(p);
  }
}

/** Reads every run on one side (a folder or a hashes.csv file). */
export async function readSide(path: string): Promise<RunEntry[]> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    throw new Error(`${path} does not exist; give a results folder or a hashes.csv file`);
  }
  if (stat.isFile) return await readHashesCsv(path);
  const files: string[] = [];
  await walk(path, files, 0);
  const byKey = new Map<string, RunEntry>();
  for (const f of files.filter((f) => basename(f) === "run.json")) {
    const r = JSON.parse(await Deno.readTextFile(f)) as RunRecord;
    if (r.status !== "complete") continue;
    byKey.set(r.key, {
      key: r.key,
      pipeline: r.pipeline,
      cell: r.cell,
      seed: r.seed,
      result_hash: r.result_hash,
      outputs_hash: r.outputs_hash,
      dir: dirname(f),
      files: r.outputs ? Object.keys(r.outputs) : null,
      key_parts: r.key_parts,
    });
  }
  for (const f of files.filter((f) => basename(f) === "hashes.csv")) {
    for (const e of await readHashesCsv(f)) if (!byKey.has(e.key)) byKey.set(e.key, e);
  }
  if (byKey.size === 0) throw new Error(`${path} holds no completed runs (no run.json or hashes.csv below it)`);
  return [...byKey.values()];
}

function leafDiffs(a: unknown, b: unknown, path: string, out: string[]): void {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b as object)]);
    for (const k of [...keys].sort()) {
      leafDiffs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
    }
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
}

/** Compares two CSV texts of one table: first differing row and per-column differences. */
export function diffTables(file: string, textA: string, textB: string): TableDiff {
  const a = parseCsv(textA, `${file} (a)`), b = parseCsv(textB, `${file} (b)`);
  if (a.header.join(",") !== b.header.join(",")) {
    return {
      file,
      first_row: null,
      columns: [],
      note: `columns differ: ${a.header.join(",")} vs ${b.header.join(",")}`,
    };
  }
  let first: TableDiff["first_row"] = null;
  const n = Math.max(a.rows.length, b.rows.length);
  const stats = a.header.map((column) => ({ column, max_abs: 0, max_rel: 0, numeric: false }));
  for (let i = 0; i < n; i++) {
    const ra = a.rows[i], rb = b.rows[i];
    if (!ra || !rb) {
      first ??= { row: i + 1, a: ra?.join(",") ?? "(no row)", b: rb?.join(",") ?? "(no row)" };
      continue;
    }
    if (ra.join(",") !== rb.join(",")) first ??= { row: i + 1, a: ra.join(","), b: rb.join(",") };
    for (let j = 0; j < ra.length; j++) {
      const x = Number(ra[j]), y = Number(rb[j]);
      if (ra[j] === "" || rb[j] === "" || Number.isNaN(x) || Number.isNaN(y)) continue;
      stats[j].numeric = true;
      const d = Math.abs(x - y);
      const scale = Math.max(Math.abs(x), Math.abs(y));
      stats[j].max_abs = Math.max(stats[j].max_abs, d);
      stats[j].max_rel = Math.max(stats[j].max_rel, scale > 0 ? d / scale : 0);
    }
  }
  const note = a.rows.length !== b.rows.length ? `${a.rows.length} rows vs ${b.rows.length}` : undefined;
  return {
    file,
    first_row: first,
    columns: stats.filter((s) => s.numeric && s.max_abs > 0).map(({ column, max_abs, max_rel }) => ({
      column,
      max_abs,
      max_rel,
    })),
    ...(note ? { note } : {}),
  };
}

/** The files a run's hashes cover (run.json's outputs), or null when run.json does not say. */
async function hashedFiles(dir: string): Promise<string[] | null> {
  const record = JSON.parse(await Deno.readTextFile(join(dir, "run.json"))) as { outputs?: Record<string, string> };
  return record.outputs ? Object.keys(record.outputs) : null;
}

async function csvFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && e.name.endsWith(".csv")) out.push(e.name);
  return out.sort();
}

/** Compares two sides. */
export async function compareResults(pathA: string, pathB: string, options: CompareOptions): Promise<CompareReport> {
  const [sideA, sideB] = [await readSide(pathA), await readSide(pathB)];
  const id = (e: RunEntry) => (options.match === "key" ? e.key : `${e.pipeline}|${e.cell}|${e.seed}`);
  const mapB = new Map(sideB.map((e) => [id(e), e]));
  const pairs: PairResult[] = [];
  const onlyA: RunEntry[] = [];
  const seenB = new Set<string>();
  for (const a of sideA) {
    const b = mapB.get(id(a));
    if (!b) {
      onlyA.push(a);
      continue;
    }
    seenB.add(id(a));
    const same = a.result_hash === b.result_hash &&
      (a.outputs_hash === null || b.outputs_hash === null || a.outputs_hash === b.outputs_hash);
    const key_differences: string[] = [];
    if (a.key !== b.key && a.key_parts && b.key_parts) leafDiffs(a.key_parts, b.key_parts, "", key_differences);
    const tables: TableDiff[] = [];
    let status: PairResult["status"] = same ? "identical" : "different";
    if (!same && a.dir && b.dir) {
      const known = a.files ?? await hashedFiles(a.dir);
      const files = (await csvFiles(a.dir)).filter((f) => known === null || known.includes(f));
      let withinTolerance = options.tolerance > 0;
      for (const f of files) {
        if (!(await exists(join(b.dir, f)))) {
          tables.push({ file: f, first_row: null, columns: [], note: "missing on side b" });
          withinTolerance = false;
          continue;
        }
        const d = diffTables(f, await Deno.readTextFile(join(a.dir, f)), await Deno.readTextFile(join(b.dir, f)));
        if (d.first_row || d.note) tables.push(d);
        if (d.note || d.columns.some((c) => c.max_abs > options.tolerance)) withinTolerance = false;
        if (d.first_row && d.columns.length === 0 && !d.note) withinTolerance = false; // text differs, not numbers
      }
      if (withinTolerance) status = "within tolerance";
    }
    pairs.push({ a, b, status, tables, key_differences });
  }
  const onlyB = sideB.filter((e) => !seenB.has(id(e)));
  const ok = pairs.length > 0 && pairs.every((p) => p.status !== "different");
  return { pairs, onlyA, onlyB, match: options.match, tolerance: options.tolerance, ok };
}

function g(x: number): string {
  return x === 0 ? "0" : x.toPrecision(3);
}

/** A human-readable report. */
export function formatReport(r: CompareReport, labels: [string, string] = ["a", "b"]): string {
  const lines: string[] = [];
  const count = (s: string) => r.pairs.filter((p) => p.status === s).length;
  lines.push(
    `Matched ${r.pairs.length} runs by ${r.match === "key" ? "run key" : "pipeline, cell and seed"}: ` +
      `${count("identical")} identical, ${count("within tolerance")} within tolerance ${g(r.tolerance)}, ${
        count("different")
      } different; ` +
      `${r.onlyA.length} only in ${labels[0]}, ${r.onlyB.length} only in ${labels[1]}.`,
  );
  for (const p of r.pairs.filter((p) => p.status !== "identical")) {
    lines.push("");
    lines.push(`${p.status.toUpperCase()}: ${p.a.pipeline} ${p.a.cell} seed ${p.a.seed} (key ${p.a.key.slice(0, 12)})`);
    lines.push(`  result hash ${p.a.result_hash.slice(0, 16)} vs ${p.b.result_hash.slice(0, 16)}`);
    if (!p.a.dir || !p.b.dir) lines.push("  (CSV files not on both sides: only hashes compared)");
    for (const t of p.tables) {
      lines.push(`  ${t.file}${t.note ? ` (${t.note})` : ""}`);
      if (t.first_row) {
        lines.push(`    first difference at data row ${t.first_row.row}:`);
        lines.push(`      ${labels[0]}: ${t.first_row.a}`);
        lines.push(`      ${labels[1]}: ${t.first_row.b}`);
      }
      for (const c of t.columns) {
        lines.push(`    ${c.column}: max |diff| ${g(c.max_abs)}, max relative ${g(c.max_rel)}`);
      }
    }
  }
  for (const p of r.pairs.filter((p) => p.key_differences.length > 0).slice(0, 5)) {
    lines.push("");
    lines.push(`Keys differ for ${p.a.cell} seed ${p.a.seed}: ${p.key_differences.slice(0, 6).join("; ")}`);
  }
  const listOnly = (side: RunEntry[], label: string) => {
    if (side.length === 0) return;
    lines.push("");
    lines.push(`Only in ${label}:`);
    for (const e of side.slice(0, 20)) {
      lines.push(`  ${e.pipeline} ${e.cell} seed ${e.seed} (key ${e.key.slice(0, 12)})`);
    }
    if (side.length > 20) lines.push(`  ... and ${side.length - 20} more`);
  };
  listOnly(r.onlyA, labels[0]);
  listOnly(r.onlyB, labels[1]);
  if (r.pairs.length === 0) {
    lines.push("");
    lines.push(
      r.match === "key"
        ? "No run in common. If both sides ran the same pipeline and profile, their keys differ (runtime or code versions); try --match cell."
        : "No run in common.",
    );
  }
  return lines.join("\n");
}
