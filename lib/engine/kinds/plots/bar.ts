/**
 * `kind: bar`: final values per cell as bars with their confidence interval
 * (mean over seeds), one bar per cell (and metric); the cells are named along
 * the x axis, so bars need no colour to be told apart.
 *
 * @example
 * ```yaml
 * - id: final-elbo
 *   kind: bar
 *   title: Final training ELBO per ablation cell
 *   y: train_elbo
 *   y_label: ELBO (nats)
 *   y_zero: false
 * ```
 * @module
 */
import { z } from "zod";
import type { PlotKind } from "../types.ts";
import { matches } from "../values.ts";
import {
  baseSpec,
  checkPlotBase,
  type PlotBase,
  plotBase,
  seedCount,
  seriesAxes,
  seriesName,
  subtitle,
  ys,
} from "./common.ts";

/** The schema of a bar plot. */
export const BarPlotSchema = z.strictObject({
  kind: z.literal("bar"),
  ...plotBase,
  y_scale: z.enum(["linear", "log"]).default("linear"),
  y_zero: z.boolean().default(true).describe(
    "include 0 in the y axis (false: bars rise from the axis' lower end, for values like ELBOs far from 0)",
  ),
});

/** A bar plot, parsed. */
export type BarPlot = z.infer<typeof BarPlotSchema> & PlotBase;

/** The bar kind. */
export const barPlot: PlotKind<BarPlot> = {
  kind: "bar",
  schema: BarPlotSchema as unknown as z.ZodType<BarPlot>,
  doc: "final values per cell as bars with their confidence interval",
  check(plot, at, ctx) {
    checkPlotBase(plot, at, ctx);
    if (plot.runs) {
      ctx.issue([...at, "runs"], "a bar plot draws means over seeds; 'runs' is for curves, paths and heatmaps");
    }
  },
  build(plot, ctx) {
    const metrics = ys(plot);
    const axes = seriesAxes(plot, ctx);
    const table = ctx.tables.find((t) => t.name === plot.table)!;
    const bars = ctx.summary.filter((r) =>
      r.table === plot.table && r.at === (table.step ? "final" : "each") && metrics.includes(r.metric) &&
      matches(r.labels, plot.where) && (!plot.index || matches(r.index, plot.index))
    ).map((r) => ({
      series: [axes.map((a) => `${a}=${r.labels[a]}`).join(", "), metrics.length > 1 ? r.metric : ""].filter(Boolean)
        .join(", ") || seriesName(r.labels, axes) || r.cell,
      mean: r.mean,
      lo: r.ci ? r.ci[0] : r.mean,
      hi: r.ci ? r.ci[1] : r.mean,
    }));
    const log = plot.y_scale === "log";
    // Without zero, the axis spans the intervals with 10% room, and bars rise from its lower end.
    const lows = bars.map((b) => b.lo), highs = bars.map((b) => b.hi);
    const pad = 0.1 * (Math.max(...highs) - Math.min(...lows) || Math.abs(Math.max(...highs)) || 1);
    const domain = [Math.min(...lows) - pad, Math.max(...highs) + pad];
    const fromBottom = !log && !plot.y_zero && bars.length > 0;
    const yEnc = {
      type: "quantitative",
      title: plot.y_label,
      scale: log ? { type: "log" } : fromBottom ? { domain, nice: false } : { zero: true },
    };
    const seeds = seedCount(ctx, plot.table);
    return {
      type: "vega-lite",
      spec: {
        ...baseSpec(plot.title, subtitle(ctx, "final mean", seeds)),
        data: { values: bars },
        layer: [
          {
            mark: { type: "bar", color: "#7a9cc6", stroke: "#333", strokeWidth: 0.8 },
            encoding: {
              x: {
                field: "series",
                type: "nominal",
                title: plot.x_label ?? "",
                // One line per axis value of the cell's label.
                axis: { labelAngle: 0, labelExpr: "split(datum.label, ', ')", labelLimit: 400 },
                sort: null,
              },
              y: { field: "mean", ...yEnc },
              ...(fromBottom ? { y2: { datum: domain[0] } } : {}),
            },
          },
          ...(seeds > 1
            ? [{
              mark: { type: "errorbar", ticks: true, color: "black" },
              encoding: {
                x: { field: "series", type: "nominal", sort: null },
                y: { field: "lo", ...yEnc },
                y2: { field: "hi" },
              },
            }]
            : []),
        ],
      },
    };
  },
};
