/**
 * `kind: heatmap`: a metric's value (mean over seeds, or one picked run) over
 * two index columns, `x` across and `rows` down, with its axes' labels and
 * ticks thinned to about ten each.
 *
 * @example
 * ```yaml
 * - id: action-raster
 *   kind: heatmap
 *   title: Fraction of seeds choosing arm 2
 *   table: raster
 *   y: arm2
 *   x: t
 *   rows: p1
 *   y_label: p1
 * ```
 * @module
 */
import { z } from "zod";
import { columnCheck } from "../check.ts";
import type { PlotKind } from "../types.ts";
import { matches } from "../values.ts";
import {
  baseSpec,
  checkPlotBase,
  columnTitle,
  pickRuns,
  type PlotBase,
  plotBase,
  thinnedValues,
  ys,
} from "./common.ts";

/** The schema of a heatmap. */
export const HeatmapPlotSchema = z.strictObject({
  kind: z.literal("heatmap"),
  ...plotBase,
  x: z.string().describe("the index column across"),
  rows: z.string().describe("the index column down"),
  domain: z.tuple([z.number(), z.number()]).default([0, 1]).describe("the colour scale's range of values"),
});

/** A heatmap, parsed. */
export type HeatmapPlot = z.infer<typeof HeatmapPlotSchema> & PlotBase;

/** The heatmap kind. */
export const heatmapPlot: PlotKind<HeatmapPlot> = {
  kind: "heatmap",
  schema: HeatmapPlotSchema as unknown as z.ZodType<HeatmapPlot>,
  doc: "a metric over two index columns, as colour",
  check(plot, at, ctx) {
    checkPlotBase(plot, at, ctx);
    columnCheck(ctx, [...at, "x"], plot.table, plot.x, "index");
    columnCheck(ctx, [...at, "rows"], plot.table, plot.rows, "index");
  },
  build(plot, ctx) {
    const metric = ys(plot)[0];
    let cells: { x: number; row: number | string; value: number }[];
    let sub: string;
    if (plot.runs) {
      const picked = pickRuns(plot, ctx)[0];
      if (!picked) return { type: "skip", reason: "no run matches the plot's cells" };
      const t = picked.run.tables[plot.table];
      cells = t.rows.map((row) => Object.fromEntries(t.header.map((h, i) => [h, row[i]])))
        .filter((v) => !plot.index || matches(v, plot.index))
        .map((v) => ({ x: Number(v[plot.x]), row: v[plot.rows] as number, value: Number(v[metric]) }));
      sub = `${ctx.pipeline} · profile ${ctx.profile} · ${picked.label}`;
    } else {
      const rows = ctx.summary.filter((r) =>
        r.table === plot.table && r.metric === metric && r.at === "each" && matches(r.labels, plot.where) &&
        (!plot.index || matches(r.index, plot.index))
      );
      cells = rows.map((r) => ({ x: Number(r.index[plot.x]), row: r.index[plot.rows] as number, value: r.mean }));
      const seeds = Math.max(0, ...rows.map((r) => r.n));
      sub = `${ctx.pipeline} · profile ${ctx.profile} · mean over ${seeds} seed${seeds === 1 ? "" : "s"}`;
    }
    if (cells.length === 0) return { type: "skip", reason: "no values to draw" };
    const xs = [...new Set(cells.map((c) => c.x))].sort((a, b) => a - b);
    const rowValues = [...new Set(cells.map((c) => c.row))].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    const xCol = ctx.tables.find((t) => t.name === plot.table)!.columns.find((c) => c.name === plot.x);
    return {
      type: "vega-lite",
      spec: {
        ...baseSpec(plot.title, sub),
        data: { values: cells },
        mark: { type: "rect" },
        encoding: {
          x: {
            field: "x",
            type: "ordinal",
            title: plot.x_label ?? columnTitle(plot.x, xCol?.unit),
            axis: { values: thinnedValues(xs), labelAngle: 0 },
          },
          y: {
            field: "row",
            type: "ordinal",
            title: plot.y_label,
            sort: "descending",
            axis: { values: thinnedValues(rowValues) },
          },
          color: {
            field: "value",
            type: "quantitative",
            title: metric,
            scale: { scheme: "blueorange", domain: plot.domain },
          },
        },
      },
    };
  },
};
