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
import { writeFileAtomic } from "../../util/atomic.ts";
import { imageGridSvg } from "./image_grid.ts";
import type { PlotSpec } from "../pipeline/schema.ts";
import type { Plan } from "../pipeline/plan.ts";
import type { LoadedRun, SummaryRow } from "../results/summary.ts";

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
  return axes.length === 0 ? "" : axes.map((a) => `${a}=${labels[a]}`).join(", ");
}

/** One point of a figure, before it becomes Vega-Lite data. */
interface Point {
  x: number;
  y: number;
  lo: number;
  hi: number;
  /** The legend entry (cell, other index values, run). */
  series: string;
  /** The metric, for figures with several. */
  metric: string;
  /** Position along a path. */
  order: number;
  /** Index and metric values, for marks. */
  values: Record<string, number | string | null>;
}

/** A run picked for a figure, with its label. */
interface PickedRun {
  run: LoadedRun;
  label: string;
}

function matchesValues(values: Record<string, unknown>, where: Record<string, unknown>): boolean {
  return Object.entries(where).every(([k, v]) => String(values[k]) === String(v));
}

/** Ranks runs by a final metric and picks best/worst/all. */
export function pickRuns(plan: Plan, plot: PlotSpec, runs: LoadedRun[]): PickedRun[] {
  const r = plot.runs!;
  const spec = plan.tables.find((t) => t.name === r.by.table)!;
  const mi = spec.columns.findIndex((c) => c.name === r.by.metric);
  const si = spec.step ? spec.columns.findIndex((c) => c.name === spec.step) : -1;
  const scored = runs.map((run) => {
    const header = run.tables[r.by.table].header;
    let rows = run.tables[r.by.table].rows.filter((row) =>
      Object.entries(r.by.index ?? {}).every(([k, v]) => String(row[header.indexOf(k)]) === String(v))
    );
    if (si >= 0) {
      const last = Math.max(...rows.map((row) => Number(row[si])));
      rows = rows.filter((row) => Number(row[si]) === last);
    }
    const vals = rows.map((row) => row[mi]).filter((v): v is number => typeof v === "number");
    return { run, score: vals.reduce((a, b) => a + b, 0) / Math.max(1, vals.length) };
  }).filter((x) => Number.isFinite(x.score));
  scored.sort((a, b) =>
    (r.by.lower_is_better ? a.score - b.score : b.score - a.score) || a.run.run.seed - b.run.run.seed
  );
  const label = (x: { run: LoadedRun; score: number }, what: string) =>
    `${what}seed ${x.run.run.seed}${x.run.run.cell === "default" ? "" : ` ${x.run.run.cell}`}, ${r.by.metric} ${
      Number(x.score.toPrecision(3))
    }`;
  if (scored.length === 0) return [];
  switch (r.pick) {
    case "best":
      return [{ run: scored[0].run, label: label(scored[0], "best: ") }];
    case "worst":
      return [{ run: scored[scored.length - 1].run, label: label(scored[scored.length - 1], "worst: ") }];
    case "best-and-worst":
      return scored.length === 1
        ? [{ run: scored[0].run, label: label(scored[0], "only run: ") }]
        : [{ run: scored[0].run, label: label(scored[0], "best: ") }, {
          run: scored[scored.length - 1].run,
          label: label(scored[scored.length - 1], "worst: "),
        }];
    case "all":
      return scored.map((x) => ({ run: x.run, label: label(x, "") }));
  }
}

/** The points of a figure, from the summary (means over seeds) or from picked runs. */
function points(plan: Plan, plot: PlotSpec, summary: SummaryRow[], runs: LoadedRun[]): Point[] {
  const table = plan.tables.find((t) => t.name === plot.table)!;
  const ys = Array.isArray(plot.y) ? plot.y : [plot.y];
  const indexCols = table.columns.filter((c) => c.role === "index").map((c) => c.name);
  const orderCol = plot.kind === "path"
    ? indexCols[indexCols.length - 1]
    : (plot.x ?? table.step ?? indexCols[indexCols.length - 1]);
  const seriesIndex = indexCols.filter((c) => c !== orderCol && !(plot.index && c in plot.index));
  const variedAxes = plan.axes.filter((a) => new Set(plan.runs.map((r) => r.labels[a])).size > 1);
  const colorAxes = plot.color ?? variedAxes;
  const where = plot.where ?? {};
  const out: Point[] = [];
  const seriesOf = (cellLabel: string, idx: Record<string, unknown>, extra = "") =>
    [extra, cellLabel, ...seriesIndex.map((c) => `${c}=${idx[c]}`)].filter(Boolean).join(", ") || "all";
  if (plot.runs) {
    for (const picked of pickRuns(plan, plot, runs.filter((r) => matchesValues(r.run.labels, where)))) {
      const t = picked.run.tables[plot.table];
      for (const row of t.rows) {
        const values = Object.fromEntries(t.header.map((h, i) => [h, row[i]]));
        if (plot.index && !matchesValues(values, plot.index)) continue;
        const series = seriesOf(seriesLabel(picked.run.run.labels, colorAxes), values, picked.label);
        if (plot.kind === "path") {
          out.push({
            x: Number(values[plot.x!]),
            y: Number(values[ys[0]]),
            lo: 0,
            hi: 0,
            series,
            metric: ys[0],
            order: Number(values[orderCol]),
            values,
          });
        } else {
          for (const m of ys) {
            if (typeof values[m] !== "number") continue;
            const v = values[m] as number;
            out.push({
              x: Number(values[orderCol]),
              y: v,
              lo: v,
              hi: v,
              series,
              metric: m,
              order: Number(values[orderCol]),
              values,
            });
          }
        }
      }
    }
    return out;
  }
  const rows = summary.filter((r) =>
    r.table === plot.table && r.at === "each" && matchesValues(r.labels, where) &&
    (!plot.index || matchesValues(r.index, plot.index))
  );
  const log = plot.y_scale === "log";
  // On a log axis, a band that reaches zero or below is drawn down to a tenth of the mean.
  const low = (r: SummaryRow) => (r.ci ? (log && r.ci[0] <= 0 ? r.mean / 10 : r.ci[0]) : r.mean);
  if (plot.kind === "path") {
    const byPoint = new Map<string, Record<string, SummaryRow>>();
    for (const r of rows) {
      const k = JSON.stringify([r.cell, r.index]);
      if (!byPoint.has(k)) byPoint.set(k, {});
      byPoint.get(k)![r.metric] = r;
    }
    for (const m of byPoint.values()) {
      const xr = m[plot.x!], yr = m[ys[0]];
      if (!xr || !yr) continue;
      const values = { ...xr.index, ...Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.mean])) };
      out.push({
        x: xr.mean,
        y: yr.mean,
        lo: 0,
        hi: 0,
        series: seriesOf(seriesLabel(xr.labels, colorAxes), xr.index),
        metric: ys[0],
        order: Number(xr.index[orderCol]),
        values,
      });
    }
    return out;
  }
  for (const r of rows) {
    if (!ys.includes(r.metric)) continue;
    out.push({
      x: Number(r.index[orderCol]),
      y: r.mean,
      lo: low(r),
      hi: r.ci ? r.ci[1] : r.mean,
      series: seriesOf(seriesLabel(r.labels, colorAxes), r.index),
      metric: r.metric,
      order: Number(r.index[orderCol]),
      values: r.index,
    });
  }
  return out.filter((p) => !log || p.y > 0);
}

/** The Vega-Lite spec of one plot (exported for tests). `runs` is needed for plots of individual runs. */
export function plotSpec(
  plan: Plan,
  plot: PlotSpec,
  summary: SummaryRow[],
  runs: LoadedRun[] = [],
): Record<string, unknown> {
  const table = plan.tables.find((t) => t.name === plot.table)!;
  const ys = Array.isArray(plot.y) ? plot.y : [plot.y];
  const indexCols = table.columns.filter((c) => c.role === "index").map((c) => c.name);
  const xName = plot.kind === "path" ? plot.x! : (plot.x ?? table.step ?? indexCols[indexCols.length - 1]);
  const xCol = table.columns.find((c) => c.name === xName);
  const level = Math.round(plan.pipeline.data.evaluation.confidence * 100);
  const pts = points(plan, plot, summary, runs);
  const seeds = Math.max(0, ...summary.filter((r) => r.table === plot.table).map((r) => r.n));
  const subtitle = plot.runs
    ? `${plan.pipeline.data.name} · profile ${plan.profile} · individual runs ranked by ${plot.runs.by.metric}`
    : `${plan.pipeline.data.name} · profile ${plan.profile} · mean${
      plot.kind === "curve" ? ` and ${level}% CI` : ""
    } over ${seeds} seed${seeds === 1 ? "" : "s"}`;
  const base = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 560,
    height: 340,
    title: { text: plot.title, subtitle },
    config: {
      font: FONT_FAMILY,
      title: { fontSize: 15, subtitleFontSize: 11, subtitleColor: "#555" },
      axis: { labelFontSize: 11, titleFontSize: 12 },
      legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 360 },
    },
    background: "white",
  };
  const log = plot.y_scale === "log";
  const yScale = log ? { type: "log" } : { zero: false };
  const colorAxes = plot.color ?? plan.axes.filter((a) => new Set(plan.runs.map((r) => r.labels[a])).size > 1);
  const legend = { symbolType: "stroke", symbolOpacity: 1, symbolStrokeWidth: 3, orient: "bottom", columns: 2 };
  const color = {
    field: "series",
    type: "nominal",
    title: plot.runs ? "run" : (colorAxes.join(", ") || "series"),
    legend,
  };
  const values = pts.map((p) => ({
    x: p.x,
    y: p.y,
    lo: p.lo,
    hi: p.hi,
    series: p.series,
    metric: p.metric,
    order: p.order,
    dashed: plot.dashed.includes(p.metric),
  }));
  if (plot.kind === "bar") {
    const bars = summary.filter((r) =>
      r.table === plot.table && r.at === "final" && ys.includes(r.metric) && matchesValues(r.labels, plot.where ?? {})
    )
      .map((r) => ({
        series: [seriesLabel(r.labels, colorAxes), ys.length > 1 ? r.metric : ""].filter(Boolean).join(", ") || r.cell,
        mean: r.mean,
        lo: r.ci ? r.ci[0] : r.mean,
        hi: r.ci ? r.ci[1] : r.mean,
      }));
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
    return {
      ...base,
      title: {
        text: plot.title,
        subtitle:
          `${plan.pipeline.data.name} · profile ${plan.profile} · final mean and ${level}% CI over ${seeds} seed${
            seeds === 1 ? "" : "s"
          }`,
      },
      data: { values: bars },
      layer: [
        {
          mark: { type: "bar" },
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
            color: { field: "series", type: "nominal", legend: null },
          },
        },
        {
          mark: { type: "errorbar", ticks: true, color: "black" },
          encoding: {
            x: { field: "series", type: "nominal", sort: null },
            y: { field: "lo", ...yEnc },
            y2: { field: "hi" },
          },
        },
      ],
    };
  }
  const xTitle = plot.x_label ??
    `${xName[0].toUpperCase()}${xName.slice(1).replaceAll("_", " ")}${xCol?.unit ? ` (${xCol.unit})` : ""}`;
  if (plot.kind === "heatmap") return heatmapSpec(plan, plot, summary, runs, base, xTitle);
  const xAxis = xCol?.type === "int" ? { tickMinStep: 1, format: "d" } : {};
  const xEnc = {
    field: "x",
    type: "quantitative",
    title: xTitle,
    scale: { zero: false, nice: plot.kind === "path" },
    axis: xAxis,
  };
  if (plot.kind === "path") {
    const marks = plot.marks.flatMap((m) =>
      pts.filter((p) => matchesValues(p.values, m.where)).map((p) => ({
        x: p.x,
        y: p.y,
        series: p.series,
        mark: m.label,
      }))
    );
    return {
      ...base,
      layer: [
        {
          data: { values },
          mark: { type: "line", point: { size: 18 }, strokeWidth: 1.5 },
          encoding: {
            x: xEnc,
            y: { field: "y", type: "quantitative", title: plot.y_label, scale: { zero: false, nice: true } },
            color,
            order: { field: "order", type: "quantitative" },
          },
        },
        ...(marks.length
          ? [{
            data: { values: marks },
            mark: { type: "point", size: 140, filled: true, opacity: 1 },
            encoding: {
              x: { field: "x", type: "quantitative" },
              y: { field: "y", type: "quantitative" },
              shape: { field: "mark", type: "nominal", title: "event", legend: { orient: "bottom" } },
              color,
            },
          }]
          : []),
      ],
    };
  }
  const strokeDash = ys.length > 1
    ? {
      strokeDash: {
        field: "metric",
        type: "nominal",
        title: "metric",
        scale: { domain: ys, range: ys.map((m) => (plot.dashed.includes(m) ? [6, 4] : [1, 0])) },
        legend: { orient: "bottom", symbolType: "stroke" },
      },
    }
    : {};
  const showBand = !plot.runs;
  return {
    ...base,
    data: { values },
    layer: [
      ...(showBand
        ? [{
          mark: { type: "errorband", opacity: 0.25 },
          transform: [{ filter: "!datum.dashed" }],
          encoding: {
            x: xEnc,
            y: { field: "lo", type: "quantitative", title: plot.y_label, scale: yScale },
            y2: { field: "hi" },
            color,
            detail: { field: "metric" },
          },
        }]
        : []),
      {
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x: xEnc,
          y: { field: "y", type: "quantitative", title: plot.y_label, scale: yScale },
          color,
          detail: { field: "metric" },
          ...strokeDash,
        },
      },
    ],
  };
}

/** A heatmap: the y metric's value (mean over seeds, or one picked run) over two index columns. */
function heatmapSpec(
  plan: Plan,
  plot: PlotSpec,
  summary: SummaryRow[],
  runs: LoadedRun[],
  base: Record<string, unknown>,
  xTitle: string,
): Record<string, unknown> {
  const metric = Array.isArray(plot.y) ? plot.y[0] : plot.y;
  const x = plot.x!, rowsCol = plot.rows!;
  let cells: { x: number; row: number | string; value: number }[];
  let subtitle: string;
  if (plot.runs) {
    const picked = pickRuns(plan, plot, runs.filter((r) => matchesValues(r.run.labels, plot.where ?? {})))[0];
    const t = picked?.run.tables[plot.table];
    cells = t
      ? t.rows.map((row) => Object.fromEntries(t.header.map((h, i) => [h, row[i]])))
        .filter((v) => !plot.index || matchesValues(v, plot.index))
        .map((v) => ({ x: Number(v[x]), row: v[rowsCol] as number, value: Number(v[metric]) }))
      : [];
    subtitle = `${plan.pipeline.data.name} · profile ${plan.profile} · ${picked?.label ?? "no run"}`;
  } else {
    const rows = summary.filter((r) =>
      r.table === plot.table && r.metric === metric && r.at === "each" && matchesValues(r.labels, plot.where ?? {}) &&
      (!plot.index || matchesValues(r.index, plot.index))
    );
    cells = rows.map((r) => ({ x: Number(r.index[x]), row: r.index[rowsCol] as number, value: r.mean }));
    const seeds = Math.max(0, ...rows.map((r) => r.n));
    subtitle = `${plan.pipeline.data.name} · profile ${plan.profile} · mean over ${seeds} seed${
      seeds === 1 ? "" : "s"
    }`;
  }
  return {
    ...base,
    title: { text: plot.title, subtitle },
    data: { values: cells },
    mark: { type: "rect" },
    encoding: {
      x: {
        field: "x",
        type: "ordinal",
        title: xTitle,
        axis: { labelExpr: "datum.value % 10 === 0 ? datum.label : ''", labelAngle: 0 },
      },
      y: {
        field: "row",
        type: "ordinal",
        title: plot.y_label,
        sort: "descending",
        axis: { labelExpr: "(round(datum.value * 100) % 10 === 0) ? datum.label : ''" },
      },
      color: { field: "value", type: "quantitative", title: metric, scale: { scheme: "blueorange", domain: [0, 1] } },
    },
  };
}

/** An images plot: the picked run's images as a grid (see image_grid.ts). */
async function imagesSvg(plan: Plan, plot: PlotSpec, runs: LoadedRun[]): Promise<string> {
  const picked = pickRuns(plan, plot, runs.filter((r) => matchesValues(r.run.labels, plot.where ?? {})))[0];
  const metric = Array.isArray(plot.y) ? plot.y[0] : plot.y;
  const t = picked?.run.tables[plot.table];
  const images = new Map<number | string, { x: number; y: number; v: number }[]>();
  let width = 0, height = 0;
  if (t) {
    const [xi, yi, ti, vi] = [plot.x!, plot.rows!, plot.tile!, metric].map((c) => t.header.indexOf(c));
    for (const row of t.rows) {
      const x = Number(row[xi]), y = Number(row[yi]), key = row[ti] as number | string;
      if (!images.has(key)) images.set(key, []);
      images.get(key)!.push({ x, y, v: Number(row[vi]) });
      width = Math.max(width, x + 1);
      height = Math.max(height, y + 1);
    }
  }
  const tiles = [...images.entries()].sort((a, b) => compareKeys(a[0], b[0])).map(([, px]) => {
    const img = new Float32Array(width * height);
    for (const p of px) img[p.y * width + p.x] = p.v;
    return img;
  });
  return await imageGridSvg({
    title: plot.title,
    subtitle: `${plan.pipeline.data.name} · profile ${plan.profile} · ${picked?.label ?? "no run"} · ${metric}`,
    images: tiles,
    width: Math.max(1, width),
    height: Math.max(1, height),
    columns: plot.columns,
  });
}

function compareKeys(a: number | string, b: number | string): number {
  return typeof a === "number" && typeof b === "number"
    ? a - b
    : String(a) < String(b)
    ? -1
    : String(a) > String(b)
    ? 1
    : 0;
}

/**
 * Renders every plot of the pipeline into `outDir` as `<id>.svg` and `<id>.png`;
 * plots of individual runs read `runs`. Returns the files.
 */
export async function renderPlots(
  plan: Plan,
  summary: SummaryRow[],
  outDir: string,
  runs: LoadedRun[] = [],
): Promise<string[]> {
  const files: string[] = [];
  for (const plot of plan.pipeline.data.plots) {
    const svg = plot.kind === "images"
      ? await imagesSvg(plan, plot, runs)
      : await vegaLiteToSvg(plotSpec(plan, plot, summary, runs));
    const svgPath = join(outDir, `${plot.id}.svg`);
    await writeFileAtomic(svgPath, svg);
    const pngPath = join(outDir, `${plot.id}.png`);
    await writeFileAtomic(pngPath, await svgToPng(svg));
    files.push(svgPath, pngPath);
  }
  return files;
}
