import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import {
  conv3x3,
  convForward,
  convParamNames,
  initConvNet,
  perExampleGradStats,
  truncatedNormal,
} from "../../../lib/models/conv_bernoulli_net.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

Deno.test("truncatedNormal() stays within two standard deviations with the right spread", () => {
  const x = truncatedNormal(Rng.fromSeed(1), 50_000, 0.5);
  assert(x.every((v) => Math.abs(v) <= 1), "a draw beyond 2 standard deviations");
  const sd = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
  // The standard deviation of N(0, 1) truncated at +-2 is 0.8796.
  assert(Math.abs(sd - 0.5 * 0.8796) < 0.005, `sd ${sd}`);
});

Deno.test("perExampleGradStats() agrees with tfjs autodiff applied to each example", async () => {
  const L = 2, B = 4;
  const rng = Rng.fromSeed(2);
  const net = initConvNet(rng.stream("init"), { channels: 3, convLayers: L, hidden: 5, actions: 10 });
  const names = convParamNames(L).slice(0, -2);
  const x = tf.tensor4d(Float32Array.from({ length: B * 784 }, () => (rng.uniform() < 0.3 ? 1 : 0)), [B, 28, 28, 1]);
  const signal = tf.tensor2d(Float32Array.from({ length: B * 5 }, () => rng.normal()), [B, 5]);
  const act = convForward(net.params, L, x);
  const stats = perExampleGradStats(net.params, L, x, act, signal);
  // Per-example gradients by autodiff, one example at a time.
  const perExample: Record<string, number[][]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let b = 0; b < B; b++) {
    const xb = tf.slice(x, [b, 0, 0, 0], [1, 28, 28, 1]);
    const sb = tf.slice(signal, [b, 0], [1, 5]);
    const grads = tf.grads((...ps: tf.Tensor[]) => {
      const params = Object.fromEntries(names.map((n, i) => [n, ps[i]]));
      return tf.sum(tf.mul(convForward(params, L, xb as tf.Tensor4D).logits, sb)) as tf.Scalar;
    })(names.map((n) => net.params[n]));
    names.forEach((n, i) => perExample[n].push(Array.from(grads[i].dataSync())));
  }
  for (const n of names) {
    const rows = perExample[n];
    const mean = rows[0].map((_, i) => rows.reduce((a, r) => a + r[i], 0) / B);
    const varSum = rows[0].reduce((acc, _, i) => acc + rows.reduce((a, r) => a + (r[i] - mean[i]) ** 2, 0) / B, 0);
    const got = Array.from(await stats[n].mean.data());
    assertEquals(got.length, mean.length);
    const scale = Math.max(...mean.map(Math.abs), 1e-6);
    const worst = Math.max(...got.map((g, i) => Math.abs(g - mean[i])));
    assert(worst < 1e-4 * scale, `${n}: mean differs by ${worst} (scale ${scale})`);
    const v = (await stats[n].varSum.data())[0];
    assert(Math.abs(v - varSum) <= 1e-3 * Math.max(varSum, 1e-8), `${n}: variance sum ${v} vs ${varSum}`);
  }
});

Deno.test("conv3x3()'s gradients equal tfjs's native conv2d gradients (cpu backend)", async () => {
  const rng = Rng.fromSeed(3);
  const xa = Float32Array.from({ length: 2 * 7 * 6 * 3 }, () => rng.normal());
  const wa = Float32Array.from({ length: 3 * 3 * 3 * 4 }, () => rng.normal());
  const da = Float32Array.from({ length: 2 * 5 * 4 * 4 }, () => rng.normal());
  const grads = (conv: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor) => {
    const x = tf.tensor4d(xa, [2, 7, 6, 3]), w = tf.tensor4d(wa, [3, 3, 3, 4]), dy = tf.tensor4d(da, [2, 5, 4, 4]);
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)) as tf.Scalar)([x, w]);
    return g.map((t) => Array.from(t.dataSync()));
  };
  const ours = grads(conv3x3);
  await tf.setBackend("cpu");
  const native = grads((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "valid"));
  await tf.setBackend("wasm");
  for (let i = 0; i < 2; i++) {
    const worst = Math.max(...ours[i].map((v, j) => Math.abs(v - native[i][j])));
    assert(worst < 1e-4, `${i === 0 ? "input" : "filter"} gradient differs by ${worst}`);
  }
});

Deno.test("initConvNet() draws Haiku's default TruncatedNormal(1/sqrt(fan_in)): sampled std 0.8796/sqrt(fan_in)", async () => {
  // A standard normal cut at +-2 has standard deviation sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.87962566.
  const net = initConvNet(Rng.fromSeed(11).stream("init"), { channels: 16, convLayers: 2, hidden: 200, actions: 10 });
  const std = async (name: string) => {
    const v = await net.params[name].data();
    let s = 0, ss = 0, max = 0;
    for (const x of v) s += x;
    const m = s / v.length;
    for (const x of v) {
      ss += (x - m) ** 2;
      max = Math.max(max, Math.abs(x));
    }
    return { std: Math.sqrt(ss / v.length), max, n: v.length };
  };
  for (const [name, fanIn] of [["conv1.w", 9], ["conv2.w", 9 * 16], ["dense.w", 24 * 24 * 16]] as const) {
    const { std: s, max, n } = await std(name);
    const want = 0.87962566 / Math.sqrt(fanIn);
    // The sample std's relative standard error is about 1 / sqrt(2 n); allow 5 of them.
    assert(Math.abs(s / want - 1) < 5 / Math.sqrt(2 * n), `${name}: std ${s} vs ${want} (n ${n})`);
    assert(max <= 2 / Math.sqrt(fanIn) + 1e-7, `${name}: no value beyond 2 standard deviations`);
  }
});
