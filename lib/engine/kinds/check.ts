/**
 * Reference checks shared by plot and claim kinds: that a table, a column, an
 * index column, an axis and an axis value a pipeline names exist. Each
 * records a located issue through the context.
 *
 * @example
 * ```ts
 * import type { CheckContext } from "./types.ts";
 * import { columnCheck } from "./check.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const issues: string[] = [];
 * const ctx: CheckContext = {
 *   tables: [{ name: "metrics", doc: "", columns: [{ name: "loss", type: "f64", role: "metric", doc: "" }] }],
 *   axes: [],
 *   axisLabels: () => null,
 *   profiles: ["smoke"],
 *   issue: (path, message) => issues.push(`${path.join(".")}: ${message}`),
 * };
 * columnCheck(ctx, ["plots", 0, "y"], "metrics", "accuracy", "metric");
 * assertEquals(issues, ["plots.0.y: table 'metrics' has no column 'accuracy' (columns: loss)"]);
 * ```
 * @module
 */
import { describeValue } from "../../util/errors.ts";
import type { CheckContext, YamlPath } from "./types.ts";

/** The table must exist and have the column, in the given role when one is given. */
export function columnCheck(
  ctx: CheckContext,
  path: YamlPath,
  table: string,
  column: string,
  role?: "metric" | "index",
): void {
  const t = ctx.tables.find((x) => x.name === table);
  if (!t) {
    ctx.issue(path, `unknown table '${table}' (tables: ${ctx.tables.map((x) => x.name).join(", ")})`);
    return;
  }
  const c = t.columns.find((x) => x.name === column);
  if (!c) {
    ctx.issue(path, `table '${table}' has no column '${column}' (columns: ${t.columns.map((x) => x.name).join(", ")})`);
  } else if (role && c.role !== role) {
    ctx.issue(path, `column '${column}' of table '${table}' is an ${c.role} column, not a ${role}`);
  }
}

/** Every key of `index` must be an index column of the table. */
export function indexCheck(ctx: CheckContext, path: YamlPath, table: string, index: Record<string, unknown>): void {
  const t = ctx.tables.find((x) => x.name === table);
  if (!t) return;
  for (const k of Object.keys(index)) {
    if (!t.columns.some((col) => col.name === k && col.role === "index")) {
      ctx.issue([...path, k], `table '${table}' has no index column '${k}'`, true);
    }
  }
}

/** Every key of a cell selector must be an axis, with a value the axis takes in some profile. */
export function selectorCheck(ctx: CheckContext, path: YamlPath, sel: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(sel)) {
    const labels = ctx.axisLabels(k);
    if (!labels) {
      ctx.issue([...path, k], `unknown axis '${k}' (axes: ${ctx.axes.join(", ") || "none"})`, true);
    } else if (!labels.includes(String(v))) {
      ctx.issue([...path, k], `axis '${k}' has no value ${describeValue(v)} (values: ${labels.join(", ")})`);
    }
  }
}

/** Each name must be one of the profile's axes. */
export function axesCheck(ctx: CheckContext, path: YamlPath, names: readonly string[]): void {
  names.forEach((a, j) => {
    if (ctx.axisLabels(a) === null) ctx.issue([...path, j], `unknown axis '${a}'`);
  });
}
