/**
 * Per-seed values of a metric, grouped by cell and index point: what claims
 * test and what run-level figures draw. A group holds one value per seed (a
 * run that reports several rows at one point is an error of the pipeline's
 * selector, reported as such).
 *
 * `at` picks rows along a table's step column: `final` each run's last step
 * (the step is then not part of the point, so runs that ended at different
 * steps are compared at their ends), `first` each run's first step (the same
 * way), `every` each step, a number that step.
 * Tables without a step column ignore `at`.
 *
 * @example
 * ```ts
 * import type { ReportContext } from "./types.ts";
 * const runs = [0, 1].map((seed) => ({
 *   cell: "x=a",
 *   labels: { x: "a" },
 *   seed,
 *   tables: { metrics: { header: ["epoch", "loss"], rows: [[1, 0.5 + seed], [2, 0.25 + seed]] } },
 * }));
 * const ctx: ReportContext = {
 *   pipeline: "demo",
 *   profile: "smoke",
 *   axes: ["x"],
 *   cells: [{ id: "x=a", labels: { x: "a" } }],
 *   tables: [{
 *     name: "metrics",
 *     doc: "",
 *     step: "epoch",
 *     columns: [
 *       { name: "epoch", type: "int", role: "index", doc: "" },
 *       { name: "loss", type: "f64", role: "metric", doc: "" },
 *     ],
 *   }],
 *   confidence: 0.95,
 *   level: 0.05,
 *   summary: [],
 *   runs,
 * };
 * import { seedGroups } from "./values.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const [g] = seedGroups(ctx, { table: "metrics", metric: "loss", at: "final" });
 * assertEquals([...g.values], [[0, 0.25], [1, 1.25]]); // seed -> the loss at each run's last epoch
 * ```
 * @module
 */
import type { CellValue, Labels, ReportContext, RunTables } from "./types.ts";

/** Where claims and figures read their values. */
export interface ValueSelector {
  table: string;
  metric: string;
  at: "final" | "first" | "every" | number;
  /** Cells, by axis value (all when empty). */
  cells?: Record<string, unknown>;
  /** Index columns fixed to a value. */
  index?: Record<string, unknown>;
}

/** Per-seed values of one cell at one index point. */
export interface SeedGroup {
  cell: string;
  labels: Labels;
  /** The index columns that are not fixed by the selector (the step is left out for `final`). */
  point: Record<string, CellValue>;
  /** Seed -> value, in seed order. */
  values: Map<number, number>;
}

/** True when every key of `sel` has that value in `values` (compared as strings). */
export function matches(values: Record<string, unknown>, sel: Record<string, unknown> = {}): boolean {
  return Object.entries(sel).every(([k, v]) => String(values[k]) === String(v));
}

function rowsAt(run: RunTables, table: string, step: string | undefined, at: ValueSelector["at"]) {
  const t = run.tables[table];
  if (!t) return { header: [] as string[], rows: [] as CellValue[][] };
  if (!step) return t;
  const si = t.header.indexOf(step);
  if (at === "every") return t;
  let target: number;
  if (at === "final" || at === "first") {
    const sign = at === "final" ? 1 : -1;
    target = -Infinity;
    for (const row of t.rows) {
      if (typeof row[si] === "number" && sign * (row[si] as number) > target) target = sign * (row[si] as number);
    }
    target *= sign;
  } else target = at;
  return { header: t.header, rows: t.rows.filter((row) => row[si] === target) };
}

/** Groups of per-seed values for the selector, in plan cell order, then point order. */
export function seedGroups(ctx: ReportContext, sel: ValueSelector): SeedGroup[] {
  const spec = ctx.tables.find((t) => t.name === sel.table);
  if (!spec) return [];
  const fixed = new Set(Object.keys(sel.index ?? {}));
  const free = spec.columns.filter((c) =>
    c.role === "index" && !fixed.has(c.name) &&
    !((sel.at === "final" || sel.at === "first") && c.name === spec.step)
  ).map((c) => c.name);
  const groups = new Map<string, SeedGroup>();
  const order = new Map(ctx.cells.map((c, i) => [c.id, i]));
  const runs = [...ctx.runs].sort((a, b) => (order.get(a.cell) ?? 0) - (order.get(b.cell) ?? 0) || a.seed - b.seed);
  for (const run of runs) {
    if (!matches(run.labels, sel.cells)) continue;
    const t = rowsAt(run, sel.table, spec.step, sel.at);
    const mi = t.header.indexOf(sel.metric);
    if (mi < 0) continue;
    for (const row of t.rows) {
      const values = Object.fromEntries(t.header.map((h, i) => [h, row[i]]));
      if (!matches(values, sel.index)) continue;
      const v = row[mi];
      if (typeof v !== "number") continue;
      const point = Object.fromEntries(free.map((c) => [c, values[c]]));
      const key = JSON.stringify([run.cell, free.map((c) => values[c])]);
      let g = groups.get(key);
      if (!g) groups.set(key, g = { cell: run.cell, labels: run.labels, point, values: new Map() });
      if (g.values.has(run.seed)) {
        throw new Error(
          `${sel.table}.${sel.metric}: seed ${run.seed} of ${run.cell} has several rows at ${
            JSON.stringify(point)
          }; fix the point with 'index'`,
        );
      }
      g.values.set(run.seed, v);
    }
  }
  return [...groups.values()];
}

/** A point's text for people: "t 100", "final", "epoch 3, cue 1". */
export function pointText(point: Record<string, CellValue>, at: ValueSelector["at"]): string {
  const parts = Object.entries(point).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v}`);
  return (at === "final" || at === "first" ? [at, ...parts] : parts).join(", ");
}

/** The claim's `at`, or "every" for a table without a step column (where `at` does not apply). */
export function stepAt(ctx: ReportContext, c: { table: string; at: ValueSelector["at"] }): ValueSelector["at"] {
  return ctx.tables.find((t) => t.name === c.table)?.step ? c.at : "every";
}

/** Significant digits for people. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : x.toPrecision(4);
}
