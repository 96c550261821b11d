/**
 * `kind: images`: a grid of one picked run's grayscale images (the digits a
 * generative model samples), pixel for pixel (see image_grid.ts). A plot
 * whose selector matches no run is skipped with a message.
 *
 * @example
 * ```yaml
 * - id: digits
 *   kind: images
 *   title: Digits sampled prior -> decoder
 *   table: digits
 *   y: pixel
 *   y_label: sampled pixel
 *   x: col
 *   rows: row
 *   tile: image
 *   runs: { pick: best, by: { table: metrics, metric: test_elbo, lower_is_better: false } }
 * ```
 * @module
 */
import { z } from "zod";
import { columnCheck } from "../check.ts";
import type { PlotKind } from "../types.ts";
import { checkPlotBase, pickRuns, type PlotBase, plotBase, ys } from "./common.ts";
import { imageGridSvg } from "./image_grid.ts";

/** The schema of an images plot. */
export const ImagesPlotSchema = z.strictObject({
  kind: z.literal("images"),
  ...plotBase,
  x: z.string().describe("the index column of a pixel's column"),
  rows: z.string().describe("the index column of a pixel's row"),
  tile: z.string().describe("the index column numbering the images"),
  columns: z.number().int().positive().default(8).describe("images per row of the grid"),
});

/** An images plot, parsed. */
export type ImagesPlot = z.infer<typeof ImagesPlotSchema> & PlotBase;

function compareKeys(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The images kind. */
export const imagesPlot: PlotKind<ImagesPlot> = {
  kind: "images",
  schema: ImagesPlotSchema as unknown as z.ZodType<ImagesPlot>,
  doc: "a grid of one picked run's grayscale images, pixel for pixel",
  check(plot, at, ctx) {
    checkPlotBase(plot, at, ctx);
    for (const k of ["x", "rows", "tile"] as const) columnCheck(ctx, [...at, k], plot.table, plot[k], "index");
    if (!plot.runs) ctx.issue(at, "an images plot needs 'runs' (which run's images to draw)");
  },
  async build(plot, ctx) {
    const picked = pickRuns(plot, ctx)[0];
    if (!picked) return { type: "skip", reason: "no run of this profile matches the plot's cells" };
    const metric = ys(plot)[0];
    const t = picked.run.tables[plot.table];
    const images = new Map<number | string, { x: number; y: number; v: number }[]>();
    let width = 0, height = 0;
    const [xi, yi, ti, vi] = [plot.x, plot.rows, plot.tile, metric].map((c) => t.header.indexOf(c));
    for (const row of t.rows) {
      const x = Number(row[xi]), y = Number(row[yi]), key = row[ti] as number | string;
      if (!images.has(key)) images.set(key, []);
      images.get(key)!.push({ x, y, v: Number(row[vi]) });
      width = Math.max(width, x + 1);
      height = Math.max(height, y + 1);
    }
    if (images.size === 0) return { type: "skip", reason: "the picked run has no images" };
    const tiles = [...images.entries()].sort((a, b) => compareKeys(a[0], b[0])).map(([, px]) => {
      const img = new Float32Array(width * height);
      for (const p of px) img[p.y * width + p.x] = p.v;
      return img;
    });
    return {
      type: "svg",
      svg: await imageGridSvg({
        title: plot.title,
        subtitle: `${ctx.pipeline} · profile ${ctx.profile} · ${picked.label} · ${metric}`,
        images: tiles,
        width,
        height,
        columns: plot.columns,
      }),
    };
  },
};
