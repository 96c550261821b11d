import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { a2cSimpsonLoss, discountedReturns } from "../../../lib/estimators/a2c.ts";
import {
  initPlasticRnn,
  matchedHidden,
  PAPER_HIDDEN,
  parameterCount,
  PLASTIC_VARIANTS,
  plasticRnnBackward,
  plasticRnnForwardTf,
  type PlasticRnnParams,
  plasticRnnShapes,
  type PlasticRnnSpec,
  type Trajectory,
  unroll,
  type UnrollDriver,
} from "../../../lib/models/plastic_rnn.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

/** A driver replaying recorded inputs [T, B, I] and actions [T, B]. */
function replay(x: ArrayLike<number>, actions: Int32Array, B: number, I: number): UnrollDriver {
  return {
    observe: (t, xt) => xt.set(Array.from(x).slice(t * B * I, (t + 1) * B * I)),
    act: (t, _p, a) => a.set(actions.subarray(t * B, (t + 1) * B)),
  };
}

/** Random parameters with plasticity strong enough to matter (and to hit the clip). */
function strongParams(rng: Rng, spec: PlasticRnnSpec): PlasticRnnParams {
  const p: PlasticRnnParams = {};
  for (const [name, shape] of plasticRnnShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const scale = name === "eta" || name === "etaet" ? 0.4 : name === "alpha" ? 1.5 : 0.8;
    p[name] = Float64Array.from({ length: n }, () => (name === "etaet" ? 0.3 : scale * (2 * rng.uniform() - 1)));
  }
  return p;
}

function randomEpisodes(rng: Rng, T: number, B: number, I: number, A: number) {
  const x = Float64Array.from({ length: T * B * I }, () => (rng.uniform() < 0.3 ? 1 : rng.normal() * 0.5));
  const actions = Int32Array.from({ length: T * B }, () => rng.int(A));
  const rewards = Float64Array.from({ length: T * B }, () => (rng.uniform() < 0.1 ? 10 : 0));
  return { x, actions, rewards };
}

/** The network's equations for one episode, written out with nested arrays in float64. */
function referenceEpisode(p: PlasticRnnParams, spec: PlasticRnnSpec, xs: number[][]) {
  const { hidden: H, inputs: I, actions: A, variant } = spec;
  const M = (name: string, rows: number, cols: number) =>
    Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => p[name][i * cols + j]));
  const Wi = M("i2h.w", H, I), W = M("w", H, H), alpha = variant === "rnn" ? null : M("alpha", H, H);
  const Wo = M("h2o.w", A, H);
  const clip = (v: number) => Math.max(-spec.traceClip, Math.min(spec.traceClip, v));
  let h = new Array(H).fill(0);
  let tr = Array.from({ length: H }, () => new Array(H).fill(0));
  let et = Array.from({ length: H }, () => new Array(H).fill(0));
  const out: { h: number[]; logits: number[]; value: number; trace: number[][] }[] = [];
  for (const x of xs) {
    const hn = Wi.map((row, i) => {
      let a = p["i2h.b"][i] + row.reduce((s, w, q) => s + w * x[q], 0);
      for (let j = 0; j < H; j++) a += (W[i][j] + (alpha ? alpha[i][j] * tr[i][j] : 0)) * h[j];
      return Math.tanh(a);
    });
    const logits = Wo.map((row, a) => p["h2o.b"][a] + row.reduce((s, w, i) => s + w * hn[i], 0));
    const value = p["h2v.b"][0] + hn.reduce((s, v, i) => s + p["h2v.w"][i] * v, 0);
    const mod = () => Math.tanh(p["h2mod.b"][0] + hn.reduce((s, v, i) => s + p["h2mod.w"][i] * v, 0));
    if (variant === "plastic") tr = tr.map((row, i) => row.map((v, j) => clip(v + p["eta"][0] * hn[i] * h[j])));
    if (variant === "modplast") {
      const m = mod();
      tr = tr.map((row, i) => row.map((v, j) => clip(v + m * hn[i] * h[j])));
    }
    if (variant === "modplast-fanout") {
      // simplemaze: eta = modfanout(tanh(h2mod(h))), one rate per receiving neuron i (a row here, a column in torch).
      const m = mod();
      const eta = hn.map((_, i) => m * p["modfanout.w"][i] + p["modfanout.b"][i]);
      tr = tr.map((row, i) => row.map((v, j) => clip(v + eta[i] * hn[i] * h[j])));
    }
    if (variant === "modul") {
      const m = mod(), k = p["etaet"][0];
      tr = tr.map((row, i) => row.map((v, j) => clip(v + m * et[i][j])));
      et = et.map((row, i) => row.map((v, j) => (1 - k) * v + k * hn[i] * h[j]));
    }
    h = hn;
    out.push({ h, logits, value, trace: tr });
  }
  return out;
}

for (const variant of PLASTIC_VARIANTS) {
  Deno.test(`unroll() follows the ${variant} network's equations (float64 reference, and float32 within 1e-5)`, () => {
    const spec: PlasticRnnSpec = { variant, inputs: 5, hidden: 4, actions: 3, traceClip: 0.5 };
    const rng = Rng.fromSeed(11);
    const p = strongParams(rng.stream("p"), spec);
    const T = 12, B = 2, H = spec.hidden;
    const ep = randomEpisodes(rng.stream("ep"), T, B, 5, 3);
    const t64 = unroll(p, spec, B, T, replay(ep.x, ep.actions, B, 5), { float64: true });
    const p32 = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Float32Array.from(v)]));
    const t32 = unroll(p32, spec, B, T, replay(ep.x, ep.actions, B, 5));
    let clipped = 0;
    for (let b = 0; b < B; b++) {
      const xs = Array.from({ length: T }, (_, t) => Array.from(ep.x.subarray((t * B + b) * 5, (t * B + b + 1) * 5)));
      const ref = referenceEpisode(p, spec, xs);
      ref.forEach((r, t) => {
        for (const [traj, tol] of [[t64, 1e-12], [t32, 1e-5]] as [Trajectory, number][]) {
          r.h.forEach((v, i) => assert(Math.abs(traj.h[((t + 1) * B + b) * H + i] - v) <= tol, `h[${t}][${b}][${i}]`));
          r.logits.forEach((v, a) =>
            assert(Math.abs(traj.logits[(t * B + b) * 3 + a] - v) <= tol, `logits[${t}][${b}][${a}]`)
          );
          assert(Math.abs(traj.values[t * B + b] - r.value) <= tol, `value[${t}][${b}]`);
          if (variant !== "rnn") {
            r.trace.forEach((row, i) =>
              row.forEach((v, j) => {
                if (Math.abs(v) === spec.traceClip) clipped++;
                assert(
                  Math.abs(traj.trace[((t + 1) * B + b) * H * H + i * H + j] - v) <= tol,
                  `trace[${t}][${b}][${i},${j}]`,
                );
              })
            );
          }
        }
      });
    }
    if (variant !== "rnn") assert(clipped > 0, "the traces never reached the clip: the test would not check it");
  });
}

const A2C = { gamma: 0.9, entropyCoef: 0.03, valueCoef: 0.1, valueOfElement0: false };

/**
 * The A2C loss of a replayed trajectory in float64, with the advantage in the
 * policy term held at `adv` (it is stop_gradient'ed in the loss, so finite
 * differences must not move it).
 */
function lossOf(
  p: PlasticRnnParams,
  spec: PlasticRnnSpec,
  ep: ReturnType<typeof randomEpisodes>,
  T: number,
  B: number,
  adv?: Float64Array,
) {
  const traj = unroll(p, spec, B, T, replay(ep.x, ep.actions, B, spec.inputs), { float64: true });
  const r = a2cSimpsonLoss(traj.logits, traj.values, traj.actions, ep.rewards, { T, B, actions: spec.actions, ...A2C });
  const R = discountedReturns(ep.rewards, T, B, A2C.gamma);
  const A = spec.actions;
  let fixed = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * A, lg = Array.from(traj.logits.subarray(o, o + A));
      const mx = Math.max(...lg), z = lg.reduce((s, v) => s + Math.exp(v - mx), 0);
      const p2 = lg.reduce((s, v) => s + Math.exp(v - mx) ** 2, 0) / (z * z);
      const logp = lg[traj.actions[t * B + b]] - mx - Math.log(z);
      const a = R[t * B + b] - traj.values[t * B + b];
      fixed += (A2C.entropyCoef * p2 - logp * (adv ? adv[t * B + b] : a) + A2C.valueCoef * a * a) / (T * B);
    }
  }
  const advantages = Float64Array.from({ length: T * B }, (_, i) => R[i] - traj.values[i]);
  return { traj, ...r, fixed, advantages };
}

for (const variant of PLASTIC_VARIANTS) {
  Deno.test(`plasticRnnBackward() matches finite differences through 200 steps (${variant}, 3 units)`, () => {
    const spec: PlasticRnnSpec = { variant, inputs: 17, hidden: 3, actions: 4, traceClip: 0.3 };
    const rng = Rng.fromSeed(3);
    const p = strongParams(rng.stream("p"), spec);
    const T = 200, B = 2;
    const ep = randomEpisodes(rng.stream("ep"), T, B, 17, 4);
    const base = lossOf(p, spec, ep, T, B);
    assert(
      Math.abs(base.fixed - base.loss) < 1e-12,
      `the test's loss ${base.fixed} differs from a2cSimpsonLoss ${base.loss}`,
    );
    const g = plasticRnnBackward(p, base.traj, base.gLogits, base.gValues);
    const eps = 1e-6;
    // Errors relative to the gradient, or to a hundredth of the largest one for tiny entries (whose finite
    // differences are dominated by rounding and by the clip's kinks, crossed by some perturbations).
    const floor = 1e-2 * Math.max(...Object.values(g).flatMap((v) => Array.from(v, Math.abs)));
    let checked = 0, worst = 0;
    for (const [name] of plasticRnnShapes(spec)) {
      for (let i = 0; i < p[name].length; i++) {
        const keep = p[name][i];
        p[name][i] = keep + eps;
        const up = lossOf(p, spec, ep, T, B, base.advantages).fixed;
        p[name][i] = keep - eps;
        const down = lossOf(p, spec, ep, T, B, base.advantages).fixed;
        p[name][i] = keep;
        const fd = (up - down) / (2 * eps);
        const err = Math.abs(fd - g[name][i]) / Math.max(floor, Math.abs(fd));
        worst = Math.max(worst, err);
        assert(err < 1e-4, `d loss / d ${name}[${i}]: backward ${g[name][i]}, finite difference ${fd}`);
        checked++;
      }
    }
    assertEquals(checked, parameterCount(spec));
    // The gradient must reach the earliest steps: a backward pass that dropped the recurrence would fail above,
    // and one that is all zeros would match nothing.
    assert(Object.values(g).some((v) => v.some((x) => Math.abs(x) > 1e-3)), "every gradient is (near) zero");
  });
}

Deno.test("plasticRnnBackward() agrees with tf.grads of plasticRnnForwardTf() in float32 (every variant)", () => {
  for (const variant of PLASTIC_VARIANTS) {
    const spec: PlasticRnnSpec = { variant, inputs: 17, hidden: 6, actions: 4, traceClip: 1 };
    const rng = Rng.fromSeed(8);
    const p = initPlasticRnn(rng.stream("init"), spec);
    // Plasticity larger than at initialisation, so that the traces carry gradient.
    if (p["alpha"]) p["alpha"] = p["alpha"].map((v) => 30 * v);
    if (p["eta"]) p["eta"][0] = 0.3;
    const T = 30, B = 3;
    const ep = randomEpisodes(rng.stream("ep"), T, B, 17, 4);
    const traj = unroll(p, spec, B, T, replay(ep.x, ep.actions, B, 17));
    const gLogits = Float64Array.from({ length: T * B * 4 }, () => rng.normal());
    const gValues = Float64Array.from({ length: T * B }, () => rng.normal());
    const g = plasticRnnBackward(p, traj, gLogits, gValues);
    const names = plasticRnnShapes(spec).map(([n]) => n);
    const shapes = Object.fromEntries(plasticRnnShapes(spec));
    const before = tf.memory().numTensors;
    const grads = tf.tidy(() => {
      const x = tf.tensor3d(Float32Array.from(ep.x), [T, B, 17]);
      const gl = tf.tensor3d(Float32Array.from(gLogits), [T, B, 4]),
        gv = tf.tensor2d(Float32Array.from(gValues), [T, B]);
      return tf.grads((...ps: tf.Tensor[]) => {
        const out = plasticRnnForwardTf(Object.fromEntries(names.map((n, i) => [n, ps[i]])), spec, x);
        return tf.add(tf.sum(tf.mul(out.logits, gl)), tf.sum(tf.mul(out.values, gv)));
      })(names.map((n) => tf.tensor(p[n], shapes[n])));
    });
    names.forEach((n, k) => {
      const tfg = grads[k].dataSync();
      const scale = Math.max(...Array.from(tfg, Math.abs), 1e-6);
      for (let i = 0; i < tfg.length; i++) {
        assert(Math.abs(tfg[i] - g[n][i]) <= 2e-4 * scale, `${variant} ${n}[${i}]: fused ${g[n][i]}, tfjs ${tfg[i]}`);
      }
    });
    grads.forEach((t) => t.dispose());
    assertEquals(tf.memory().numTensors, before, `${variant}: tensors leaked`);
  }
});

Deno.test("the paper's hidden sizes match the variants' parameter counts within 2%", () => {
  const counts = PLASTIC_VARIANTS.map((variant) =>
    parameterCount({ variant, inputs: 17, hidden: PAPER_HIDDEN[variant], actions: 4, traceClip: 1 })
  );
  assertEquals(counts, [22406, 22407, 22731, 22523, 22606]);
  assert(Math.max(...counts) / Math.min(...counts) < 1.02);
});

Deno.test("initPlasticRnn() draws batch.py's initialisation: w, alpha in [0, 0.01), linear layers within 1/sqrt(fan_in)", () => {
  const spec: PlasticRnnSpec = { variant: "modul", inputs: 17, hidden: 100, actions: 4, traceClip: 1 };
  const p = initPlasticRnn(Rng.fromSeed(0), spec);
  for (const n of ["w", "alpha"]) assert(p[n].every((v) => v >= 0 && v < 0.01), n);
  assertEquals(p["etaet"][0], Math.fround(0.01));
  assert(p["i2h.w"].every((v) => Math.abs(v) <= 1 / Math.sqrt(17)) && p["i2h.w"].some((v) => Math.abs(v) > 0.2));
  assert(p["h2o.w"].every((v) => Math.abs(v) <= 0.1) && p["h2o.w"].some((v) => Math.abs(v) > 0.09));
});

Deno.test("matchedHidden() picks the paper's sizes at 100 units, and the smallest size with modplast's parameter count elsewhere", () => {
  const base = { inputs: 17, actions: 4, traceClip: 1 };
  assertEquals(PLASTIC_VARIANTS.map((v) => matchedHidden(v, 100, base)), [100, 100, 101, 139, 100]);
  for (const h of [8, 50, 64]) {
    const target = parameterCount({ ...base, variant: "modplast", hidden: h });
    for (const v of ["plastic", "rnn"] as const) {
      const m = matchedHidden(v, h, base);
      assert(parameterCount({ ...base, variant: v, hidden: m }) >= target);
      assert(parameterCount({ ...base, variant: v, hidden: m - 1 }) < target, `${v} at ${h}: ${m} is not the smallest`);
    }
  }
});

Deno.test("initPlasticRnn() draws simplemaze's initialisation for modplast-fanout: w, alpha in [0, 0.001), fan-out in (-1, 1)", () => {
  const spec: PlasticRnnSpec = { variant: "modplast-fanout", inputs: 17, hidden: 100, actions: 4, traceClip: 2 };
  const p = initPlasticRnn(Rng.fromSeed(0), spec);
  for (const n of ["w", "alpha"]) assert(p[n].every((v) => v >= 0 && v < 0.001) && p[n].some((v) => v > 0.0009), n);
  for (const n of ["modfanout.w", "modfanout.b"]) {
    assertEquals(p[n].length, 100);
    assert(p[n].every((v) => Math.abs(v) < 1) && p[n].some((v) => Math.abs(v) > 0.9), n);
  }
});

Deno.test("modplast-fanout with a constant fan-out of 1 and bias 0 computes modplast exactly", () => {
  const base = { inputs: 5, hidden: 4, actions: 3, traceClip: 0.5 };
  const rng = Rng.fromSeed(5);
  const pf = strongParams(rng.stream("p"), { ...base, variant: "modplast-fanout" });
  pf["modfanout.w"].fill(1);
  pf["modfanout.b"].fill(0);
  const pm = Object.fromEntries(Object.entries(pf).filter(([k]) => !k.startsWith("modfanout")));
  const T = 20, B = 2;
  const ep = randomEpisodes(rng.stream("ep"), T, B, 5, 3);
  const tf64 = unroll(pf, { ...base, variant: "modplast-fanout" }, B, T, replay(ep.x, ep.actions, B, 5), {
    float64: true,
  });
  const tm64 = unroll(pm, { ...base, variant: "modplast" }, B, T, replay(ep.x, ep.actions, B, 5), { float64: true });
  assertEquals(Array.from(tf64.trace), Array.from(tm64.trace));
  assertEquals(Array.from(tf64.logits), Array.from(tm64.logits));
  // ... and with another fan-out it does not: the test above would pass a fan-out that is ignored.
  pf["modfanout.w"][1] = -0.5;
  const other = unroll(pf, { ...base, variant: "modplast-fanout" }, B, T, replay(ep.x, ep.actions, B, 5), {
    float64: true,
  });
  assert(Array.from(other.trace).some((v, i) => v !== tm64.trace[i]), "a changed fan-out changed nothing");
});
