/**
 * `kind: curve`: a metric against an index (the table's step by default),
 * one line per series (cell, free index values, metric), told apart by
 * colour, dash and marker. Over seeds it draws the mean with its confidence
 * band (`band: ci`), or the median with the interquartile range
 * (`center: median`, `band: iqr`), optionally smoothed by a moving average
 * (`smooth: N` points); with `runs:` it draws picked individual runs.
 * `rules` adds horizontal reference lines (a constant, or the mean of a
 * metric: baselines, a solve threshold); `significance` marks the x positions
 * where two groups of cells differ by a test over seeds.
 *
 * @example
 * ```yaml
 * - id: reward
 *   kind: curve
 *   title: Reward per episode
 *   y: reward
 *   y_label: Reward per episode
 *   center: median
 *   band: iqr
 *   smooth: 20
 *   significance: { cells: { variant: modplast }, than: { variant: plastic }, test: ranksum, level: 0.05 }
 * ```
 * @module
 */
import { z } from "zod";
import { rankSumTest, welchTTest } from "../../../util/stats.ts";
import { columnCheck, indexCheck, selectorCheck } from "../check.ts";
import type { PlotKind, ReportContext, SummaryRow } from "../types.ts";
import { matches, seedGroups } from "../values.ts";
import {
  baseSpec,
  checkPlotBase,
  columnTitle,
  DASHES,
  legendTitle,
  markerStride,
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

const cellSelector = z.record(z.string(), z.union([z.string().min(1), z.number(), z.boolean()]));
const indexValues = z.record(z.string(), z.union([z.number(), z.string()]));

/** A horizontal reference line. */
const RuleSchema = z.strictObject({
  label: z.string().min(1),
  value: z.number().optional().describe("a constant (a threshold from the paper)"),
  table: z.string().optional().describe("or the mean over seeds of a metric of this table"),
  metric: z.string().optional(),
  index: indexValues.default({}),
  where: cellSelector.default({}),
});

/** The schema of a curve plot. */
export const CurvePlotSchema = z.strictObject({
  kind: z.literal("curve"),
  ...plotBase,
  x: z.string().optional().describe("the index column along the x axis (default: the table's step)"),
  y_scale: z.enum(["linear", "log"]).default("linear"),
  dashed: z.array(z.string()).default([]).describe("metrics of y drawn dashed, without a band (a known truth, say)"),
  center: z.enum(["mean", "median"]).default("mean"),
  band: z.enum(["ci", "iqr", "none"]).default("ci").describe(
    "ci: confidence interval of the mean; iqr: 25th-75th percentile",
  ),
  smooth: z.number().int().positive().default(1).describe("moving average over this many points (trailing)"),
  x_max: z.number().optional().describe(
    "draw only points up to this x (a paper's figure that shows the start of training)",
  ),
  rules: z.array(RuleSchema).default([]),
  significance: z.strictObject({
    cells: cellSelector,
    than: cellSelector,
    test: z.enum(["ranksum", "welch"]).default("ranksum"),
    level: z.number().gt(0).lt(1).default(0.05),
    label: z.string().default("*"),
  }).optional().describe("marks where two groups of cells differ by a two-sided test over seeds"),
});

/** A curve plot, parsed. */
export type CurvePlot = z.infer<typeof CurvePlotSchema> & PlotBase;

interface Point {
  x: number;
  y: number;
  lo: number;
  hi: number;
  series: string;
  dashed: boolean;
}

/** Trailing moving average of each series' y, lo and hi over `w` points (in x order). */
export function movingAverage(points: Point[], w: number): Point[] {
  if (w <= 1) return points;
  const bySeries = new Map<string, Point[]>();
  for (const p of points) (bySeries.get(p.series) ?? bySeries.set(p.series, []).get(p.series)!).push(p);
  const out: Point[] = [];
  for (const list of bySeries.values()) {
    list.sort((a, b) => a.x - b.x);
    list.forEach((p, i) => {
      const win = list.slice(Math.max(0, i - w + 1), i + 1);
      const avg = (f: (q: Point) => number) => win.reduce((s, q) => s + f(q), 0) / win.length;
      out.push({ ...p, y: avg((q) => q.y), lo: avg((q) => q.lo), hi: avg((q) => q.hi) });
    });
  }
  return out;
}

function points(plot: CurvePlot, ctx: ReportContext, xName: string): Point[] {
  const table = ctx.tables.find((t) => t.name === plot.table)!;
  const metrics = ys(plot);
  const indexCols = table.columns.filter((c) => c.role === "index").map((c) => c.name);
  const freeIndex = indexCols.filter((c) => c !== xName && !(plot.index && c in plot.index));
  const axes = seriesAxes(plot, ctx);
  const name = (labels: Record<string, string>, idx: Record<string, unknown>, metric: string, extra = "") =>
    [
      extra,
      seriesName(labels, axes),
      ...freeIndex.map((c) => `${c} ${idx[c]}`),
      metrics.length > 1 ? metric : "",
    ].filter(Boolean).join(", ") || plot.y_label;
  const out: Point[] = [];
  if (plot.runs) {
    for (const picked of pickRuns(plot, ctx)) {
      const t = picked.run.tables[plot.table];
      for (const row of t.rows) {
        const values = Object.fromEntries(t.header.map((h, i) => [h, row[i]]));
        if (plot.index && !matches(values, plot.index)) continue;
        for (const m of metrics) {
          if (typeof values[m] !== "number") continue;
          const v = values[m] as number;
          out.push({
            x: Number(values[xName]),
            y: v,
            lo: v,
            hi: v,
            series: name(picked.run.labels, values, m, picked.label),
            dashed: plot.dashed.includes(m),
          });
        }
      }
    }
    return out;
  }
  const log = plot.y_scale === "log";
  const rows = ctx.summary.filter((r) =>
    r.table === plot.table && r.at === "each" && metrics.includes(r.metric) && matches(r.labels, plot.where) &&
    (!plot.index || matches(r.index, plot.index))
  );
  const center = (r: SummaryRow) => (plot.center === "median" ? r.median : r.mean);
  const band = (r: SummaryRow): [number, number] => {
    if (plot.band === "iqr") return [r.q25, r.q75];
    if (plot.band === "ci" && r.ci) return [r.ci[0], r.ci[1]];
    return [center(r), center(r)];
  };
  for (const r of rows) {
    let [lo, hi] = band(r);
    // On a log axis, a band that reaches zero or below is drawn down to a tenth of the centre.
    if (log && lo <= 0) lo = center(r) / 10;
    if (log && hi <= 0) hi = center(r);
    out.push({
      x: Number(r.index[xName]),
      y: center(r),
      lo,
      hi,
      series: name(r.labels, r.index, r.metric),
      dashed: plot.dashed.includes(r.metric),
    });
  }
  return out.filter((p) => !log || p.y > 0);
}

/** Means over seeds of the rules that read a metric. */
function ruleValues(plot: CurvePlot, ctx: ReportContext): { label: string; y: number }[] {
  return plot.rules.flatMap((rule) => {
    if (rule.value !== undefined) return [{ label: rule.label, y: rule.value }];
    const rows = ctx.summary.filter((r) =>
      r.table === rule.table && r.metric === rule.metric && matches(r.labels, rule.where) &&
      matches(r.index, rule.index) &&
      (r.at === "final" || !ctx.tables.find((t) => t.name === rule.table)?.step)
    );
    if (rows.length === 0) return [];
    return [{ label: rule.label, y: rows.reduce((a, r) => a + r.mean, 0) / rows.length }];
  });
}

/** The x positions where the significance test separates the two groups (two-sided p below its level). */
function significantX(plot: CurvePlot, ctx: ReportContext, xName: string): number[] {
  const s = plot.significance!;
  const metric = ys(plot)[0];
  const read = (cells: Record<string, unknown>) =>
    seedGroups(ctx, { table: plot.table, metric, at: "every", cells: { ...plot.where, ...cells }, index: plot.index });
  const byX = (groups: ReturnType<typeof read>) => {
    const m = new Map<number, number[]>();
    for (const g of groups) {
      const x = Number(g.point[xName]);
      m.set(x, [...(m.get(x) ?? []), ...g.values.values()]);
    }
    return m;
  };
  const a = byX(read(s.cells)), b = byX(read(s.than));
  const out: number[] = [];
  for (const [x, va] of a) {
    if (plot.x_max !== undefined && x > plot.x_max) continue;
    const vb = b.get(x);
    if (!vb || va.length < 2 || vb.length < 2) continue;
    const t = s.test === "ranksum" ? rankSumTest(va, vb) : welchTTest(va, vb, 0, s.level);
    if (2 * Math.min(t.p, t.pOpposite) < s.level) out.push(x);
  }
  return out.sort((p, q) => p - q);
}

/** The subtitle: pipeline, profile, and what the line and band show over how many seeds. */
function curveSubtitle(plot: CurvePlot, ctx: ReportContext): string {
  const seeds = seedCount(ctx, plot.table);
  const what = `${plot.center}${plot.smooth > 1 ? ` (moving average of ${plot.smooth})` : ""}`;
  if (plot.runs) return `${ctx.pipeline} · profile ${ctx.profile} · individual runs ranked by ${plot.runs.by.metric}`;
  if (plot.band === "iqr") {
    return `${ctx.pipeline} · profile ${ctx.profile} · ${what} and interquartile range over ${seeds} seed${
      seeds === 1 ? "" : "s"
    }`;
  }
  return subtitle(ctx, what, seeds, plot.band === "ci");
}

/** Horizontal reference lines with their labels at the right end (xLast). */
function ruleLayers(rules: { y: number; label: string }[], xLast: number): Record<string, unknown>[] {
  if (!rules.length) return [];
  return [
    {
      data: { values: rules },
      mark: { type: "rule", color: "#444", strokeDash: [3, 3], strokeWidth: 1.2 },
      encoding: { y: { field: "y", type: "quantitative" } },
    },
    {
      data: { values: rules },
      mark: { type: "text", align: "right", dx: -4, dy: -6, fontSize: 10, color: "#333" },
      encoding: {
        y: { field: "y", type: "quantitative" },
        x: { datum: xLast, type: "quantitative" },
        text: { field: "label" },
      },
    },
  ];
}

/** The significance marks along the top, where the plot's test separates its two groups. */
function significanceLayers(plot: CurvePlot, ctx: ReportContext, xName: string): Record<string, unknown>[] {
  if (!plot.significance) return [];
  const marks = significantX(plot, ctx, xName).map((x) => ({ x, label: plot.significance!.label }));
  if (!marks.length) return [];
  return [{
    data: { values: marks },
    mark: { type: "text", baseline: "top", fontSize: 12, color: "black" },
    encoding: { x: { field: "x", type: "quantitative" }, y: { value: 2 }, text: { field: "label" } },
  }];
}

/** The curve kind. */
export const curvePlot: PlotKind<CurvePlot> = {
  kind: "curve",
  schema: CurvePlotSchema as unknown as z.ZodType<CurvePlot>,
  doc: "a metric against an index: mean and CI, or median and IQR, over seeds (or picked runs), one line per series",
  check(plot, at, ctx) {
    checkPlotBase(plot, at, ctx);
    const list = ys(plot);
    plot.dashed.forEach((d, j) => {
      if (!list.includes(d)) {
        ctx.issue([...at, "dashed", j], `'${d}' is not one of the plot's y metrics (${list.join(", ")})`);
      }
    });
    const t = ctx.tables.find((x) => x.name === plot.table);
    if (plot.x) columnCheck(ctx, [...at, "x"], plot.table, plot.x, "index");
    else if (t && !t.step) ctx.issue(at, `table '${plot.table}' has no step column; give 'x'`);
    plot.rules.forEach((r, j) => {
      const p = [...at, "rules", j];
      if ((r.value === undefined) === (r.metric === undefined)) {
        ctx.issue(p, "a rule needs 'value' or 'table' and 'metric'");
      }
      if (r.metric !== undefined) {
        columnCheck(ctx, [...p, "metric"], r.table ?? plot.table, r.metric, "metric");
        indexCheck(ctx, [...p, "index"], r.table ?? plot.table, r.index);
        selectorCheck(ctx, [...p, "where"], r.where);
      }
    });
    if (plot.significance) {
      selectorCheck(ctx, [...at, "significance", "cells"], plot.significance.cells);
      selectorCheck(ctx, [...at, "significance", "than"], plot.significance.than);
    }
    if (plot.band === "ci" && plot.center === "median") {
      ctx.issue([...at, "band"], "a confidence interval belongs to the mean; with center: median use band: iqr");
    }
  },
  build(plot, ctx) {
    const table = ctx.tables.find((t) => t.name === plot.table)!;
    const indexCols = table.columns.filter((c) => c.role === "index").map((c) => c.name);
    const xName = plot.x ?? table.step ?? indexCols[indexCols.length - 1];
    const xCol = table.columns.find((c) => c.name === xName);
    const pts = movingAverage(points(plot, ctx, xName), plot.smooth).filter((p) =>
      plot.x_max === undefined || p.x <= plot.x_max
    );
    if (pts.length === 0) {
      const where = Object.keys(plot.where ?? {}).length ? ` (where ${JSON.stringify(plot.where)})` : "";
      return { type: "skip", reason: `nothing to draw: no cell of profile ${ctx.profile} has these values${where}` };
    }
    const sub = curveSubtitle(plot, ctx);
    const series = [...new Set(pts.map((p) => p.series))];
    const dashedSeries = new Set(pts.filter((p) => p.dashed).map((p) => p.series));
    const enc = seriesEncodings(series, plot.runs ? "run" : legendTitle(seriesAxes(plot, ctx), plot.y_label));
    // Metrics drawn dashed take the dashed patterns; the others start with a solid line.
    let solid = 0, dashed = 1;
    enc.strokeDash.scale.range = series.map((s) =>
      dashedSeries.has(s) ? DASHES[1 + (dashed++ - 1) % (DASHES.length - 1)] : DASHES[solid++ % DASHES.length]
    );
    const log = plot.y_scale === "log";
    const yScale = log ? { type: "log" } : { zero: false };
    const xTitle = plot.x_label ?? columnTitle(xName, xCol?.unit);
    const xEnc = {
      field: "x",
      type: "quantitative",
      title: xTitle,
      scale: { zero: false, nice: false },
      axis: xCol?.type === "int" ? { tickMinStep: 1, format: "d" } : {},
    };
    const yEnc = { field: "y", type: "quantitative", title: plot.y_label, scale: yScale };
    const values = pts.map((p) => ({ ...p }));
    const stride = markerStride(new Set(pts.map((p) => p.x)).size);
    const xs = [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b);
    const markerX = new Set(xs.filter((_, i) => i % stride === 0 || i === xs.length - 1));
    const layers: Record<string, unknown>[] = [];
    layers.push({
      mark: { type: "line", strokeWidth: 2 },
      encoding: { x: xEnc, y: yEnc, color: enc.color, strokeDash: enc.strokeDash },
    });
    layers.push({
      data: { values: values.filter((p) => markerX.has(p.x)) },
      mark: { type: "point", filled: true, size: 45, opacity: 1 },
      encoding: { x: xEnc, y: yEnc, color: enc.color, shape: enc.shape },
    });
    if (!plot.runs && plot.band !== "none") {
      // Drawn after the lines (translucent over them), so that the legend takes the lines' symbols.
      layers.push({
        mark: { type: "errorband", opacity: 0.2 },
        transform: [{ filter: "!datum.dashed" }],
        encoding: {
          x: xEnc,
          y: { field: "lo", type: "quantitative", title: plot.y_label, scale: yScale },
          y2: { field: "hi" },
          color: enc.color,
        },
      });
    }
    layers.push(...ruleLayers(ruleValues(plot, ctx), xs[xs.length - 1] ?? 0));
    layers.push(...significanceLayers(plot, ctx, xName));
    return {
      type: "vega-lite",
      spec: {
        ...baseSpec(plot.title, sub),
        data: { values },
        layer: layers,
      },
    };
  },
};
