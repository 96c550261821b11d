import { assert, assertEquals } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { plotSpec, renderPlots } from "../../../../lib/engine/report/plot.ts";
import { PlotSchema } from "../../../../lib/engine/pipeline/schema.ts";
import { summarize } from "../../../../lib/engine/results/summary.ts";
import { fakeRuns, fixturePlan } from "../../../helpers/fixtures.ts";
import { VALID } from "../../../fixtures/pipelines/valid.ts";

const PLOTS = VALID + `plots:
  - {id: loss, title: Training loss, y: loss, y_label: Squared error, y_scale: log}
  - {id: final, kind: bar, title: Final weight norm, y: weight_norm, y_label: Norm}
`;

Deno.test("renderPlots() writes an SVG with title, axis labels and legend, and a PNG", async () => {
  const plan = await fixturePlan(PLOTS);
  const summary = summarize(
    plan,
    fakeRuns(plan, (cell, seed, epoch) => (cell === "label=a" ? 1 : 2) / epoch + seed * 0.1),
    0.95,
  );
  const dir = await Deno.makeTempDir();
  const files = await renderPlots(plan, summary, dir);
  assertEquals(files.map((f) => f.slice(dir.length + 1)), ["loss.svg", "loss.png", "final.svg", "final.png"]);
  const svg = await Deno.readTextFile(join(dir, "loss.svg"));
  assert(svg.startsWith("<svg"), svg.slice(0, 50));
  for (
    const text of [
      "Training loss",
      "demo · profile smoke · mean and 95% CI over 2 seeds",
      "Squared error",
      "Epoch",
      "label=a",
      "label=b",
    ]
  ) {
    assert(svg.includes(text), `SVG lacks '${text}'`);
  }
  const png = await Deno.readFile(join(dir, "loss.png"));
  assertEquals([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
  const width = new DataView(png.buffer).getUint32(16);
  assert(width >= 1000, `PNG is ${width} px wide`);
});

Deno.test("plotSpec() draws a band from ci_low to ci_high and a line at the mean for each cell", async () => {
  const plan = await fixturePlan(PLOTS);
  const summary = summarize(plan, fakeRuns(plan, () => 1), 0.95);
  const spec = plotSpec(plan, plan.pipeline.data.plots[0], summary) as {
    data: { values: Record<string, unknown>[] };
    layer: { mark: { type: string } }[];
  };
  assertEquals(spec.layer.map((l) => l.mark.type), ["errorband", "line"]);
  assertEquals(spec.data.values.length, 4, "2 cells x 2 epochs");
  assertEquals(spec.data.values[0], {
    x: 1,
    y: 1,
    lo: 1,
    hi: 1,
    series: "label=a",
    metric: "loss",
    order: 1,
    dashed: false,
  });
});

Deno.test("renderPlots() draws an images plot from the best run's table as an SVG and a PNG", async () => {
  const base = await fixturePlan();
  const pixels = {
    name: "pixels",
    doc: "images",
    summarize: false,
    columns: [
      { name: "image", type: "int" as const, role: "index" as const, doc: "" },
      { name: "row", type: "int" as const, role: "index" as const, doc: "" },
      { name: "col", type: "int" as const, role: "index" as const, doc: "" },
      { name: "value", type: "f32" as const, role: "metric" as const, doc: "" },
    ],
  };
  const plot = PlotSchema.parse({
    id: "digits",
    kind: "images",
    title: "Sampled images",
    table: "pixels",
    y: "value",
    y_label: "value",
    x: "col",
    rows: "row",
    tile: "image",
    columns: 2,
    runs: { pick: "best", by: { table: "metrics", metric: "loss" } },
  });
  const plan = {
    ...base,
    tables: [...base.tables, pixels],
    pipeline: { ...base.pipeline, data: { ...base.pipeline.data, plots: [plot] } },
  };
  // Seed 1 of label=b has the lowest final loss; its images are all white, the others black.
  const runs = fakeRuns(plan, (cell, seed) => (cell === "label=b" && seed === 1 ? 0.1 : 1)).map((r) => ({
    ...r,
    tables: {
      ...r.tables,
      pixels: {
        header: ["image", "row", "col", "value"],
        rows: [0, 1, 2].flatMap((i) =>
          [0, 1].flatMap((y) => [0, 1].map((x) => [i, y, x, r.run.cell === "label=b" && r.run.seed === 1 ? 1 : 0]))
        ),
      },
    },
  }));
  const dir = await Deno.makeTempDir();
  const files = await renderPlots(plan, [], dir, runs);
  assertEquals(files.map((f) => f.slice(dir.length + 1)), ["digits.svg", "digits.png"]);
  const svg = await Deno.readTextFile(join(dir, "digits.svg"));
  assert(svg.includes("Sampled images") && svg.includes("best: seed 1 label=b"), svg.slice(0, 600));
  const b64 = svg.match(/base64,([A-Za-z0-9+/=]+)/)![1];
  const png = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  // 2 columns x 2 rows of 2x2 images, scale 3: (2 * 3 + 1) * 3 = 21 pixels square.
  assertEquals([new DataView(png.buffer).getUint32(16), new DataView(png.buffer).getUint32(20)], [21, 21]);
});
