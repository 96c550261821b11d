import { assert, assertEquals, assertNotEquals, assertRejects } from "../../../helpers/assert.ts";
import { PipelineError, UserError } from "../../../../lib/util/errors.ts";
import { parsePipeline } from "../../../../lib/engine/pipeline/load.ts";
import { planRuns } from "../../../../lib/engine/pipeline/plan.ts";
import { defaultRegistryUrl, loadRegistry, toModuleUrl } from "../../../../lib/engine/pipeline/registry.ts";
import { VALID } from "../../../fixtures/pipelines/valid.ts";

const registry = await loadRegistry([defaultRegistryUrl(), toModuleUrl("tests/fixtures/experiments/registry.ts")]);
const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "v" } };

async function plan(text: string, extra: Partial<Parameters<typeof planRuns>[1]> = {}) {
  return await planRuns(parsePipeline(text, "p.yaml"), { registry, environment, ...extra });
}

async function planErrors(text: string, extra: Partial<Parameters<typeof planRuns>[1]> = {}): Promise<string[]> {
  const e = await assertRejects(() => plan(text, extra), PipelineError);
  return e.message.split("\n");
}

Deno.test("planRuns() expands seeds x axes with resolved configs and distinct keys", async () => {
  const p = await plan(VALID);
  assertEquals(p.runs.map((r) => [r.cell, r.seed]), [["label=a", 0], ["label=a", 1], ["label=b", 0], ["label=b", 1]]);
  assertEquals(p.runs[2].config.label, "b");
  assertEquals(p.runs[2].config.epochs, 2);
  assertEquals(p.runs[2].config.lr, 0.05, "defaults from the experiment's schema");
  assertEquals(new Set(p.runs.map((r) => r.key)).size, 4);
  assert(p.runs.every((r) => /^[0-9a-f]{64}$/.test(r.key)));
});

Deno.test("planRuns() keys are stable and change with everything that determines a run", async () => {
  const base = (await plan(VALID)).runs[0].key;
  assertEquals((await plan(VALID)).runs[0].key, base);
  const reordered = VALID.replace("config:\n  epochs: 2\n", "") + "config:\n  epochs: 2\n";
  assertEquals((await plan(reordered)).runs[0].key, base, "key order in YAML does not matter");
  assertNotEquals((await plan(VALID.replace("epochs: 2", "epochs: 3"))).runs[0].key, base);
  assertNotEquals(
    (await planRuns(parsePipeline(VALID, "p.yaml"), { registry, environment: { ...environment, backend: "webgpu" } }))
      .runs[0].key,
    base,
  );
  assertNotEquals(
    (await planRuns(parsePipeline(VALID, "p.yaml"), {
      registry,
      environment: { ...environment, versions: { ...environment.versions, deno: "2.9.7" } },
    })).runs[0].key,
    base,
  );
  const p = await plan(VALID);
  assertEquals(p.runs[0].parts.experiment.id, "fixture-regression");
  assert(p.sourceFiles.includes("tests/fixtures/experiments/regression.ts"), p.sourceFiles.join());
});

Deno.test("planRuns() applies profiles, exclude, include, --only and --set", async () => {
  const text = VALID.replace(
    "    label: [a, b]",
    "    label: [a, b, c]\n  exclude:\n    - {label: b}\n  include:\n    - {label: b}",
  )
    .replace("    description: Tiny.", "    description: Tiny.\n    seeds: [5]\n    config: {steps: 2}");
  const p = await plan(text);
  assertEquals(p.runs.map((r) => `${r.cell}/${r.seed}`), ["label=a/5", "label=c/5", "label=b/5"]);
  assertEquals(p.runs[0].config.steps, 2);
  const only = await plan(text, { only: { label: ["c"] } });
  assertEquals(only.runs.map((r) => r.cell), ["label=c"]);
  const set = await plan(text, { set: { lr: 0.5 } });
  assertEquals(set.runs[0].config.lr, 0.5);
  await assertRejects(
    () => plan(text, { only: { colour: ["x"] } }),
    UserError,
    /'colour' is neither an axis nor 'seed'/,
  );
});

Deno.test("planRuns() supports axes of named config bundles", async () => {
  const text = VALID.replace(
    "    label: [a, b]",
    "    method:\n      slow: {lr: 0.01}\n      fast: {lr: 0.1, steps: 9}",
  );
  const p = await plan(text);
  assertEquals(p.runs.map((r) => [r.cell, r.config.lr, r.config.steps]), [
    ["method=slow", 0.01, 5],
    ["method=slow", 0.01, 5],
    ["method=fast", 0.1, 9],
    ["method=fast", 0.1, 9],
  ]);
});

Deno.test("planRuns() reports an unknown experiment at its line", async () => {
  const lines = await planErrors(VALID.replace("experiment: fixture-regression", "experiment: nope"));
  assertEquals(lines.length, 1);
  assert(lines[0].startsWith("p.yaml:8:13: experiment: unknown experiment 'nope'; registered:"), lines[0]);
});

Deno.test("planRuns() reports bad config values at the line that set them", async () => {
  const unknown = await planErrors(VALID.replace("  epochs: 2", "  epochs: 2\n  epoch: 3"));
  assertEquals(unknown, [
    "p.yaml:11:3: config.epoch: unknown key 'epoch'. Did you mean 'epochs'? (config key 'epoch' in cell label=a)",
  ]);
  const wrongType = await planErrors(
    VALID.replace("    description: Tiny.", "    description: Tiny.\n    config: {epochs: many}"),
  );
  assertEquals(wrongType, [
    "p.yaml:18:22: profiles.smoke.config.epochs: expected number, got \"many\" (config key 'epochs' in cell label=a)",
  ]);
  const badAxis = await planErrors(VALID.replace("label: [a, b]", "label: [a, z]"));
  assertEquals(badAxis.length, 1);
  assert(badAxis[0].startsWith('p.yaml:14:16: grid.axes.label[1]: expected one of "a", "b", "c", got "z"'), badAxis[0]);
});

Deno.test("planRuns() reports an empty grid, a bad exclude and a missing default profile", async () => {
  const empty = await planErrors(
    VALID.replace("    label: [a, b]", "    label: [a, b]\n  exclude:\n    - {label: a}\n    - {label: b}"),
  );
  assertEquals(empty.length, 1);
  assert(empty[0].includes("grid.exclude: the grid is empty: every cell is excluded"), empty[0]);
  const bad = await planErrors(VALID.replace("    label: [a, b]", "    label: [a, b]\n  exclude:\n    - {colour: a}"));
  assert(bad[0].includes("grid.exclude[0].colour: unknown axis 'colour'"), bad[0]);
  const prof = await planErrors(VALID.replace("default_profile: smoke", "default_profile: paper"));
  assert(prof[0].startsWith("p.yaml:18:18: default_profile: profile 'paper' is not defined"), prof[0]);
  await assertRejects(
    () => plan(VALID, { profile: "huge" }),
    UserError,
    /Profile 'huge' does not exist in p\.yaml\. Available: smoke/,
  );
});

Deno.test("planRuns() checks plots and claims against the experiment's tables and axes", async () => {
  const lines = await planErrors(
    VALID + `plots:
  - {id: acc, title: T, y: accuracy, y_label: A}
claims:
  - id: c1
    kind: compare
    source: project
    why: a test
    text: t
    metric: loss
    direction: higher
    cells: {label: q}
    than: {label: a}
`,
  );
  assert(lines.some((l) => l.includes("plots[0].y: table 'metrics' has no column 'accuracy'")), lines.join("\n"));
  assert(
    lines.some((l) => l.includes("claims[0].cells.label: axis 'label' has no value \"q\"")),
    lines.join("\n"),
  );
});

Deno.test("planRuns() requires a claim's provenance and an argument for its margin or threshold", async () => {
  const lines = await planErrors(
    VALID + `claims:
  - {id: c1, kind: compare, source: paper, text: t, metric: loss, direction: higher, margin: 0.5}
  - {id: c2, kind: fraction, source: project, text: t, metric: loss, below: 1, at_least: 0.5}
  - {id: c3, kind: expect, source: project, why: w, argument: a, text: t, metric: loss, max: 1, section: S}
`,
  );
  const has = (s: string) => assert(lines.some((l) => l.includes(s)), `${s}\n${lines.join("\n")}`);
  has("p.yaml:20:37: claims[0].source: a claim with source paper needs 'section'");
  has("claims[0].source: a claim with source paper needs 'says'");
  has("claims[0]: a claim with a margin or threshold needs 'argument'");
  has("claims[1].source: a claim with source project needs 'why'");
  has("claims[1]: a claim with a margin or threshold needs 'argument'");
  has("claims[2].section: 'section' and 'says' are for claims with source paper");
});

Deno.test("planRuns() checks that an images plot names its columns and the run to draw", async () => {
  const missing = await planErrors(
    VALID + `plots:
  - {id: w, kind: images, title: T, table: weights, y: weight, y_label: W, x: unit}
`,
  );
  assert(missing.some((l) => l.includes("plots[0].rows: missing required key")), missing.join("\n"));
  assert(missing.some((l) => l.includes("plots[0].tile: missing required key")), missing.join("\n"));
  const lines = await planErrors(
    VALID + `plots:
  - {id: v, kind: images, title: T, table: weights, y: weight, y_label: W, x: unit, rows: unit, tile: weight,
     runs: {pick: best, by: {table: metrics, metric: loss}}}
  - {id: u, kind: images, title: T, table: weights, y: weight, y_label: W, x: unit, rows: unit, tile: unit}
evaluation:
  report: [loss, accuracy]
`,
  );
  assert(lines.some((l) => l.includes("plots[0].tile") && l.includes("weight")), lines.join("\n"));
  assert(lines.some((l) => l.includes("plots[1]: an images plot needs 'runs'")), lines.join("\n"));
  assert(lines.some((l) => l.includes("evaluation.report[1]") && l.includes("accuracy")), lines.join("\n"));
});

Deno.test("planRuns() accepts plot and claim selectors naming values of another profile's axes", async () => {
  const text = VALID.replace(
    "  smoke:\n    description: Tiny.\n",
    "  smoke:\n    description: Tiny.\n  wide:\n    description: More labels.\n    axes: {label: [a, c]}\n",
  ) + `plots:
  - {id: l, title: T, y: loss, y_label: L, where: {label: c}}
claims:
  - {id: c1, kind: compare, source: project, why: w, text: t, metric: loss, direction: lower, cells: {label: c}, than: {label: a}}
`;
  const p = await plan(text);
  assertEquals(p.runs.map((r) => r.labels.label), ["a", "a", "b", "b"]);
  const lines = await planErrors(text.replace("where: {label: c}", "where: {label: z}"));
  assert(
    lines.some((l) => l.includes(`plots[0].where.label: axis 'label' has no value "z" (values: a, b, c)`)),
    lines.join("\n"),
  );
});
