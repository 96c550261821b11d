/**
 * `kind: path`: one metric against another, in index order (a trajectory in
 * a state space), from means over seeds or from picked runs, with optional
 * marks at chosen index or metric values (cue onset, reward).
 *
 * @example
 * ```yaml
 * - id: hidden-trajectory
 *   kind: path
 *   title: Hidden units through a trial
 *   table: trace
 *   x: z1
 *   y: z2
 *   y_label: z2
 *   runs: { pick: best, by: { table: run, metric: rmse } }
 *   marks: [{ label: cue onset, where: { t: 0 } }]
 * ```
 * @module
 */
import { z } from "zod";
import { columnCheck } from "../check.ts";
import type { PlotKind, ReportContext, SummaryRow } from "../types.ts";
import { matches } from "../values.ts";
import {
  baseSpec,
  checkPlotBase,
  legendTitle,
  pickRuns,
  type PlotBase,
  plotBase,
  seedCount,
  seriesAxes,
  seriesEncodings,
  seriesName,
  subtitle,
  ys,
} from "./common.ts";

const indexValues = z.record(z.string(), z.union([z.number(), z.string()]));

/** The schema of a path plot. */
export const PathPlotSchema = z.strictObject({
  kind: z.literal("path"),
  ...plotBase,
  x: z.string().describe("the metric along the x axis"),
  marks: z.array(z.strictObject({ label: z.string(), where: indexValues })).default([])
    .describe("points to mark, by index or metric value (for example {t: 0} for cue onset)"),
});

/** A path plot, parsed. */
export type PathPlot = z.infer<typeof PathPlotSchema> & PlotBase;

interface Point {
  x: number;
  y: number;
  series: string;
  order: number;
  values: Record<string, unknown>;
}

/** Names a point's series from its cell labels, index values and an optional prefix. */
type SeriesNamer = (labels: Record<string, string>, idx: Record<string, unknown>, extra?: string) => string;

/** Points of the picked runs' own rows (plot.runs). */
function runPoints(plot: PathPlot, ctx: ReportContext, y: string, orderCol: string, name: SeriesNamer): Point[] {
  const pts: Point[] = [];
  for (const picked of pickRuns(plot, ctx)) {
    const t = picked.run.tables[plot.table];
    for (const row of t.rows) {
      const values = Object.fromEntries(t.header.map((h, i) => [h, row[i]]));
      if (plot.index && !matches(values, plot.index)) continue;
      pts.push({
        x: Number(values[plot.x]),
        y: Number(values[y]),
        series: name(picked.run.labels, values, picked.label),
        order: Number(values[orderCol]),
        values,
      });
    }
  }
  return pts;
}

/** Points of the summary's means over seeds, one per cell and index value. */
function summaryPoints(plot: PathPlot, ctx: ReportContext, y: string, orderCol: string, name: SeriesNamer): Point[] {
  const byPoint = new Map<string, Record<string, SummaryRow>>();
  for (const r of ctx.summary) {
    if (r.table !== plot.table || r.at !== "each" || !matches(r.labels, plot.where)) continue;
    if (plot.index && !matches(r.index, plot.index)) continue;
    const k = JSON.stringify([r.cell, r.index]);
    if (!byPoint.has(k)) byPoint.set(k, {});
    byPoint.get(k)![r.metric] = r;
  }
  const pts: Point[] = [];
  for (const m of byPoint.values()) {
    const xr = m[plot.x], yr = m[y];
    if (!xr || !yr) continue;
    pts.push({
      x: xr.mean,
      y: yr.mean,
      series: name(xr.labels, xr.index),
      order: Number(xr.index[orderCol]),
      values: { ...xr.index, ...Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.mean])) },
    });
  }
  return pts;
}

/** The path kind. */
export const pathPlot: PlotKind<PathPlot> = {
  kind: "path",
  schema: PathPlotSchema as unknown as z.ZodType<PathPlot>,
  doc: "one metric against another in index order (a trajectory), with marked points",
  check(plot, at, ctx) {
    checkPlotBase(plot, at, ctx);
    columnCheck(ctx, [...at, "x"], plot.table, plot.x, "metric");
    const t = ctx.tables.find((x) => x.name === plot.table);
    plot.marks.forEach((m, j) => {
      for (const k of Object.keys(m.where)) {
        if (t && !t.columns.some((c) => c.name === k)) {
          ctx.issue([...at, "marks", j, "where", k], `table '${plot.table}' has no column '${k}'`, true);
        }
      }
    });
  },
  build(plot, ctx) {
    const table = ctx.tables.find((t) => t.name === plot.table)!;
    const indexCols = table.columns.filter((c) => c.role === "index").map((c) => c.name);
    const orderCol = indexCols[indexCols.length - 1];
    const y = ys(plot)[0];
    const axes = seriesAxes(plot, ctx);
    const free = indexCols.filter((c) => c !== orderCol && !(plot.index && c in plot.index));
    const name = (labels: Record<string, string>, idx: Record<string, unknown>, extra = "") =>
      [extra, seriesName(labels, axes), ...free.map((c) => `${c} ${idx[c]}`)].filter(Boolean).join(", ") || "all";
    const pts = plot.runs ? runPoints(plot, ctx, y, orderCol, name) : summaryPoints(plot, ctx, y, orderCol, name);
    const series = [...new Set(pts.map((p) => p.series))];
    const enc = seriesEncodings(series, plot.runs ? "run" : legendTitle(axes));
    const marks = plot.marks.flatMap((mk) =>
      pts.filter((p) => matches(p.values, mk.where)).map((p) => ({ x: p.x, y: p.y, mark: mk.label }))
    );
    const sub = plot.runs
      ? `${ctx.pipeline} · profile ${ctx.profile} · individual runs ranked by ${plot.runs.by.metric}`
      : subtitle(ctx, "mean", seedCount(ctx, plot.table), false);
    const xEnc = {
      field: "x",
      type: "quantitative",
      title: plot.x_label ?? plot.x,
      scale: { zero: false, nice: true },
    };
    const yEnc = { field: "y", type: "quantitative", title: plot.y_label, scale: { zero: false, nice: true } };
    return {
      type: "vega-lite",
      spec: {
        ...baseSpec(plot.title, sub),
        layer: [
          {
            data: { values: pts.map(({ values: _, ...p }) => p) },
            mark: { type: "line", point: { size: 18, filled: true }, strokeWidth: 1.5 },
            encoding: {
              x: xEnc,
              y: yEnc,
              color: enc.color,
              strokeDash: enc.strokeDash,
              order: { field: "order", type: "quantitative" },
            },
          },
          ...(marks.length
            ? [{
              data: { values: marks },
              mark: { type: "point", size: 160, filled: false, strokeWidth: 2, color: "black", opacity: 1 },
              encoding: {
                x: { field: "x", type: "quantitative" },
                y: { field: "y", type: "quantitative" },
                shape: { field: "mark", type: "nominal", title: "event", legend: { orient: "bottom" } },
              },
            }]
            : []),
        ],
      },
    };
  },
};
