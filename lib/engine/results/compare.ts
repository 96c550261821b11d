/**
 * Comparing the results of two machines (or two runs of one machine), by
 * their bytes.
 *
 * Each side is a results folder (every run.json and hashes.csv below it,
 * committed reference folders left out unless the side is one) or one
 * hashes.csv file. Every run whose files are present is checked first: each
 * file its run.json lists is hashed again, and a run whose bytes differ from
 * its own record (an edited metrics.csv, a hashes.csv row that does not match
 * its run) is reported CORRUPT, naming the file and the side. Runs are then
 * paired by run key, or (`match: "config"`) by everything that determines
 * them except the code digest: experiment and version, resolved config,
 * seed and datasets, and the backend and runtime versions unless `ignore`
 * names them. A pair is identical when its result and outputs hashes agree;
 * for a different pair whose CSV files are on both sides, the report gives
 * the first differing row of each table and the largest absolute and
 * relative difference per column, by header.
 *
 * @example
 * ```ts
 * import { compareResults, formatReport } from "./compare.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // Your results against another machine's: compareResults("results", "other/results", ...).
 * const ref = "results/reference/hnca-bandit/smoke";
 * const report = await compareResults(`${ref}/hashes.csv`, ref, { tolerance: 0, match: "config", ignore: [] });
 * assertEquals(report.ok, true); // when they share runs, every shared run is identical and nothing is corrupt
 * formatReport(report).startsWith("Matched 4 runs by config and seed: 4 identical"); // true
 * ```
 * @module
 */
import { basename, dirname, join, resolve, sep } from "node:path";
import { exists } from "../../util/atomic.ts";
import { sha256Hex } from "../../util/hash.ts";
import { configHash, outputsManifest, referenceRunDir, type RunRecord, RUNS_DIR, versionsText } from "./layout.ts";
import { parseCsv } from "./tables.ts";

/** One run as seen on one side. */
export interface RunEntry {
  key: string;
  pipeline: string;
  profile: string | null;
  cell: string;
  seed: number;
  result_hash: string;
  outputs_hash: string | null;
  backend: string | null;
  versions: string | null;
  /** Hash of what determines the run but the code digest, backend and versions (null for old hashes.csv files). */
  config_hash: string | null;
  /** Folder with the run's files, when they are present. */
  dir: string | null;
  /** The files its hashes cover (run.json's outputs, file -> SHA-256); null when unknown. */
  files: Record<string, string> | null;
  key_parts: unknown;
  /** Where this entry was read from (a run.json or a hashes.csv). */
  source: string;
}

/** A run whose bytes do not match its own record. */
export interface Corruption {
  side: "a" | "b";
  entry: RunEntry;
  /** The file that does not match, and what does not. */
  file: string;
  problem: string;
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
  status: "identical" | "within tolerance" | "different" | "corrupt";
  tables: TableDiff[];
  /** Key parts that differ (config matching only). */
  key_differences: string[];
}

/** What `match: "config"` may leave out of the pairing besides the code digest. */
export type Ignorable = "backend" | "versions";

/** The whole comparison. */
export interface CompareReport {
  pairs: PairResult[];
  onlyA: RunEntry[];
  onlyB: RunEntry[];
  corrupt: Corruption[];
  match: "key" | "config";
  ignore: Ignorable[];
  tolerance: number;
  /** Notes on how runs were paired (old hashes.csv files without config hashes). */
  notes: string[];
  /** At least one shared run, every shared run identical or within tolerance, nothing corrupt. */
  ok: boolean;
}

/** Options of compareResults. */
export interface CompareOptions {
  /** Largest absolute difference still counted as equal (needs CSVs on both sides). */
  tolerance: number;
  /** key: by run key; config: by what determines the run except the code digest (`cell` is accepted as an alias). */
  match: "key" | "config" | "cell";
  /** With match config: also pair runs that differ in these. */
  ignore?: Ignorable[];
}

async function runEntryFromRecord(r: RunRecord, dir: string, source: string): Promise<RunEntry> {
  return {
    key: r.key,
    pipeline: r.pipeline,
    profile: r.profile ?? null,
    cell: r.cell,
    seed: r.seed,
    result_hash: r.result_hash,
    outputs_hash: r.outputs_hash ?? null,
    backend: r.key_parts?.backend ?? r.backend?.name ?? null,
    versions: r.key_parts?.versions ? versionsText(r.key_parts.versions) : null,
    config_hash: r.key_parts ? await configHash(r.key_parts) : null,
    dir,
    files: r.outputs ?? null,
    key_parts: r.key_parts ?? null,
    source,
  };
}

async function readRecord(dir: string): Promise<RunRecord | null> {
  try {
    const r = JSON.parse(await Deno.readTextFile(join(dir, "run.json"))) as RunRecord;
    return r.status === "complete" ? r : null;
  } catch {
    return null;
  }
}

async function readHashesCsv(file: string): Promise<RunEntry[]> {
  const { header, rows } = parseCsv(await Deno.readTextFile(file), file);
  const col = (n: string) => header.indexOf(n);
  for (const need of ["run_key", "cell", "seed", "result_hash"]) {
    if (col(need) < 0) throw new Error(`${file} lacks the column '${need}' (columns: ${header.join(", ")})`);
  }
  // hashes.csv sits in <results>/<pipeline>/<profile>/, runs in <results>/runs/<key>/; a committed reference
  // keeps its runs' files beside it in runs/<cell>-seed<k>/.
  const profileDirPath = dirname(file);
  const pipelineDir = dirname(profileDirPath);
  const out: RunEntry[] = [];
  for (const r of rows) {
    const key = r[col("run_key")];
    const cell = r[col("cell")], seed = Number(r[col("seed")]);
    const get = (n: string) => (col(n) >= 0 && r[col(n)] !== "" ? r[col(n)] : null);
    let dir: string | null = null;
    for (const candidate of [join(dirname(pipelineDir), RUNS_DIR, key), referenceRunDir(profileDirPath, cell, seed)]) {
      if (await exists(join(candidate, "run.json"))) {
        dir = candidate;
        break;
      }
    }
    const record = dir ? await readRecord(dir) : null;
    out.push({
      key,
      pipeline: get("pipeline") ?? basename(pipelineDir),
      profile: get("profile"),
      cell,
      seed,
      result_hash: r[col("result_hash")],
      outputs_hash: get("outputs_hash"),
      backend: get("backend"),
      versions: get("versions"),
      config_hash: get("config_hash"),
      dir: record && record.key === key ? dir : null,
      files: record && record.key === key ? record.outputs : null,
      key_parts: record?.key_parts ?? null,
      source: file,
    });
  }
  return out;
}

function isReferencePath(path: string): boolean {
  return resolve(path).split(sep).includes("reference");
}

async function walk(dir: string, out: string[], depth: number, skipReference: boolean): Promise<void> {
  if (depth > 7) return;
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      if (skipReference && e.name === "reference") continue;
      await walk(p, out, depth + 1, skipReference);
    } else if (e.isFile && (e.name === "run.json" || e.name === "hashes.csv")) out.push(p);
  }
}

/**
 * Reads every run on one side (a folder or a hashes.csv file). Committed
 * reference folders below a results folder are left out, unless the side
 * itself is a reference folder.
 */
export async function readSide(path: string): Promise<RunEntry[]> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    throw new Error(`${path} does not exist; give a results folder or a hashes.csv file`);
  }
  if (stat.isFile) return await readHashesCsv(path);
  const files: string[] = [];
  await walk(path, files, 0, !isReferencePath(path));
  const byKey = new Map<string, RunEntry>();
  const csvEntries: RunEntry[] = [];
  for (const f of files.filter((f) => basename(f) === "run.json")) {
    // A committed reference run is reached through its hashes.csv (which names its profile).
    if (basename(dirname(dirname(f))) === "runs" && isReferencePath(f)) continue;
    const r = await readRecord(dirname(f));
    if (r) byKey.set(r.key, await runEntryFromRecord(r, dirname(f), f));
  }
  for (const f of files.filter((f) => basename(f) === "hashes.csv")) {
    for (const e of await readHashesCsv(f)) {
      const known = byKey.get(e.key);
      if (!known) byKey.set(e.key, e);
      else if (known.result_hash !== e.result_hash) csvEntries.push(e); // checked below: a stale or edited row
    }
  }
  if (byKey.size === 0) throw new Error(`${path} holds no completed runs (no run.json or hashes.csv below it)`);
  return [...byKey.values(), ...csvEntries];
}

/**
 * Checks a run's bytes against its record: every present file of run.json's
 * outputs hashes to its recorded value, the result hash is metrics.csv's,
 * the outputs hash is the manifest's, and a hashes.csv row agrees with its
 * run.json. Returns the problems found.
 */
export async function verifyEntry(e: RunEntry): Promise<{ file: string; problem: string }[]> {
  if (!e.dir) return [];
  const problems: { file: string; problem: string }[] = [];
  const record = await readRecord(e.dir);
  if (!record) return [{ file: join(e.dir, "run.json"), problem: "run.json is missing or not a complete run" }];
  if (record.result_hash !== e.result_hash || (e.outputs_hash !== null && record.outputs_hash !== e.outputs_hash)) {
    problems.push({
      file: e.source,
      problem: `lists result hash ${e.result_hash.slice(0, 16)}, but the run's run.json records ${
        record.result_hash.slice(0, 16)
      }`,
    });
  }
  const outputs = record.outputs ?? {};
  if (outputs["metrics.csv"] !== record.result_hash) {
    problems.push({
      file: join(e.dir, "run.json"),
      problem: "its result hash is not the hash of metrics.csv it records",
    });
  }
  if (record.outputs_hash && (await sha256Hex(outputsManifest(outputs))) !== record.outputs_hash) {
    problems.push({
      file: join(e.dir, "run.json"),
      problem: "its outputs hash is not the hash of its outputs manifest",
    });
  }
  for (const [file, want] of Object.entries(outputs)) {
    const path = join(e.dir, file);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch {
      if (file === "metrics.csv") problems.push({ file: path, problem: "is missing" });
      continue; // a committed reference keeps only its small files
    }
    const got = await sha256Hex(bytes);
    if (got !== want) {
      problems.push({
        file: path,
        problem: `has SHA-256 ${got.slice(0, 16)}, its run.json records ${want.slice(0, 16)}`,
      });
    }
  }
  return problems;
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

/** Compares two CSV texts of one table: first differing row and per-column differences, by header. */
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
  const stats = a.header.map((column) => ({ column, max_abs: 0, max_rel: 0, numeric: false, text: false }));
  for (let i = 0; i < n; i++) {
    const ra = a.rows[i], rb = b.rows[i];
    if (!ra || !rb) {
      first ??= { row: i + 1, a: ra?.join(",") ?? "(no row)", b: rb?.join(",") ?? "(no row)" };
      continue;
    }
    if (ra.join(",") !== rb.join(",")) first ??= { row: i + 1, a: ra.join(","), b: rb.join(",") };
    for (let j = 0; j < ra.length; j++) {
      const x = Number(ra[j]), y = Number(rb[j]);
      if (ra[j] === "" || rb[j] === "" || Number.isNaN(x) || Number.isNaN(y)) {
        if (ra[j] !== rb[j]) stats[j].text = true;
        continue;
      }
      stats[j].numeric = true;
      const d = Math.abs(x - y);
      const scale = Math.max(Math.abs(x), Math.abs(y));
      stats[j].max_abs = Math.max(stats[j].max_abs, d);
      stats[j].max_rel = Math.max(stats[j].max_rel, scale > 0 ? d / scale : 0);
    }
  }
  const textCols = stats.filter((s) => s.text).map((s) => s.column);
  const notes = [
    a.rows.length !== b.rows.length ? `${a.rows.length} rows vs ${b.rows.length}` : "",
    textCols.length ? `text differs in ${textCols.join(", ")}` : "",
  ].filter(Boolean);
  return {
    file,
    first_row: first,
    columns: stats.filter((s) => s.numeric && s.max_abs > 0).map(({ column, max_abs, max_rel }) => ({
      column,
      max_abs,
      max_rel,
    })),
    ...(notes.length ? { note: notes.join("; ") } : {}),
  };
}

async function csvFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && e.name.endsWith(".csv")) out.push(e.name);
  return out.sort();
}

/** Two runs' bytes: identical by their hashes, else each table's first differing row and largest differences. */
async function comparePair(
  a: RunEntry,
  b: RunEntry,
  tolerance: number,
): Promise<{ status: PairResult["status"]; tables: TableDiff[] }> {
  const same = a.result_hash === b.result_hash &&
    (a.outputs_hash === null || b.outputs_hash === null || a.outputs_hash === b.outputs_hash);
  const tables: TableDiff[] = [];
  if (same) return { status: "identical", tables };
  if (!a.dir || !b.dir) return { status: "different", tables };
  const known = a.files ? Object.keys(a.files) : null;
  const files = (await csvFiles(a.dir)).filter((f) => known === null || known.includes(f));
  let withinTolerance = tolerance > 0;
  for (const f of files) {
    if (!(await exists(join(b.dir, f)))) {
      tables.push({ file: f, first_row: null, columns: [], note: "not on side b" });
      if (f === "metrics.csv") withinTolerance = false;
      continue;
    }
    const d = diffTables(f, await Deno.readTextFile(join(a.dir, f)), await Deno.readTextFile(join(b.dir, f)));
    if (d.first_row || d.note) tables.push(d);
    if (d.note || d.columns.some((c) => c.max_abs > tolerance)) withinTolerance = false;
    if (d.first_row && d.columns.length === 0 && !d.note) withinTolerance = false; // text differs, not numbers
  }
  return { status: withinTolerance ? "within tolerance" : "different", tables };
}

/** Compares two sides. */
export async function compareResults(pathA: string, pathB: string, options: CompareOptions): Promise<CompareReport> {
  const match = options.match === "key" ? "key" : "config";
  const ignore = options.ignore ?? [];
  const [sideA, sideB] = [await readSide(pathA), await readSide(pathB)];
  const notes: string[] = [];
  const corrupt: Corruption[] = [];
  const bad = new Set<RunEntry>();
  for (const [side, entries] of [["a", sideA], ["b", sideB]] as const) {
    for (const e of entries) {
      for (const p of await verifyEntry(e)) {
        corrupt.push({ side, entry: e, ...p });
        bad.add(e);
      }
    }
  }
  const oldFormat = match === "config" && [...sideA, ...sideB].some((e) => e.config_hash === null);
  if (oldFormat) {
    notes.push(
      "some runs have no config hash (a hashes.csv from before it was recorded): pairing by pipeline, profile, cell and seed",
    );
  }
  const id = (e: RunEntry) =>
    match === "key"
      ? e.key
      : oldFormat
      ? `${e.pipeline}|${e.profile}|${e.cell}|${e.seed}`
      : [e.config_hash, ignore.includes("backend") ? "" : e.backend, ignore.includes("versions") ? "" : e.versions]
        .join(
          "|",
        );
  // A hashes.csv row that disagrees with its own run.json is reported above, not paired twice.
  const usable = (list: RunEntry[]) => {
    const seen = new Map<string, RunEntry>();
    for (const e of list) if (!seen.has(id(e)) || bad.has(seen.get(id(e))!)) seen.set(id(e), e);
    return [...seen.values()];
  };
  const listA = usable(sideA), listB = usable(sideB);
  const mapB = new Map(listB.map((e) => [id(e), e]));
  const pairs: PairResult[] = [];
  const onlyA: RunEntry[] = [];
  const seenB = new Set<string>();
  for (const a of listA) {
    const b = mapB.get(id(a));
    if (!b) {
      onlyA.push(a);
      continue;
    }
    seenB.add(id(a));
    const key_differences: string[] = [];
    if (a.key !== b.key && a.key_parts && b.key_parts) leafDiffs(a.key_parts, b.key_parts, "", key_differences);
    if (bad.has(a) || bad.has(b)) {
      pairs.push({ a, b, status: "corrupt", tables: [], key_differences });
      continue;
    }
    pairs.push({ a, b, ...await comparePair(a, b, options.tolerance), key_differences });
  }
  const onlyB = listB.filter((e) => !seenB.has(id(e)));
  const ok = pairs.length > 0 && corrupt.length === 0 &&
    pairs.every((p) => p.status === "identical" || p.status === "within tolerance");
  return { pairs, onlyA, onlyB, corrupt, match, ignore, tolerance: options.tolerance, notes, ok };
}

function g(x: number): string {
  return x === 0 ? "0" : x.toPrecision(3);
}

function what(e: RunEntry): string {
  return `${e.pipeline}${e.profile ? ` (${e.profile})` : ""} ${e.cell} seed ${e.seed}`;
}

/** A human-readable report. */
export function formatReport(r: CompareReport, labels: [string, string] = ["a", "b"]): string {
  const lines: string[] = [];
  const count = (s: string) => r.pairs.filter((p) => p.status === s).length;
  const by = r.match === "key"
    ? "run key"
    : `config and seed${r.ignore.length ? ` (ignoring ${r.ignore.join(" and ")})` : ""}`;
  lines.push(
    `Matched ${r.pairs.length} runs by ${by}: ` +
      `${count("identical")} identical, ${count("within tolerance")} within tolerance ${g(r.tolerance)}, ${
        count("different")
      } different, ${count("corrupt")} corrupt; ` +
      `${r.onlyA.length} only in ${labels[0]}, ${r.onlyB.length} only in ${labels[1]}.`,
  );
  for (const n of r.notes) lines.push(`Note: ${n}.`);
  for (const c of r.corrupt) {
    lines.push("");
    lines.push(`CORRUPT (${c.side === "a" ? labels[0] : labels[1]}): ${what(c.entry)}: ${c.file} ${c.problem}`);
  }
  for (const p of r.pairs.filter((p) => p.status !== "identical" && p.status !== "corrupt")) {
    lines.push("");
    lines.push(`${p.status.toUpperCase()}: ${what(p.a)} (key ${p.a.key.slice(0, 12)})`);
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
    for (const e of side.slice(0, 20)) lines.push(`  ${what(e)} (key ${e.key.slice(0, 12)})`);
    if (side.length > 20) lines.push(`  ... and ${side.length - 20} more`);
  };
  listOnly(r.onlyA, labels[0]);
  listOnly(r.onlyB, labels[1]);
  if (r.pairs.length === 0) {
    lines.push("");
    lines.push(
      r.match === "key"
        ? "No run in common. If both sides ran the same pipeline and profile, their keys differ (code or runtime versions); try --match config."
        : "No run in common: the two sides ran different configs or seeds (or, unless --ignore names them, backends or runtime versions).",
    );
  }
  return lines.join("\n");
}
