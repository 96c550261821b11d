/**
 * Result tables: checking reported rows against their declared columns, and
 * writing and reading them as CSV with a fixed column order, explicitly
 * formatted numbers, minimal RFC 4180 quoting and "\n" line endings.
 *
 * @example
 * ```ts
 * import { checkRow, toCsv } from "./tables.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const spec = { name: "metrics", doc: "", step: "epoch", columns: [
 *   { name: "epoch", type: "int" as const, role: "index" as const, doc: "" },
 *   { name: "loss", type: "f32" as const, role: "metric" as const, doc: "" },
 * ] };
 * const cells = checkRow(spec, { epoch: 1, loss: Math.fround(0.25) });
 * assertEquals(toCsv(spec, [cells]), "epoch,loss\n1,0.25\n");
 * ```
 * @module
 */
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { describeValue } from "../../util/errors.ts";
import type { Row, TableSpec } from "../experiment.ts";
import { formatValue } from "../../util/format.ts";

/** A metric that is NaN or infinite; the run fails at this step. */
export class NonFiniteMetricError extends Error {
  constructor(
    readonly table: string,
    readonly column: string,
    readonly value: number,
    readonly step: { column: string; value: unknown } | null,
  ) {
    super(
      `Metric '${column}' of table '${table}' is ${value}` +
        (step ? ` at ${step.column} ${step.value}` : ""),
    );
    this.name = "NonFiniteMetricError";
  }
}

/** Checks one row and formats its cells in column order. Throws naming the column and value. */
export function checkRow(spec: TableSpec, row: Row): string[] {
  const known = new Set(spec.columns.map((c) => c.name));
  for (const k of Object.keys(row)) {
    if (!known.has(k)) {
      throw new Error(
        `Table '${spec.name}' has no column '${k}' (columns: ${spec.columns.map((c) => c.name).join(", ")})`,
      );
    }
  }
  const step = spec.step ? { column: spec.step, value: row[spec.step] } : null;
  return spec.columns.map((c) => {
    const v = row[c.name];
    if (v === undefined) throw new Error(`Row for table '${spec.name}' lacks column '${c.name}'`);
    if (v === null) {
      if (!c.nullable) throw new Error(`Column '${c.name}' of table '${spec.name}' is not nullable but got null`);
      return "";
    }
    if (typeof v === "number" && !Number.isFinite(v)) throw new NonFiniteMetricError(spec.name, c.name, v, step);
    try {
      return formatValue(v, c.type);
    } catch (e) {
      throw new Error(
        `Column '${c.name}' of table '${spec.name}': ${(e as Error).message} (value ${describeValue(v)})`,
      );
    }
  });
}

/** The whole CSV text of a table. */
export function toCsv(spec: TableSpec, rows: string[][]): string {
  return stringify([spec.columns.map((c) => c.name), ...rows], { record_delimiter: "\n" });
}

/** Parses CSV text into a header and rows of strings. */
export function parseCsv(text: string, file: string): { header: string[]; rows: string[][] } {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false }) as string[][];
  } catch (e) {
    throw new Error(`${file} is not valid CSV: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new Error(`${file} is empty (no header row)`);
  return { header: records[0], rows: records.slice(1) };
}

/** Validates a set of table specs (unique names, first is metrics, step and columns exist). */
export function checkTableSpecs(specs: TableSpec[], experimentId: string): void {
  if (specs.length === 0 || specs[0].name !== "metrics") {
    throw new Error(`Experiment '${experimentId}' must declare 'metrics' as its first table`);
  }
  const names = new Set<string>();
  for (const t of specs) {
    if (!/^[a-z][a-z0-9_]*$/.test(t.name)) {
      throw new Error(`Table name '${t.name}' of '${experimentId}' must be lowercase snake_case`);
    }
    if (names.has(t.name)) throw new Error(`Experiment '${experimentId}' declares table '${t.name}' twice`);
    names.add(t.name);
    const cols = new Set<string>();
    for (const c of t.columns) {
      if (cols.has(c.name)) throw new Error(`Table '${t.name}' declares column '${c.name}' twice`);
      cols.add(c.name);
    }
    if (t.step && !t.columns.some((c) => c.name === t.step && c.role === "index")) {
      throw new Error(`Table '${t.name}' names step '${t.step}', which is not one of its index columns`);
    }
  }
}
