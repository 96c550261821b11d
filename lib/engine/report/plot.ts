/**
 * Figures of a profile: each plot's kind (lib/engine/kinds/plots/) builds a
 * Vega-Lite spec or an SVG; here they are rendered to SVG (vega, no browser)
 * and PNG (resvg, with the DejaVu Sans font shipped by the
 * `dejavu-fonts-ttf` package, so text renders the same everywhere), and the
 * Vega-Lite spec is saved beside its figure (`<id>.vl.json`) for restyling.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "../pipeline/load.ts";
 * import { planRuns } from "../pipeline/plan.ts";
 * import { defaultRegistryUrl, loadRegistry } from "../pipeline/registry.ts";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "x" } };
 * const plan = await planRuns(await loadPipeline("pipelines/value-rnn-td.yaml"), { profile: "smoke", registry, environment });
 * import { renderPlots } from "./plot.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { files, skipped } = await renderPlots(plan, [], await Deno.makeTempDir());
 * assertEquals(files.some((f) => f.endsWith("loss.png")), false); // no runs yet: no loss curve
 * assertEquals(skipped.map((s) => s.id).includes("loss"), true); // each skipped figure is listed with why
 * ```
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as vega from "vega";
import * as vl from "vega-lite";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { writeFileAtomic } from "../../util/atomic.ts";
import { PLOT_KINDS } from "../kinds/plots/mod.ts";
import { FONT_FAMILY } from "../kinds/plots/common.ts";
import type { PlotSpec } from "../kinds/plots/mod.ts";
import type { Figure, RunTables, SummaryRow } from "../kinds/types.ts";
import type { Plan } from "../pipeline/plan.ts";
import { reportContext } from "./context.ts";

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

/** The figure one plot of the plan builds from a summary and runs (exported for tests). */
export async function buildFigure(
  plan: Plan,
  plot: PlotSpec,
  summary: SummaryRow[],
  runs: RunTables[] = [],
): Promise<Figure> {
  return await PLOT_KINDS[plot.kind].build(plot, reportContext(plan, summary, runs));
}

/** What renderPlots wrote, and the plots it skipped with the reason. */
export interface RenderedPlots {
  files: string[];
  skipped: { id: string; reason: string }[];
}

/**
 * Renders every plot of the pipeline into `outDir` as `<id>.svg` and
 * `<id>.png` (and `<id>.vl.json` for Vega-Lite figures); plots of individual
 * runs read `runs`. A plot with nothing to draw is skipped with its reason,
 * and its files from an earlier rendering are removed.
 */
export async function renderPlots(
  plan: Plan,
  summary: SummaryRow[],
  outDir: string,
  runs: RunTables[] = [],
): Promise<RenderedPlots> {
  const out: RenderedPlots = { files: [], skipped: [] };
  const ctx = reportContext(plan, summary, runs);
  for (const plot of plan.pipeline.data.plots) {
    const fig = await PLOT_KINDS[plot.kind].build(plot, ctx);
    const path = (ext: string) => join(outDir, `${plot.id}.${ext}`);
    if (fig.type === "skip") {
      out.skipped.push({ id: plot.id, reason: fig.reason });
      for (const ext of ["svg", "png", "vl.json"]) await Deno.remove(path(ext)).catch(() => {});
      continue;
    }
    let svg: string;
    if (fig.type === "vega-lite") {
      await writeFileAtomic(path("vl.json"), JSON.stringify(fig.spec, null, 2) + "\n");
      out.files.push(path("vl.json"));
      svg = await vegaLiteToSvg(fig.spec);
    } else {
      await Deno.remove(path("vl.json")).catch(() => {});
      svg = fig.svg;
    }
    await writeFileAtomic(path("svg"), svg);
    await writeFileAtomic(path("png"), await svgToPng(svg));
    out.files.push(path("svg"), path("png"));
  }
  return out;
}
