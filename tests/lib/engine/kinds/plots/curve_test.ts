import { assert, assertEquals } from "../../../../helpers/assert.ts";
import { movingAverage } from "../../../../../lib/engine/kinds/plots/curve.ts";
import { buildFigure } from "../../../../../lib/engine/report/plot.ts";
import { summarize } from "../../../../../lib/engine/results/summary.ts";
import { fakeRuns, fixturePlan } from "../../../../helpers/fixtures.ts";
import { VALID } from "../../../../fixtures/pipelines/valid.ts";

type Spec = {
  data: { values: Record<string, unknown>[] };
  layer: { mark: { type: string }; data?: { values: unknown[] } }[];
};

Deno.test("curve: a band from ci_low to ci_high and a line at the mean for each cell", async () => {
  const plan = await fixturePlan(VALID + "plots:\n  - {id: loss, title: Loss, y: loss, y_label: Loss}\n");
  const runs = fakeRuns(plan, (_cell, seed) => 1 + seed);
  const summary = summarize(plan, runs, 0.95);
  const fig = await buildFigure(plan, plan.pipeline.data.plots[0], summary, runs);
  assert(fig.type === "vega-lite");
  const spec = fig.spec as unknown as Spec;
  assertEquals(spec.data.values.length, 4, "2 cells x 2 epochs");
  const row = summary.find((r) =>
    r.cell === "label=a" && r.metric === "loss" && r.at === "each" && r.index.epoch === 1
  )!;
  assertEquals(spec.data.values[0], { x: 1, y: 1.5, lo: row.ci![0], hi: row.ci![1], series: "a", dashed: false });
});

Deno.test("curve: median with interquartile band, smoothed by a trailing moving average", async () => {
  const plan = await fixturePlan(
    VALID.replace("seeds: [0, 1]", "seeds: [0, 1, 2, 3]") +
      "plots:\n  - {id: loss, title: Loss, y: loss, y_label: Loss, center: median, band: iqr, smooth: 2}\n",
  );
  const runs = fakeRuns(plan, (_c, seed, epoch) => seed * epoch, () => 3);
  const fig = await buildFigure(plan, plan.pipeline.data.plots[0], summarize(plan, runs, 0.95), runs);
  assert(fig.type === "vega-lite");
  const a = (fig.spec as unknown as Spec).data.values.filter((v) => v.series === "a");
  // Seeds 0..3 at epoch e: values 0, e, 2e, 3e; median 1.5e, quartiles 0.75e and 2.25e.
  // Smoothed over 2: epoch 1 alone, then the mean of epochs (1, 2) and (2, 3).
  assertEquals(a.map((v) => v.y), [1.5, 2.25, 3.75]);
  assertEquals(a.map((v) => v.lo), [0.75, 1.125, 1.875]);
  assertEquals(a.map((v) => v.hi), [2.25, 3.375, 5.625]);
});

Deno.test("movingAverage() averages each series over its last w points in x order", () => {
  const pts = [3, 1, 2].map((x) => ({ x, y: x * 10, lo: x, hi: x, series: "s", dashed: false }));
  assertEquals(movingAverage(pts, 2).map((p) => [p.x, p.y]), [[1, 10], [2, 15], [3, 25]]);
});

Deno.test("curve: rules draw reference lines from a constant or a metric's mean, significance marks where groups differ", async () => {
  const plan = await fixturePlan(
    VALID.replace("seeds: [0, 1]", "seeds: [0, 1, 2, 3, 4, 5]") + `plots:
  - id: loss
    title: Loss
    y: loss
    y_label: Loss
    rules:
      - { label: solved, value: 0.5 }
      - { label: b's norm, table: metrics, metric: weight_norm, where: { label: b } }
    significance: { cells: { label: a }, than: { label: b }, test: ranksum }
`,
  );
  // Epoch 1: a and b overlap; epoch 2: every a above every b.
  const runs = fakeRuns(plan, (cell, seed, epoch) => (epoch === 1 ? seed : cell === "label=a" ? 100 + seed : seed));
  const fig = await buildFigure(plan, plan.pipeline.data.plots[0], summarize(plan, runs, 0.95), runs);
  assert(fig.type === "vega-lite");
  const layers = (fig.spec as unknown as Spec).layer;
  const rule = layers.find((l) => l.mark.type === "rule")!;
  assertEquals(rule.data!.values, [{ label: "solved", y: 0.5 }, { label: "b's norm", y: 1 }]);
  const stars = layers.filter((l) => l.mark.type === "text").at(-1)!;
  assertEquals(stars.data!.values, [{ x: 2, label: "*" }]);
});
