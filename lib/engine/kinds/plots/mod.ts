/**
 * The plot kinds, and the schema of a plot: a discriminated union on `kind`
 * of each kind's schema (`kind` defaults to `curve`). A new kind is a module
 * beside these and one entry in PLOT_KINDS.
 *
 * @example
 * ```ts
 * import { PlotSchema } from "./mod.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(PlotSchema.parse({ id: "loss", title: "Loss", y: "loss", y_label: "Loss" }).kind, "curve");
 * ```
 * @module
 */
import { z } from "zod";
import type { PlotKind } from "../types.ts";
import { barPlot, BarPlotSchema } from "./bar.ts";
import { curvePlot, CurvePlotSchema } from "./curve.ts";
import { heatmapPlot, HeatmapPlotSchema } from "./heatmap.ts";
import { imagesPlot, ImagesPlotSchema } from "./images.ts";
import { pathPlot, PathPlotSchema } from "./path.ts";

/** Every plot kind, by name. */
export const PLOT_KINDS: Record<string, PlotKind> = Object.fromEntries(
  [curvePlot, barPlot, pathPlot, heatmapPlot, imagesPlot].map((k) => [k.kind, k as unknown as PlotKind]),
);

/** A plot of a pipeline; a plot without `kind` is a curve. */
export const PlotSchema = z.preprocess(
  (v) => (v && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind: "curve" } : v),
  z.discriminatedUnion("kind", [CurvePlotSchema, BarPlotSchema, PathPlotSchema, HeatmapPlotSchema, ImagesPlotSchema]),
);

/** A parsed plot. */
export type PlotSpec = z.infer<typeof PlotSchema>;
