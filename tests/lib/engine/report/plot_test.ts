import { assert, assertEquals } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { buildFigure, renderPlots } from "../../../../lib/engine/report/plot.ts";
import { PlotSchema } from "../../../../lib/engine/kinds/plots/mod.ts";
import { summarize } from "../../../../lib/engine/results/summary.ts";
import { fakeRuns, fixturePlan } from "../../../helpers/fixtures.ts";
import { VALID } from "../../../fixtures/pipelines/valid.ts";

const PLOTS = VALID + `plots:
  - {id: loss, title: Training loss, y: loss, y_label: Squared error, y_scale: log}
  - {id: final, kind: bar, title: Final weight norm, y: weight_norm, y_label: Norm}
`;

Deno.test("renderPlots() writes an SVG with title, axis labels and legend, a PNG, and the Vega-Lite spec", async () => {
  const plan = await fixturePlan(PLOTS);
  const runs = fakeRuns(plan, (cell, seed, epoch) => (cell === "label=a" ? 1 : 2) / epoch + seed * 0.1);
  const summary = summarize(plan, runs, 0.95);
  const dir = await Deno.makeTempDir();
  const { files, skipped } = await renderPlots(plan, summary, dir, runs);
  assertEquals(files.map((f) => f.slice(dir.length + 1)), [
    "loss.vl.json",
    "loss.svg",
    "loss.png",
    "final.vl.json",
    "final.svg",
    "final.png",
  ]);
  assertEquals(skipped, []);
  const svg = await Deno.readTextFile(join(dir, "loss.svg"));
  assert(svg.startsWith("<svg"), svg.slice(0, 50));
  for (
    const text of ["Training loss", "demo · profile smoke · mean and 95% CI over 2 seeds", "Squared error", "Epoch"]
  ) {
    assert(svg.includes(text), `SVG lacks '${text}'`);
  }
  // The legend's title names the axis; its labels are the values, not "label=a".
  assert(svg.includes(">label<") && !svg.includes("label=a"), "legend title 'label', labels 'a' and 'b'");
  const spec = JSON.parse(await Deno.readTextFile(join(dir, "loss.vl.json")));
  assertEquals(spec.title.text, "Training loss");
  const png = await Deno.readFile(join(dir, "loss.png"));
  assertEquals([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
  assert(new DataView(png.buffer).getUint32(16) >= 1000, "PNG at twice the SVG's size");
});

Deno.test("a curve tells series apart without colour: a dash pattern and a marker shape per series", async () => {
  const plan = await fixturePlan(PLOTS);
  const runs = fakeRuns(plan, () => 1);
  const fig = await buildFigure(plan, plan.pipeline.data.plots[0], summarize(plan, runs, 0.95), runs);
  assert(fig.type === "vega-lite");
  const layers = fig.spec.layer as {
    mark: { type: string };
    encoding: Record<string, { scale?: { range: unknown[] } }>;
  }[];
  assertEquals(layers.map((l) => l.mark.type), ["line", "point", "errorband"]);
  const dashes = layers[0].encoding.strokeDash.scale!.range;
  const shapes = layers[1].encoding.shape.scale!.range;
  assertEquals(new Set(dashes.map((d) => JSON.stringify(d))).size, 2, "two series, two dash patterns");
  assertEquals(new Set(shapes).size, 2, "two series, two marker shapes");
});

Deno.test("a figure of one seed says so and draws no interval", async () => {
  const plan = await fixturePlan(PLOTS.replace("seeds: [0, 1]", "seeds: [0]"));
  const runs = fakeRuns(plan, () => 1);
  const fig = await buildFigure(plan, plan.pipeline.data.plots[0], summarize(plan, runs, 0.95), runs);
  assert(fig.type === "vega-lite");
  assertEquals((fig.spec.title as { subtitle: string }).subtitle, "demo · profile smoke · mean over 1 seed");
});

Deno.test("renderPlots() draws an images plot from the best run's table, and skips one whose cells match no run", async () => {
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
  const images = {
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
  };
  const plots = [PlotSchema.parse(images), PlotSchema.parse({ ...images, id: "none", where: { label: "c" } })];
  const plan = {
    ...base,
    tables: [...base.tables, pixels],
    pipeline: { ...base.pipeline, data: { ...base.pipeline.data, plots } },
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
  await Deno.writeTextFile(join(dir, "none.svg"), "stale");
  const { files, skipped } = await renderPlots(plan, [], dir, runs);
  assertEquals(files.map((f) => f.slice(dir.length + 1)), ["digits.svg", "digits.png"]);
  assertEquals(skipped, [{ id: "none", reason: "no run of this profile matches the plot's cells" }]);
  assert(!(await Deno.stat(join(dir, "none.svg")).then(() => true, () => false)), "a stale figure is removed");
  const svg = await Deno.readTextFile(join(dir, "digits.svg"));
  assert(svg.includes("Sampled images") && svg.includes("best: seed 1 label=b"), svg.slice(0, 600));
  const b64 = svg.match(/base64,([A-Za-z0-9+/=]+)/)![1];
  const png = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  // 2 columns x 2 rows of 2x2 images, scale 3: (2 * 3 + 1) * 3 = 21 pixels square.
  assertEquals([new DataView(png.buffer).getUint32(16), new DataView(png.buffer).getUint32(20)], [21, 21]);
});

Deno.test("renderPlots() skips a curve whose cells match nothing in this profile, and names why", async () => {
  // The profile runs cell a only; the second figure draws cell b.
  const text = VALID.replace("    description: Tiny.\n", "    description: Tiny.\n    axes: { label: [a] }\n");
  const plan = await fixturePlan(
    text + `plots:
  - {id: loss, title: Training loss, y: loss, y_label: Squared error}
  - {id: only-b, title: Cell b, y: loss, y_label: Squared error, where: {label: b}}
`,
  );
  const runs = fakeRuns(plan, (_cell, seed, epoch) => 1 / epoch + seed * 0.1);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "only-b.png"), "stale");
  const { files, skipped } = await renderPlots(plan, summarize(plan, runs, 0.95), dir, runs);
  assertEquals(files.map((f) => f.slice(dir.length + 1)), ["loss.vl.json", "loss.svg", "loss.png"]);
  assertEquals(skipped.map((s) => s.id), ["only-b"]);
  assert(
    skipped[0].reason.includes('no cell of profile smoke has these values (where {"label":"b"})'),
    skipped[0].reason,
  );
  assert(!(await Deno.stat(join(dir, "only-b.png")).then(() => true, () => false)), "a stale file is removed");
});
