import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { convForward, convParamNames, initConvNet } from "../../../lib/models/conv_bernoulli_net.ts";
import { convForwardKernel, convGradStats } from "../../../lib/models/conv_grads.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

/** A small network (16 channels, so the kernel's blocks of 16 are used), binary images and a random signal. */
function smallCase(seed: number, B = 4) {
  const rng = Rng.fromSeed(seed);
  const net = initConvNet(rng.stream("init"), { channels: 16, convLayers: 2, hidden: 6, actions: 10 });
  const x = tf.tensor4d(Float32Array.from({ length: B * 784 }, () => (rng.uniform() < 0.3 ? 1 : 0)), [B, 28, 28, 1]);
  const signal = tf.tensor2d(Float32Array.from({ length: B * 6 }, () => rng.normal()), [B, 6]);
  return { net, x, signal };
}

/**
 * The per-example loop the statistics replace: tfjs autodiff of signal_b . logits_b for each
 * example alone, then mean and summed variance (ddof 0) over the batch in float64.
 */
function perExampleLoop(params: Record<string, tf.Tensor>, x: tf.Tensor4D, signal: tf.Tensor2D) {
  const names = convParamNames(2).slice(0, -2);
  const B = x.shape[0];
  const per: Float32Array[][] = [];
  for (let b = 0; b < B; b++) {
    const xb = tf.slice(x, [b, 0, 0, 0], [1, 28, 28, 1]);
    const sb = tf.slice(signal, [b, 0], [1, signal.shape[1]]);
    const g = tf.grads((...ps: tf.Tensor[]) => {
      const p = Object.fromEntries(names.map((n, i) => [n, ps[i]]));
      return tf.sum(tf.mul(convForward(p, 2, xb).logits, sb)) as tf.Scalar;
    })(names.map((n) => params[n]));
    per.push(g.map((t) => t.dataSync() as Float32Array));
    tf.dispose([xb, sb, ...g]);
  }
  const out: Record<string, { mean: Float64Array; varSum: number }> = {};
  names.forEach((n, i) => {
    const size = per[0][i].length;
    const mean = new Float64Array(size);
    let varSum = 0;
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (let b = 0; b < B; b++) s += per[b][i][j];
      mean[j] = s / B;
      let q = 0;
      for (let b = 0; b < B; b++) q += (per[b][i][j] - mean[j]) ** 2;
      varSum += q / B;
    }
    out[n] = { mean, varSum };
  });
  return out;
}

/** Largest |a - b| relative to the largest |b| (gradients mix tiny and large entries). */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0, scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / Math.max(scale, 1e-30);
}

// float32 sums of a few thousand products against float64: 1e-5 of the largest entry.
const TOL = 1e-5;

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`convGradStats() gives the per-example loop's mean gradients and variances (${backend}: ${backend === "wasm" ? "kernels" : "tfjs ops"})`, async () => {
    await tf.setBackend(backend);
    try {
      const { net, x, signal } = smallCase(backend === "wasm" ? 1 : 2);
      const act = convForward(net.params, 2, x);
      const ref = perExampleLoop(net.params, x, signal);
      const before = tf.memory().numTensors;
      const { grads, varSums } = await convGradStats(net.params, 2, x, act, signal, true);
      assertEquals(tf.memory().numTensors, before + Object.keys(ref).length);
      for (const [name, r] of Object.entries(ref)) {
        assertEquals(grads[name].shape, net.params[name].shape);
        const e = relError(grads[name].dataSync(), r.mean);
        assert(e < TOL, `${name}: mean gradient off by ${e} of its largest entry`);
        const v = varSums![name];
        assert(Math.abs(v - r.varSum) <= TOL * r.varSum, `${name}: variance ${v} vs ${r.varSum}`);
      }
      // Without the variance: the same gradients, bit for bit, and no variances.
      const again = await convGradStats(net.params, 2, x, act, signal, false);
      assertEquals(again.varSums, null);
      for (const name of Object.keys(ref)) {
        assertEquals(Array.from(again.grads[name].dataSync()), Array.from(grads[name].dataSync()));
      }
      tf.dispose([...Object.values(grads), ...Object.values(again.grads), x, signal, act.flat, act.logits, ...act.z]);
      tf.dispose(Object.values(net.params));
    } finally {
      await tf.setBackend("wasm");
    }
  });
}

Deno.test("convGradStats() refuses a signal of the wrong shape", async () => {
  const { net, x } = smallCase(3, 2);
  const act = convForward(net.params, 2, x);
  const bad = tf.zeros([2, 5]) as tf.Tensor2D;
  let error: unknown = null;
  try {
    await convGradStats(net.params, 2, x, act, bad, true);
  } catch (e) {
    error = e;
  }
  assert(error instanceof Error && /signal must be \[2, 6\], got \[2,5\]/.test(error.message), String(error));
  tf.dispose([x, bad, act.flat, act.logits, ...act.z, ...Object.values(net.params)]);
});

Deno.test("convForwardKernel() gives convForward's activations", () => {
  const { net, x } = smallCase(4);
  const a = convForward(net.params, 2, x), b = convForwardKernel(net.params, 2, x);
  for (let i = 0; i < 2; i++) assertEquals(Array.from(b.z[i].dataSync()), Array.from(a.z[i].dataSync()));
  assertEquals(Array.from(b.flat.dataSync()), Array.from(a.flat.dataSync()));
  const e = relError(b.logits.dataSync(), a.logits.dataSync());
  assert(e < 1e-6, `logits differ by ${e}`);
  assertThrows(() => convForwardKernel(net.params, 2, tf.zeros([1, 28, 27, 1]) as tf.Tensor4D), /\[B, 28, 28, 1\]/);
  tf.dispose([x, a.flat, a.logits, ...a.z, b.flat, b.logits, ...b.z, ...Object.values(net.params)]);
});
