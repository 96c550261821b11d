/**
 * Figures from the summary: Vega-Lite specs rendered to SVG (vega, no
 * browser) and to PNG (resvg, with the DejaVu Sans font shipped by the
 * `dejavu-fonts-ttf` package, so text renders the same everywhere).
 *
 * A `curve` plot draws each series' mean over seeds as a line and its
 * confidence interval as a band; a `bar` plot draws final means with
 * confidence-interval error bars.
 *
 * @example
 * ```ts
 * import { renderPlots } from "./plot.ts";
 * // const files = await renderPlots(plan, summaryRows, "results/hnca-bandit/quick/figures");
 * ```
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as vega from "vega";
import * as vl from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { writeFileAtomic } from "./atomic.ts";
import type { PlotSpec } from "./pipeline_schema.ts";
import type { Plan } from "./plan.ts";
import type { SummaryRow } from "./summary.ts";

const FONT_FAMILY = "DejaVu Sans";
let resvgReady: Promise<Uint8Array[]> | null = null;

/** Loads resvg's wasm once and returns the font files. */
function fonts(): Promise<Uint8Array[]> {
  if (!resvgReady) {
    resvgReady = (async () => {
      const require = createRequire(import.meta.url);
      await initWasm(await Deno.readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
      const dir = join(dirname(require.resolve("dejavu-fonts-ttf/package.json")), "ttf");
      return [await Deno.readFile(join(dir, "DejaVuSans.ttf")), await Deno.readFile(join(dir, "DejaVuSans-Bold.ttf"))];
    })();
  }
  return resvgReady;
}

/** SVG text to PNG bytes at `scale` times the SVG's size, on white. */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const fontBuffers = await fonts();
  const resvg = new Resvg(svg, {
    font: { fontBuffers, defaultFontFamily: FONT_FAMILY, loadSystemFonts: false },
    fitTo: { mode: "zoom", value: scale },
    background: "white",
  });
  return resvg.render().asPng();
}

/** Renders a Vega-Lite spec to SVG text. */
export async function vegaLiteToSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function seriesLabel(labels: Record<string, string>, axes: string[]): string {
  return axes.length === 0 ? "all" : axes.map((a) => `${a}=${labels[a]}`).join(", ");
}

/** The Vega-Lite spec of one plot (exported for tests). */
export function plotSpec(plan: Plan, plot: PlotSpec, summary: SummaryRow[]): Record<string, unknown> {
  const table = plan.tables.find((t) => t.name === plot.table)!;
  const x = plot.x ?? table.step!;
  const xCol = table.columns.find((c) => c.name === x);
  const variedAxes = plan.axes.filter((a) => new Set(plan.runs.map((r) => r.labels[a])).size > 1);
  const colorAxes = plot.color ?? variedAxes;
  const where = plot.where ?? {};
  const rows = summary.filter((r) =>
    r.table === plot.table && r.metric === plot.y &&
    Object.entries(where).every(([k, v]) => r.labels[k] === String(v))
  );
  const level = Math.round(plan.pipeline.data.evaluation.confidence * 100);
  const seeds = Math.max(0, ...rows.map((r) => r.n));
  const title = {
    text: plot.title,
    subtitle: `${plan.pipeline.data.name} · profile ${plan.profile} · mean and ${level}% CI over ${seeds} seed${
      seeds === 1 ? "" : "s"
    }`,
  };
  const log = plot.y_scale === "log";
  const base = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 560,
    height: 340,
    title,
    config: {
      font: FONT_FAMILY,
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: "#555" },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 320 },
    },
    background: "white",
  };
  // On a log axis, a band that reaches zero or below is drawn down to a tenth of the mean.
  const low = (r: SummaryRow) => (r.ci ? (log && r.ci[0] <= 0 ? r.mean / 10 : r.ci[0]) : r.mean);
  if (plot.kind === "bar") {
    const values = rows.filter((r) => r.at === "final").map((r) => ({
      series: seriesLabel(r.labels, colorAxes),
      mean: r.mean,
      lo: low(r),
      hi: r.ci ? r.ci[1] : r.mean,
    }));
    const yEnc = { type: "quantitative", title: plot.y_label, scale: log ? { type: "log" } : { zero: false } };
    return {
      ...base,
      data: { values },
      layer: [
        {
          mark: { type: "bar" },
          encoding: {
            x: { field: "series", type: "nominal", title: plot.x_label ?? "", axis: { labelAngle: -30 }, sort: null },
            y: { field: "mean", ...yEnc },
            color: { field: "series", type: "nominal", legend: null },
          },
        },
        {
          mark: { type: "errorbar", ticks: true },
          encoding: {
            x: { field: "series", type: "nominal", sort: null },
            y: { field: "lo", ...yEnc },
            y2: { field: "hi" },
          },
        },
      ],
    };
  }
  const otherIndex = table.columns.filter((c) => c.role === "index" && c.name !== x).map((c) => c.name);
  const values = rows.filter((r) => r.at === "each").map((r) => ({
    x: r.index[x],
    series: [seriesLabel(r.labels, colorAxes), ...otherIndex.map((c) => `${c}=${r.index[c]}`)].filter((s) =>
      s !== "all" || otherIndex.length === 0
    ).join(", "),
    mean: r.mean,
    lo: low(r),
    hi: r.ci ? r.ci[1] : r.mean,
  })).filter((v) => !log || v.mean > 0);
  const xTitle = plot.x_label ??
    `${x[0].toUpperCase()}${x.slice(1).replaceAll("_", " ")}${xCol?.unit ? ` (${xCol.unit})` : ""}`;
  const xAxis = xCol?.type === "int" ? { tickMinStep: 1, format: "d" } : {};
  const xEnc = { field: "x", type: "quantitative", title: xTitle, scale: { zero: false, nice: false }, axis: xAxis };
  const yScale = log ? { type: "log" } : { zero: false };
  const legendTitle = colorAxes.join(", ") || "series";
  const color = {
    field: "series",
    type: "nominal",
    title: legendTitle,
    legend: { symbolType: "stroke", symbolOpacity: 1, symbolStrokeWidth: 3, orient: "bottom", columns: 2 },
  };
  return {
    ...base,
    data: { values },
    layer: [
      {
        mark: { type: "errorband", opacity: 0.25 },
        encoding: {
          x: xEnc,
          y: { field: "lo", type: "quantitative", title: plot.y_label, scale: yScale },
          y2: { field: "hi" },
          color,
        },
      },
      {
        mark: { type: "line", strokeWidth: 2 },
        encoding: { x: xEnc, y: { field: "mean", type: "quantitative", title: plot.y_label, scale: yScale }, color },
      },
    ],
  };
}

/** Renders every plot of the pipeline into `outDir` as `<id>.svg` and `<id>.png`; returns the files. */
export async function renderPlots(plan: Plan, summary: SummaryRow[], outDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const plot of plan.pipeline.data.plots) {
    const svg = await vegaLiteToSvg(plotSpec(plan, plot, summary));
    const svgPath = join(outDir, `${plot.id}.svg`);
    await writeFileAtomic(svgPath, svg);
    const pngPath = join(outDir, `${plot.id}.png`);
    await writeFileAtomic(pngPath, await svgToPng(svg));
    files.push(svgPath, pngPath);
  }
  return files;
}
