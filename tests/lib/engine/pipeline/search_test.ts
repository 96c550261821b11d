import { assert, assertEquals, assertNotEquals, assertRejects } from "../../../helpers/assert.ts";
import { PipelineError } from "../../../../lib/util/errors.ts";
import { parsePipeline } from "../../../../lib/engine/pipeline/load.ts";
import { planRuns } from "../../../../lib/engine/pipeline/plan.ts";
import { searchSettings, settingLabel } from "../../../../lib/engine/pipeline/search.ts";
import { defaultRegistryUrl, loadRegistry, toModuleUrl } from "../../../../lib/engine/pipeline/registry.ts";
import { VALID } from "../../../fixtures/pipelines/valid.ts";

const registry = await loadRegistry([defaultRegistryUrl(), toModuleUrl("tests/fixtures/experiments/registry.ts")]);
const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "v" } };

const SPACE = {
  lr: { log_uniform: [1e-4, 1e-2] as [number, number] },
  "optimizer.beta": { uniform: [0, 0.5] as [number, number] },
  steps: { int_uniform: [1, 3] as [number, number] },
  label: { choice: ["a", "b", "c"] },
};

Deno.test("searchSettings() draws each key within its range, rounded, the same on every call", () => {
  const s = searchSettings({ samples: 200, seed: 3, digits: 3, space: SPACE });
  assertEquals(Object.keys(s).length, 200);
  assertEquals(Object.keys(s)[0], "s001");
  const lrs: number[] = [];
  for (const v of Object.values(s)) {
    const lr = v.lr as number, beta = (v.optimizer as { beta: number }).beta;
    assert(lr >= 1e-4 && lr <= 1e-2, `lr ${lr}`);
    assertEquals(lr, Number(lr.toPrecision(3)), "3 significant digits");
    assert(beta >= 0 && beta <= 0.5);
    assert([1, 2, 3].includes(v.steps as number));
    assert(["a", "b", "c"].includes(v.label as string));
    lrs.push(lr);
  }
  // Log-uniform: about half the draws below the geometric middle 1e-3.
  const below = lrs.filter((x) => x < 1e-3).length;
  assert(below > 70 && below < 130, `${below} of 200 below 1e-3`);
  const ints = new Set(Object.values(s).map((v) => v.steps));
  assertEquals(ints.size, 3, "both ends of int_uniform are drawn");
  assertEquals(searchSettings({ samples: 200, seed: 3, digits: 3, space: SPACE }), s);
  assertNotEquals(searchSettings({ samples: 200, seed: 4, digits: 3, space: SPACE }).s001, s.s001);
});

Deno.test("settingLabel() pads to the number of settings", () => {
  assertEquals([settingLabel(0, 9), settingLabel(8, 9)], ["s1", "s9"]);
  assertEquals([settingLabel(0, 100), settingLabel(99, 100)], ["s001", "s100"]);
});

const SEARCH = VALID.replace(
  "    label: [a, b]",
  `    label: [a, b]
    setting:
      search:
        samples: 3
        seed: 1
        space:
          lr: { log_uniform: [0.001, 0.1] }
        select: { top: 2, table: metrics, metric: loss, direction: lower }`,
);

Deno.test("planRuns() expands a search axis into one cell per setting, with the drawn values in its config", async () => {
  const p = await planRuns(parsePipeline(SEARCH, "p.yaml"), { registry, environment });
  assertEquals(p.axes, ["label", "setting"]);
  assertEquals(p.runs.length, 2 * 3 * 2, "labels x settings x seeds");
  const drawn = searchSettings({ samples: 3, seed: 1, digits: 3, space: { lr: { log_uniform: [0.001, 0.1] } } });
  for (const r of p.runs) assertEquals(r.config.lr, drawn[r.labels.setting].lr, r.cell);
  assertEquals(p.runs[0].cell, "label=a setting=s1");
  assertEquals(p.selection?.axis, "setting");
  assertEquals(p.selection?.top, 2);
});

Deno.test("planRuns() reports a bad search at its file, line and key", async () => {
  const bad = async (text: string) =>
    (await assertRejects(() => planRuns(parsePipeline(text, "p.yaml"), { registry, environment }), PipelineError))
      .message;
  const m1 = await bad(SEARCH.replace("metric: loss", "metric: losss"));
  assert(/p\.yaml:2\d:\d+/.test(m1) && m1.includes("losss"), m1);
  const m2 = await bad(SEARCH.replace("lr: { log_uniform: [0.001, 0.1] }", "lr: { log_uniform: [-1, 0.1] }"));
  assert(m2.includes("p.yaml:20:") && m2.includes("search.space.lr.log_uniform[0]"), m2);
  const m4 = await bad(SEARCH.replace("samples: 3", "samples: 0"));
  assert(m4.includes("p.yaml:17:") && m4.includes("search.samples"), m4);
  const m3 = await bad(SEARCH.replace("lr: { log_uniform", "lrr: { log_uniform"));
  assert(m3.includes("p.yaml:19:") && m3.includes("unknown key 'lrr'"), m3);
  const twoSelecting = SEARCH.replace(
    "    setting:\n",
    `    other:
      search:
        samples: 2
        seed: 2
        space:
          epochs: { int_uniform: [1, 3] }
        select: { top: 1, table: metrics, metric: loss, direction: lower }
    setting:\n`,
  );
  assert(twoSelecting !== SEARCH);
  assert((await bad(twoSelecting)).includes("only one search axis may have 'select'"));
});
