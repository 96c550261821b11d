import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { initLstm, lstmForward } from "../../../lib/models/lstm.ts";
import { stopGradient } from "../../../lib/models/stop_gradient.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

/** PyTorch's LSTM equations in float64, one sequence. */
function reference(p: Record<string, number[][] | number[]>, xs: number[][], H: number): number[][] {
  const Wi = p.weight_ih as number[][],
    Wh = p.weight_hh as number[][],
    bi = p.bias_ih as number[],
    bh = p.bias_hh as number[];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let h = new Array(H).fill(0), c = new Array(H).fill(0);
  const out: number[][] = [];
  for (const x of xs) {
    const z = Wi.map((row, k) =>
      row.reduce((s, w, j) => s + w * x[j], 0) + Wh[k].reduce((s, w, j) => s + w * h[j], 0) + bi[k] + bh[k]
    );
    const gate = (g: number, i: number) => z[g * H + i];
    c = c.map((cv, i) => sig(gate(1, i)) * cv + sig(gate(0, i)) * Math.tanh(gate(2, i)));
    h = c.map((cv, i) => sig(gate(3, i)) * Math.tanh(cv));
    out.push(h);
  }
  return out;
}

Deno.test("lstmForward() follows PyTorch's LSTM equations and gate order (i, f, g, o)", async () => {
  const rng = Rng.fromSeed(5);
  const p = initLstm(rng.stream("init"), 3, 2);
  const xs = Array.from({ length: 6 }, () => [rng.normal(), rng.normal(), rng.uniform() < 0.5 ? 1 : 0]);
  const h = await lstmForward(p, tf.tensor3d(xs.map((x) => [x]), [6, 1, 3])).array() as number[][][];
  const plain = Object.fromEntries(await Promise.all(Object.entries(p).map(async ([k, v]) => [k, await v.array()])));
  const ref = reference(plain, xs, 2);
  for (let t = 0; t < 6; t++) {
    for (let i = 0; i < 2; i++) {
      assert(Math.abs(h[t][0][i] - ref[t][i]) < 1e-6, `t ${t} unit ${i}: ${h[t][0][i]} vs ${ref[t][i]}`);
    }
  }
});

Deno.test("initLstm() draws PyTorch's U(-1/sqrt(H), 1/sqrt(H)) for every parameter (56 for 3 inputs, 2 units)", () => {
  const p = initLstm(Rng.fromSeed(1), 3, 2);
  const all = Object.values(p).flatMap((t) => Array.from(t.dataSync()));
  assertEquals(all.length, 56);
  assert(all.every((v) => Math.abs(v) <= 1 / Math.SQRT2), "a value beyond 1/sqrt(2)");
});

Deno.test("stopGradient() passes values and blocks gradients", () => {
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x))))(tf.tensor1d([3, -2]));
  assertEquals(Array.from(g.dataSync()), [3, -2]);
});

Deno.test("lstmSequence() (hand-written backward) equals tfjs autodiff of Haiku's LSTM step by step", async () => {
  const { actorCriticStep, initActorCritic, lstmSequence, zeroState } = await import(
    "../../../lib/models/haiku_lstm.ts"
  );
  const rng = Rng.fromSeed(8);
  const T = 7, B = 3, I = 3, H = 5;
  const p = initActorCritic(rng.stream("init"), { inputs: I, units: H, actions: 2 });
  const x = tf.tensor3d(Float32Array.from({ length: T * B * I }, () => (rng.uniform() < 0.5 ? rng.normal() : 0)), [
    T,
    B,
    I,
  ]);
  const weights = tf.tensor3d(Float32Array.from({ length: T * B * H }, () => rng.normal()), [T, B, H]);
  // A scalar of the hidden states; its gradient flows back through every step.
  const viaSteps = (xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => {
    let s = zeroState(B, H);
    const hs: tf.Tensor2D[] = [];
    for (const xt of tf.unstack(xx) as tf.Tensor2D[]) {
      s = actorCriticStep({ ...p, "lstm.w": w, "lstm.b": b }, xt, s).state;
      hs.push(s.h);
    }
    return tf.sum(tf.mul(tf.stack(hs), weights)) as tf.Scalar;
  };
  const viaOp = (xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(lstmSequence(xx, w, b), weights)) as tf.Scalar;
  const a = tf.valueAndGrads(viaSteps)([x, p["lstm.w"], p["lstm.b"]]);
  const o = tf.valueAndGrads(viaOp)([x, p["lstm.w"], p["lstm.b"]]);
  assert(Math.abs(a.value.dataSync()[0] - o.value.dataSync()[0]) < 1e-5, "values differ");
  for (let i = 0; i < 3; i++) {
    const ga = a.grads[i].dataSync(), go = o.grads[i].dataSync();
    const worst = Math.max(...Array.from(ga, (v, j) => Math.abs(v - go[j])));
    assert(worst < 1e-5, `gradient ${["x", "w", "b"][i]} differs by ${worst}`);
  }
});

Deno.test("lstmSequenceWith() given a rollout's trace gives lstmSequence's values and gradients bit for bit", async () => {
  const { initActorCritic, lstmForward: haikuForward, lstmSequence, lstmSequenceWith } = await import(
    "../../../lib/models/haiku_lstm.ts"
  );
  const rng = Rng.fromSeed(9);
  const T = 6, B = 2, I = 4, H = 5;
  const p = initActorCritic(rng.stream("init"), { inputs: I, units: H, actions: 2 });
  const xs = Float32Array.from({ length: T * B * I }, () => (rng.uniform() < 0.5 ? rng.normal() : 0));
  const x = tf.tensor3d(xs, [T, B, I]);
  const weights = tf.tensor3d(Float32Array.from({ length: T * B * H }, () => rng.normal()), [T, B, H]);
  const trace = haikuForward(
    {
      w: p["lstm.w"].dataSync() as Float32Array,
      b: p["lstm.b"].dataSync() as Float32Array,
      inputs: I,
      units: H,
    },
    xs,
    T,
    B,
  );
  const f = (seq: typeof lstmSequence) => (xx: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(seq(xx, w, b), weights)) as tf.Scalar;
  const a = tf.valueAndGrads(f(lstmSequence))([x, p["lstm.w"], p["lstm.b"]]);
  const o = tf.valueAndGrads(f(lstmSequenceWith(trace)))([x, p["lstm.w"], p["lstm.b"]]);
  assertEquals(o.value.dataSync()[0], a.value.dataSync()[0]);
  for (let i = 0; i < 3; i++) assertEquals([...o.grads[i].dataSync()], [...a.grads[i].dataSync()]);
  // A trace of another shape is refused.
  const arrays = { w: p["lstm.w"].dataSync() as Float32Array, b: p["lstm.b"].dataSync() as Float32Array };
  const short = haikuForward({ ...arrays, inputs: I, units: H }, xs.subarray(0, (T - 1) * B * I), T - 1, B);
  assertThrows(() => lstmSequenceWith(short)(x, p["lstm.w"], p["lstm.b"]), Error, "the trace holds");
});
