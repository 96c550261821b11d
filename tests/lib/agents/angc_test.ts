import * as tf from "@tensorflow/tfjs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { localImports } from "../../../lib/engine/pipeline/registry.ts";
import {
  AngcAgent,
  type AngcConfig,
  DqnAgent,
  episodeEpsilon,
  epsilonGreedy,
  equationsCircuit,
  releasedCircuit,
} from "../../../lib/agents/mod.ts";
import { NGC_EQUATIONS_DEFAULTS } from "../../../lib/models/ngc_equations.ts";
import { Trainable } from "../../../lib/agents/trainable.ts";
import { Rng } from "../../../lib/rng/mod.ts";
import { repoRoot } from "../../../lib/util/repo.ts";

await initBackend("wasm");

const GRADIENT_TAPE = /\btf\.(grad|grads|variableGrads|valueAndGrad|valueAndGrads)\b|\bcustomGrad\b/;

/** Every local module a module imports at run time, transitively, with its source. */
async function moduleClosure(entry: string): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    const text = await Deno.readTextFile(file);
    seen.set(file, text);
    for (const spec of localImports(text)) queue.push(join(dirname(file), spec));
  }
  return seen;
}

Deno.test("the ANGC agent computes no gradient: no module it runs uses tf.grad, variableGrads, valueAndGrad or customGrad", async () => {
  const lib = join(repoRoot(), "lib");
  const angc = await moduleClosure(join(lib, "agents", "angc.ts"));
  const files = [...angc.keys()].map((f) => relative(repoRoot(), f)).sort();
  // The scan covers both learning rules' circuits, the replay memory and the optimizer.
  for (
    const f of [
      "lib/agents/angc.ts",
      "lib/agents/circuits.ts",
      "lib/models/ngc.ts",
      "lib/models/ngc_equations.ts",
      "lib/models/replay_buffer.ts",
      "lib/optim/adam.ts",
    ]
  ) assert(files.includes(f), `${f} is not in the agent's modules: ${files.join(", ")}`);
  const code = (text: string) => text.replace(/^\s*\*.*$/gm, "").replace(/\/\/.*$/gm, "");
  const offenders = [...angc].filter(([, text]) => GRADIENT_TAPE.test(code(text)));
  assertEquals(offenders.map(([f]) => relative(repoRoot(), f)), []);
  // The scan can fail: the A2C estimator's code does use the tape.
  const a2c = await moduleClosure(fileURLToPath(new URL("../../../lib/estimators/a2c.ts", import.meta.url)));
  assert(
    [...a2c.values()].some((text) => GRADIENT_TAPE.test(code(text))),
    "the scan finds nothing in A2C: it could not fail",
  );
});

Deno.test("with epsilon_per episode, epsilon holds within an episode and decays after it, down to its floor", () => {
  const x = { start: 1, end: 0.05, decay: 0.97, per: "episode" as const };
  const rng = Rng.fromSeed(2);
  for (let i = 0; i < 5; i++) assertEquals(epsilonGreedy(0.5, x, 2, rng, () => 1).epsilon, 0.5);
  let eps = 1;
  for (let e = 0; e < 200; e++) eps = episodeEpsilon(eps, x);
  assertEquals(eps, 0.05);
  assertEquals(episodeEpsilon(1, x), 0.97);
  assertEquals(episodeEpsilon(0.5, { ...x, per: "action" }), 0.5, "per action: nothing happens after an episode");
});

Deno.test("epsilonGreedy() decays epsilon before each choice, down to its floor, as collect_policy", () => {
  const x = { start: 1, end: 0.5, decay: 0.9 };
  const rng = Rng.fromSeed(1);
  let eps = x.start;
  const seen: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = epsilonGreedy(eps, x, 3, rng, () => 2);
    eps = r.epsilon;
    seen.push(eps);
  }
  assert(Math.abs(seen[0] - 0.9) < 1e-12 && Math.abs(seen[1] - 0.81) < 1e-12);
  assertEquals(seen.at(-1), 0.5);
  // With epsilon at 0 the greedy action is always taken.
  for (let i = 0; i < 20; i++) {
    assertEquals(epsilonGreedy(0, { start: 0, end: 0, decay: 1 }, 3, rng, () => 2).action, 2);
  }
});

const cfg: AngcConfig = {
  observationSize: 2,
  actions: 3,
  hidden: [8, 8],
  eta: 0.002,
  gamma: 0.99,
  batch: 4,
  replayCapacity: 50,
  targetEvery: 3,
  circuit: releasedCircuit(100),
  reward: "instrumental",
  exploration: { start: 1, end: 0.01, decay: 0.99991 },
};

function transitions(n: number, seed: number) {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: n }, () => ({
    s: Float32Array.of(rng.uniform() - 0.5, 0.01 * rng.normal()),
    a: rng.int(3),
    r: -1,
    s2: Float32Array.of(rng.uniform() - 0.5, 0.01 * rng.normal()),
    done: 0 as const,
  }));
}

const RULES: AngcConfig["circuit"][] = [
  releasedCircuit(100),
  equationsCircuit({ ...NGC_EQUATIONS_DEFAULTS, steps: 5 }),
];

for (const circuit of RULES) {
  Deno.test(`AngcAgent (${circuit.rule} rule): the epistemic signal is normalised by its running bounds, learning starts at a full batch, and saving and restoring resumes it exactly`, async () => {
    const cfg_ = { ...cfg, circuit };
    const before = tf.memory().numTensors;
    const steps = transitions(12, 3);
    const a = new AngcAgent(cfg_, Rng.fromSeed(0));
    const q0 = a.qValues(steps[0].s);
    const reports = steps.slice(0, 3).map((s, t) => a.learn(s, t, Rng.fromSeed(10 + t)));
    // The first transition is its own maximum: normalised 1. No update below the batch of 4.
    assertEquals(reports[0].epistemic, 1);
    assert(reports.every((r) => r.epistemic! >= 0 && r.epistemic! <= 1));
    assertEquals(Array.from(a.qValues(steps[0].s)), Array.from(q0), "no update before 4 transitions are stored");
    a.learn(steps[3], 3, Rng.fromSeed(13));
    assert(Array.from(a.qValues(steps[0].s)).some((v, i) => v !== q0[i]), "the fourth transition triggers an update");
    const snap = await a.save();
    const b = new AngcAgent(cfg_, Rng.fromSeed(99));
    b.restore(snap);
    for (let t = 4; t < 12; t++) {
      const ra = a.learn(steps[t], t, Rng.fromSeed(10 + t)), rb = b.learn(steps[t], t, Rng.fromSeed(10 + t));
      assertEquals(ra, rb);
    }
    assertEquals(Array.from(a.qValues(steps[0].s)), Array.from(b.qValues(steps[0].s)));
    a.dispose();
    b.dispose();
    assertEquals(tf.memory().numTensors, before, "tensors leaked");
  });
}

Deno.test("AngcAgent learns from the epistemic signal only when asked: the two reward modes update the controller differently", () => {
  const steps = transitions(6, 5);
  const q = (reward: AngcConfig["reward"]) => {
    const a = new AngcAgent({ ...cfg, reward }, Rng.fromSeed(0));
    steps.forEach((s, t) => a.learn(s, t, Rng.fromSeed(t)));
    const out = Array.from(a.qValues(steps[0].s));
    a.dispose();
    return out;
  };
  const instrumental = q("instrumental"), both = q("instrumental+epistemic");
  assert(instrumental.some((v, i) => v !== both[i]));
});

Deno.test("DqnAgent saves and restores to the same behaviour, and frees its tensors", async () => {
  const before = tf.memory().numTensors;
  const steps = transitions(10, 7);
  const dcfg = { ...cfg, circuit: undefined, reward: undefined };
  const a = new DqnAgent(dcfg, Rng.fromSeed(0));
  steps.slice(0, 5).forEach((s, t) => a.learn(s, t, Rng.fromSeed(t)));
  const b = new DqnAgent(dcfg, Rng.fromSeed(1));
  b.restore(await a.save());
  steps.slice(5).forEach((s, t) => {
    a.learn(s, t + 5, Rng.fromSeed(t + 5));
    b.learn(s, t + 5, Rng.fromSeed(t + 5));
  });
  const obs = Float32Array.of(0.1, 0);
  for (let i = 0; i < 5; i++) assertEquals(a.act(obs, Rng.fromSeed(i)), b.act(obs, Rng.fromSeed(i)));
  a.dispose();
  b.dispose();
  assertEquals(tf.memory().numTensors, before, "tensors leaked");
});

Deno.test("Trainable applies its constraint after every step: the specified rule's columns stay within norm 1", () => {
  const c = equationsCircuit(NGC_EQUATIONS_DEFAULTS);
  const p = c.init(Rng.fromSeed(2), { inputs: 3, hidden: [4, 4], outputs: 2 });
  const t = new Trainable(p, { lr: 5 }, c.constrain);
  // A step of Adam at lr 5 moves each entry by about 5: far past norm 1 without the clip.
  t.step(Object.fromEntries(Object.entries(t.params).map(([k, w]) => [k, tf.onesLike(w)])));
  for (const [k, w] of Object.entries(t.params)) {
    const norms = tf.norm(w, "euclidean", 0).dataSync();
    assert(norms.every((n) => n <= 1 + 1e-5) && norms.some((n) => n > 0.99), `${k}: column norms ${norms}`);
  }
  t.dispose();
});
