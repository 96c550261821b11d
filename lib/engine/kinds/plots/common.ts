/**
 * What plot kinds share: the fields every plot has, their checks, picking
 * individual runs by a final metric, series labels, the look of a figure
 * (font, title and subtitle), and telling series apart without colour (a
 * dash pattern and a marker shape per series).
 *
 * @example
 * ```ts
 * import { seriesName } from "./common.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(seriesName({ estimator: "hnca", baseline: "true" }, ["estimator", "baseline"]), "hnca, true");
 * ```
 * @module
 */
import { z } from "zod";
import { axesCheck, columnCheck, indexCheck, selectorCheck } from "../check.ts";
import type { CheckContext, Labels, ReportContext, RunTables, YamlPath } from "../types.ts";
import { matches } from "../values.ts";

/** The font figures are drawn with (shipped by the dejavu-fonts-ttf package). */
export const FONT_FAMILY = "DejaVu Sans";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected lowercase letters, digits and '-' (a slug)");
const label = z.union([z.string().min(1), z.number(), z.boolean()]);
const indexValues = z.record(z.string(), z.union([z.number(), z.string()]));

/** Which individual runs a figure draws, ranked by a final metric. */
export const RunPickSchema = z.strictObject({
  pick: z.enum(["best", "worst", "best-and-worst", "all"]),
  by: z.strictObject({
    table: z.string(),
    metric: z.string(),
    index: indexValues.optional(),
    lower_is_better: z.boolean().default(true),
  }),
});

/** The fields every plot kind has (spread into each kind's strict object). */
export const plotBase = {
  id: slug,
  title: z.string().min(1),
  table: z.string().default("metrics"),
  y: z.union([z.string(), z.array(z.string()).min(1)]).describe("metric, or metrics drawn together"),
  y_label: z.string().min(1),
  x_label: z.string().optional(),
  where: z.record(z.string(), label).optional().describe("only these cells"),
  index: indexValues.optional().describe("only rows with these index values"),
  color: z.array(z.string()).optional().describe("the axes that tell series apart (default: the axes that vary)"),
  runs: RunPickSchema.optional().describe(
    "draw individual runs, ranked by a final metric, instead of means over seeds",
  ),
};

/** The common fields, parsed. */
export interface PlotBase {
  id: string;
  title: string;
  table: string;
  y: string | string[];
  y_label: string;
  x_label?: string;
  where?: Record<string, string | number | boolean>;
  index?: Record<string, string | number>;
  color?: string[];
  runs?: z.infer<typeof RunPickSchema>;
}

/** The plot's y metrics as a list. */
export function ys(plot: PlotBase): string[] {
  return Array.isArray(plot.y) ? plot.y : [plot.y];
}

/** Checks the references every plot makes. */
export function checkPlotBase(plot: PlotBase, at: YamlPath, ctx: CheckContext): void {
  const list = ys(plot);
  list.forEach((y, j) =>
    columnCheck(ctx, Array.isArray(plot.y) ? [...at, "y", j] : [...at, "y"], plot.table, y, "metric")
  );
  if (plot.index) indexCheck(ctx, [...at, "index"], plot.table, plot.index);
  if (plot.runs) columnCheck(ctx, [...at, "runs", "by", "metric"], plot.runs.by.table, plot.runs.by.metric, "metric");
  axesCheck(ctx, [...at, "color"], plot.color ?? []);
  if (plot.where) selectorCheck(ctx, [...at, "where"], plot.where);
}

/** The axes that vary over the profile's cells. */
export function variedAxes(ctx: ReportContext): string[] {
  return ctx.axes.filter((a) => new Set(ctx.cells.map((c) => c.labels[a])).size > 1);
}

/** The axes whose values name a figure's series. */
export function seriesAxes(plot: PlotBase, ctx: ReportContext): string[] {
  // An axis the plot's `where` fixes names no series apart.
  return plot.color ?? variedAxes(ctx).filter((a) => !(plot.where && a in plot.where));
}

/** A series' name: its axis values, without the axis names (the legend's title holds those). */
export function seriesName(labels: Labels, axes: string[]): string {
  return axes.map((a) => labels[a]).join(", ");
}

/** The legend title for series named by `axes`. */
export function legendTitle(axes: string[], fallback = "series"): string {
  return axes.join(", ") || fallback;
}

/** A run picked for a figure, with its label. */
export interface PickedRun {
  run: RunTables;
  label: string;
}

/** Ranks the runs (of the plot's cells) by their final metric and picks best, worst, both or all. */
export function pickRuns(plot: PlotBase, ctx: ReportContext): PickedRun[] {
  const r = plot.runs!;
  const spec = ctx.tables.find((t) => t.name === r.by.table)!;
  const mi = spec.columns.findIndex((c) => c.name === r.by.metric);
  const si = spec.step ? spec.columns.findIndex((c) => c.name === spec.step) : -1;
  const scored = ctx.runs.filter((run) => matches(run.labels, plot.where)).map((run) => {
    const t = run.tables[r.by.table];
    let rows = t.rows.filter((row) =>
      Object.entries(r.by.index ?? {}).every(([k, v]) => String(row[t.header.indexOf(k)]) === String(v))
    );
    if (si >= 0) {
      const last = Math.max(...rows.map((row) => Number(row[si])));
      rows = rows.filter((row) => Number(row[si]) === last);
    }
    const vals = rows.map((row) => row[mi]).filter((v): v is number => typeof v === "number");
    return { run, score: vals.reduce((a, b) => a + b, 0) / Math.max(1, vals.length) };
  }).filter((x) => Number.isFinite(x.score));
  scored.sort((a, b) => (r.by.lower_is_better ? a.score - b.score : b.score - a.score) || a.run.seed - b.run.seed);
  const label = (x: { run: RunTables; score: number }, what: string) =>
    `${what}seed ${x.run.seed}${x.run.cell === "default" ? "" : ` ${x.run.cell}`}, ${r.by.metric} ${
      Number(x.score.toPrecision(3))
    }`;
  if (scored.length === 0) return [];
  const first = scored[0], last = scored[scored.length - 1];
  switch (r.pick) {
    case "best":
      return [{ run: first.run, label: label(first, "best: ") }];
    case "worst":
      return [{ run: last.run, label: label(last, "worst: ") }];
    case "best-and-worst":
      return scored.length === 1
        ? [{ run: first.run, label: label(first, "only run: ") }]
        : [{ run: first.run, label: label(first, "best: ") }, { run: last.run, label: label(last, "worst: ") }];
    case "all":
      return scored.map((x) => ({ run: x.run, label: label(x, "") }));
  }
}

/** The largest number of seeds behind any summary row of a table. */
export function seedCount(ctx: ReportContext, table: string): number {
  return Math.max(0, ...ctx.summary.filter((r) => r.table === table).map((r) => r.n));
}

/** "hnca-bandit · profile quick · mean and 95% CI over 3 seeds" (no CI for one seed). */
export function subtitle(ctx: ReportContext, what: string, seeds: number, ci = true): string {
  const level = Math.round(ctx.confidence * 100);
  const stat = seeds > 1 && ci
    ? `${what} and ${level}% CI over ${seeds} seeds`
    : `${what} over ${seeds} seed${seeds === 1 ? "" : "s"}`;
  return `${ctx.pipeline} · profile ${ctx.profile} · ${stat}`;
}

/** The common top of a Vega-Lite spec: size, title, fonts, white background. */
export function baseSpec(title: string, sub: string): Record<string, unknown> {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 560,
    height: 340,
    title: { text: title, subtitle: sub },
    config: {
      font: FONT_FAMILY,
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: "#555" },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 360 },
    },
    background: "white",
  };
}

/** Dash patterns that tell up to eight series apart in black and white (then they repeat). */
export const DASHES: number[][] = [[1, 0], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [12, 4, 2, 4, 2, 4], [1, 5], [6, 2]];
/** Marker shapes, likewise. */
export const SHAPES = [
  "circle",
  "square",
  "triangle-up",
  "diamond",
  "cross",
  "triangle-down",
  "triangle-right",
  "wedge",
];

/**
 * Encodings that tell series apart by colour, dash and marker together, one
 * legend: the series names in order.
 */
export function seriesEncodings(series: string[], title: string) {
  const domain = [...new Set(series)];
  // Filled marker shapes in the legend (a dashed outline reads badly); the curves carry the dashes.
  const legend = { orient: "bottom", columns: 2, symbolStrokeWidth: 0, symbolSize: 110, symbolOpacity: 1 };
  return {
    color: { field: "series", type: "nominal", title, scale: { domain }, legend },
    strokeDash: {
      field: "series",
      type: "nominal",
      title,
      scale: { domain, range: domain.map((_, i) => DASHES[i % DASHES.length]) },
      legend,
    },
    shape: {
      field: "series",
      type: "nominal",
      title,
      scale: { domain, range: domain.map((_, i) => SHAPES[i % SHAPES.length]) },
      legend,
    },
  };
}

/** About `count` evenly spaced positions among n points (for markers on long curves). */
export function markerStride(n: number, count = 10): number {
  return Math.max(1, Math.round(n / count));
}

/** Values of an ordinal axis thinned to about `count` labels and ticks. */
export function thinnedValues<T>(values: T[], count = 11): T[] {
  if (values.length <= count) return values;
  const step = Math.ceil((values.length - 1) / (count - 1));
  return values.filter((_, i) => i % step === 0);
}

/** A column's title from its name and unit: "epoch" -> "Epoch", unit in parentheses. */
export function columnTitle(name: string, unit?: string): string {
  return `${name[0].toUpperCase()}${name.slice(1).replaceAll("_", " ")}${unit ? ` (${unit})` : ""}`;
}
