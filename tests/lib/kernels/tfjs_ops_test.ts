import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { KERNEL_PARAMS, tfjsOps } from "../../../lib/kernels/tfjs_ops.ts";
import { adam } from "../../../lib/optim/adam.ts";
import { applyUpdates, disposeParams, disposeState, type OptState } from "../../../lib/optim/transform.ts";
import { Rng } from "../../../lib/rng/mod.ts";
import { flipTermsFloat64 } from "../../helpers/flip_reference.ts";

await initBackend("wasm");
const ops = tfjsOps()!;

const normals = (rng: Rng, n: number, scale = 1) => Float32Array.from({ length: n }, () => scale * rng.normal());

/** Largest |a - b| / max(1, |b|) against float64 values. */
function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

Deno.test("tfjsOps() is null on a backend other than wasm", async () => {
  await tf.setBackend("cpu");
  try {
    assertEquals(tfjsOps(), null);
  } finally {
    await tf.setBackend("wasm");
  }
  assert(tfjsOps() !== null);
});

Deno.test("adamUpdate() is bit-identical to adam().update followed by applyUpdates()", () => {
  const rng = Rng.fromSeed(1);
  // 1003 values: the SIMD loop and the scalar tail; counts 1 (the largest bias correction) and 7, 200 (c1 is 1 in
  // float32, c2 not: the kernel skips the first division) and 20000 (both 1: it skips both).
  assertEquals([Math.fround(1 - 0.9 ** 200), Math.fround(1 - 0.999 ** 200) < 1, Math.fround(1 - 0.999 ** 20000)], [
    1,
    true,
    1,
  ]);
  for (const count of [1, 7, 200, 20000]) {
    const n = 1003;
    const p = tf.tensor1d(normals(rng, n)), g = tf.tensor1d(normals(rng, n, 0.01));
    const m = tf.tensor1d(normals(rng, n, 0.001)), v = tf.tensor1d(normals(rng, n, 1e-4).map(Math.abs));
    const opt = adam({ lr: 3e-3 });
    const state: OptState = {
      count: count - 1,
      slots: {},
      parts: [{ count: count - 1, slots: { mu: { p: m }, nu: { p: v } } }, { count: count - 1, slots: {} }],
    };
    const mBefore = Array.from(m.dataSync());
    const r = opt.update({ p: g }, state, { p });
    const expected = applyUpdates({ p }, r.updates);
    const got = ops.adamUpdate({ p, g, m, v }, { b1: 0.9, b2: 0.999, eps: 1e-8, count, lr: 3e-3 });
    assertEquals(Array.from(got.p.dataSync()), Array.from(expected.p.dataSync()));
    assertEquals(Array.from(got.m.dataSync()), Array.from(r.state.parts![0].slots.mu.p.dataSync()));
    assertEquals(Array.from(got.v.dataSync()), Array.from(r.state.parts![0].slots.nu.p.dataSync()));
    // The inputs are left as they were.
    assertEquals(Array.from(m.dataSync()), mBefore);
    [r.updates, expected].forEach(disposeParams);
    disposeState(r.state);
    tf.dispose([p, g, m, v, got.p, got.m, got.v]);
  }
});

Deno.test("adamUpdate() refuses tensors of different shapes or types", () => {
  const p = tf.zeros([3]), g = tf.zeros([4]), gi = tf.zeros([3], "int32");
  const h = { b1: 0.9, b2: 0.999, eps: 1e-8, count: 1, lr: 1 };
  assertThrows(() => ops.adamUpdate({ p, g, m: p, v: p }, h), /g must have shape \[3\], got \[4\]/);
  assertThrows(() => ops.adamUpdate({ p, g: gi, m: p, v: p }, h), /g must be float32, got int32/);
  tf.dispose([p, g, gi]);
});

/** Per-example filter gradients of a 3x3 VALID convolution in float64, their mean and summed variance. */
function filterGradReference(a: Float32Array, d: Float32Array, [B, H, W, C]: number[], O: number) {
  const Ho = H - 2, Wo = W - 2, G = 9 * C * O;
  const per = new Float64Array(B * G);
  for (let b = 0; b < B; b++) {
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) {
        for (let c = 0; c < C; c++) {
          for (let o = 0; o < O; o++) {
            let s = 0;
            for (let y = 0; y < Ho; y++) {
              for (let x = 0; x < Wo; x++) {
                s += a[((b * H + y + dy) * W + x + dx) * C + c] * d[((b * Ho + y) * Wo + x) * O + o];
              }
            }
            per[b * G + ((dy * 3 + dx) * C + c) * O + o] = s;
          }
        }
      }
    }
  }
  // The bias: delta summed over positions, per example.
  const bias = new Float64Array(B * O);
  for (let b = 0; b < B; b++) {
    for (let q = 0; q < Ho * Wo; q++) for (let o = 0; o < O; o++) bias[b * O + o] += d[(b * Ho * Wo + q) * O + o];
  }
  return { ...meanVar(per, B, G), bias: meanVar(bias, B, O) };
}

/** Mean over B rows of G values and the summed variance (ddof 0), in float64. */
function meanVar(per: Float64Array, B: number, G: number) {
  const mean = new Float64Array(G);
  let varSum = 0;
  for (let i = 0; i < G; i++) {
    let s = 0;
    for (let b = 0; b < B; b++) s += per[b * G + i];
    mean[i] = s / B;
    let q = 0;
    for (let b = 0; b < B; b++) q += (per[b * G + i] - mean[i]) ** 2;
    varSum += q / B;
  }
  return { mean, varSum };
}

// Output channel counts that take every path of the kernel: blocks of 16, blocks of 4, one by one;
// input channel counts odd and even (channels are paired).
for (const [C, O] of [[1, 16], [3, 21], [2, 5], [16, 16]]) {
  Deno.test(`convFilterGradStats() matches the per-example loop in float64, filter and bias (C ${C}, O ${O})`, () => {
    const rng = Rng.fromSeed(C * 100 + O);
    const shape = [3, 7, 6, C];
    const aData = normals(rng, 3 * 7 * 6 * C).map((x) => Math.max(0, x)); // ReLU-like input
    const dData = normals(rng, 3 * 5 * 4 * O);
    // Example 1 has no learning signal (a bandit's reward 0): the kernel skips it, and its zero
    // per-example gradient still counts in the variance.
    dData.fill(0, 5 * 4 * O, 2 * 5 * 4 * O);
    const a = tf.tensor4d(aData, shape as [number, number, number, number]);
    const d = tf.tensor4d(dData, [3, 5, 4, O]);
    const before = tf.memory().numTensors;
    const got = ops.convFilterGradStats(a, d);
    assertEquals(tf.memory().numTensors, before + 2);
    const ref = filterGradReference(aData, dData, shape, O);
    assertEquals(got.mean.shape, [3, 3, C, O]);
    const err = maxRelError(got.mean.dataSync(), ref.mean);
    assert(err < 1e-5, `mean: largest relative error ${err}`);
    assert(Math.abs(got.varSum - ref.varSum) < 1e-5 * ref.varSum, `variance ${got.varSum} vs ${ref.varSum}`);
    const eb = maxRelError(got.biasMean.dataSync(), ref.bias.mean);
    assert(eb < 1e-5, `bias mean: largest relative error ${eb}`);
    const vb = got.biasVarSum, rb = ref.bias.varSum;
    assert(Math.abs(vb - rb) < 1e-5 * rb, `bias variance ${vb} vs ${rb}`);
    tf.dispose([a, d, got.mean, got.biasMean]);
  });
}

Deno.test("convFilterGradStats() names the tensor whose shape is wrong", () => {
  const a = tf.zeros([2, 6, 6, 3]) as tf.Tensor4D, d = tf.zeros([2, 4, 3, 5]) as tf.Tensor4D;
  assertThrows(() => ops.convFilterGradStats(a, d), /delta must have shape \[2,4,4,5\], got \[2,4,3,5\]/);
  tf.dispose([a, d]);
});

/** x: [B, F] with zeros (ReLU outputs or 0/1 units), W: [F, K], g: [B, K]. */
function denseCase(rng: Rng, B: number, F: number, K: number, binary: boolean) {
  const x = Float32Array.from(
    { length: B * F },
    () => binary ? (rng.uniform() < 0.3 ? 1 : 0) : Math.max(0, rng.normal()),
  );
  return { x, W: normals(rng, F * K, 0.1), g: normals(rng, B * K) };
}

// F = 300 crosses the forward's chunk of 256 rows; K = 21 takes the blocks of 16 and 4 and the scalar tail.
for (const binary of [false, true]) {
  Deno.test(`denseForward() matches x W in float64 (${binary ? "0/1" : "ReLU"} inputs)`, () => {
    const [B, F, K] = [5, 300, 21];
    const c = denseCase(Rng.fromSeed(binary ? 2 : 3), B, F, K, binary);
    const ref = new Float64Array(B * K);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let f = 0; f < F; f++) s += c.x[b * F + f] * c.W[f * K + k];
        ref[b * K + k] = s;
      }
    }
    const x = tf.tensor2d(c.x, [B, F]), W = tf.tensor2d(c.W, [F, K]);
    const out = ops.denseForward(x, W);
    assertEquals(out.shape, [B, K]);
    const err = maxRelError(out.dataSync(), ref);
    assert(err < 1e-5, `largest relative error ${err}`);
    tf.dispose([x, W, out]);
  });
}

// K = 21: the pairwise loop's blocks of 16 and 4 and its scalar tail; K = 200: its chunks of about 48 KB of W
// (61 rows: F = 300 crosses four chunk boundaries).
for (const K of [21, 200]) {
  Deno.test(`denseForward() on mostly nonzero inputs gives the bits of its zero-skipping loop, row by row (K ${K})`, () => {
    // B = 6 even and 90% nonzero: the pairwise loop (zeros included); one row at a time (B = 1): the
    // zero-skipping loop. Every sum must be the same float32 sum in the same order.
    const [B, F] = [6, 300];
    const rng = Rng.fromSeed(9);
    const xData = Float32Array.from({ length: B * F }, () => (rng.uniform() < 0.9 ? Math.abs(rng.normal()) : 0));
    const x = tf.tensor2d(xData, [B, F]), W = tf.tensor2d(normals(rng, F * K, 0.1), [F, K]);
    const all = ops.denseForward(x, W).dataSync();
    for (let b = 0; b < B; b++) {
      const row = tf.tensor2d(xData.slice(b * F, (b + 1) * F), [1, F]);
      const one = ops.denseForward(row, W);
      assertEquals(Array.from(one.dataSync()), Array.from(all.slice(b * K, (b + 1) * K)), `row ${b}`);
      tf.dispose([row, one]);
    }
    let ref = 0;
    for (let f = 0; f < F; f++) ref += xData[f] * W.dataSync()[f * K];
    assert(Math.abs(all[0] - ref) < 1e-5 * Math.max(1, Math.abs(ref)), `out[0, 0] ${all[0]} vs ${ref}`);
    tf.dispose([x, W]);
  });
}

for (const K of [200, 21, 3]) {
  Deno.test(`denseReluGrads() matches x^T g / B, its per-example variance and the input gradient through the ReLU in float64 (K ${K})`, () => {
    // B = 7 and F = 37: the transposes' tails, the last group of examples and a row of W without a pair.
    const [B, F] = [7, 37];
    const c = denseCase(Rng.fromSeed(K), B, F, K, false);
    // Examples 2 and 5 have no learning signal (a bandit's reward 0; -0 in 5): the kernel skips them.
    c.g.fill(0, 2 * K, 3 * K);
    c.g.fill(-0, 5 * K, 6 * K);
    const dW = new Float64Array(F * K), dx = new Float64Array(B * F);
    let sumSq = 0;
    for (let f = 0; f < F; f++) {
      for (let k = 0; k < K; k++) {
        let s = 0;
        for (let b = 0; b < B; b++) s += c.x[b * F + f] * c.g[b * K + k];
        dW[f * K + k] = s / B;
        sumSq += (s / B) ** 2;
      }
      for (let b = 0; b < B; b++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += c.g[b * K + k] * c.W[f * K + k];
        dx[b * F + f] = c.x[b * F + f] > 0 ? s : 0;
      }
    }
    const x = tf.tensor2d(c.x, [B, F]), g = tf.tensor2d(c.g, [B, K]), W = tf.tensor2d(c.W, [F, K]);
    const got = ops.denseReluGrads(x, g, W);
    const eW = maxRelError(got.dW.dataSync(), dW), ex = maxRelError(got.dx.dataSync(), dx);
    assert(eW < 1e-5 && ex < 1e-5, `largest relative errors: dW ${eW}, dx ${ex}`);
    assert(Math.abs(got.dWSumSq - sumSq) < 1e-5 * sumSq, `sum of squares ${got.dWSumSq} vs ${sumSq}`);
    // The per-example gradients x_b g_b^T: their variance over the batch, summed over entries.
    let varSum = 0;
    for (let f = 0; f < F; f++) {
      for (let k = 0; k < K; k++) {
        let q = 0;
        for (let b = 0; b < B; b++) q += (c.x[b * F + f] * c.g[b * K + k] - dW[f * K + k]) ** 2;
        varSum += q / B;
      }
    }
    assert(Math.abs(got.varSum - varSum) < 1e-4 * varSum, `variance ${got.varSum} vs ${varSum}`);
    // Where the ReLU was off, the input gradient is exactly 0.
    const gx = got.dx.dataSync();
    for (let i = 0; i < gx.length; i++) if (!(c.x[i] > 0)) assertEquals(gx[i], 0);
    tf.dispose([x, g, W, got.dW, got.dx]);
  });
}

// C = 16 takes the blocks of 16 input channels, C = 5 the one-by-one path.
for (const [C, O] of [[16, 3], [5, 16]]) {
  Deno.test(`convInputGradRelu() matches the padded convolution with the flipped filter, masked, in float64 (C ${C}, O ${O})`, () => {
    const rng = Rng.fromSeed(7 * C + O);
    // B = 3: a pair of examples and a last one on its own.
    const [B, H, W] = [3, 7, 6];
    const [Ho, Wo] = [H - 2, W - 2];
    // delta with zeros, as behind a ReLU; z of both signs.
    const dData = normals(rng, B * Ho * Wo * O).map((v) => (v > 0.2 ? v : 0));
    const wData = normals(rng, 9 * C * O), zData = normals(rng, B * H * W * C);
    const ref = new Float64Array(B * H * W * C);
    for (let b = 0; b < B; b++) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          for (let c = 0; c < C; c++) {
            let s = 0;
            for (let dy = 0; dy < 3; dy++) {
              for (let dx = 0; dx < 3; dx++) {
                const yy = y - dy, xx = x - dx;
                if (yy < 0 || yy >= Ho || xx < 0 || xx >= Wo) continue;
                for (let o = 0; o < O; o++) {
                  s += dData[((b * Ho + yy) * Wo + xx) * O + o] * wData[((dy * 3 + dx) * C + c) * O + o];
                }
              }
            }
            const i = ((b * H + y) * W + x) * C + c;
            ref[i] = zData[i] > 0 ? s : 0;
          }
        }
      }
    }
    const delta = tf.tensor4d(dData, [B, Ho, Wo, O]), w = tf.tensor4d(wData, [3, 3, C, O]);
    const z = tf.tensor4d(zData, [B, H, W, C]);
    const out = ops.convInputGradRelu(delta, w, z);
    assertEquals(out.shape, [B, H, W, C]);
    const err = maxRelError(out.dataSync(), ref);
    assert(err < 1e-5, `largest relative error ${err}`);
    tf.dispose([delta, w, z, out]);
  });
}

Deno.test("denseForwardT() matches x W^T in float64 (weights stored by output unit)", () => {
  const [B, J, K] = [4, 37, 21];
  const rng = Rng.fromSeed(11);
  const x = Float32Array.from({ length: B * J }, () => (rng.uniform() < 0.4 ? 1 : 0));
  const w = normals(rng, K * J);
  const ref = new Float64Array(B * K);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < J; j++) s += x[b * J + j] * w[k * J + j];
      ref[b * K + k] = s;
    }
  }
  const xt = tf.tensor2d(x, [B, J]), W = tf.tensor2d(w, [K, J]);
  const out = ops.denseForwardT(xt, W);
  const err = maxRelError(out.dataSync(), ref);
  assert(err < 1e-5, `largest relative error ${err}`);
  assertThrows(() => ops.denseForwardT(xt, tf.tensor2d(w, [J, K])), /W must be \[K, 37\]/);
  tf.dispose([xt, W, out]);
});

Deno.test("bernoulliForward() gives the logits, clipped fire rates and sample of a Bernoulli layer", () => {
  const [B, J, K] = [3, 10, 23];
  const rng = Rng.fromSeed(12);
  const x = Float32Array.from({ length: B * J }, () => (rng.uniform() < 0.5 ? 1 : 0));
  // Weights large enough that some fire rates reach the clipping bounds.
  const w = normals(rng, K * J, 8), bias = normals(rng, K);
  const u = Float32Array.from({ length: B * K }, () => rng.uniform());
  const lo = 1e-5;
  const xt = tf.tensor2d(x, [B, J]), W = tf.tensor2d(w, [K, J]), bt = tf.tensor1d(bias), ut = tf.tensor2d(u, [B, K]);
  const r = ops.bernoulliForward(xt, W, bt, ut, lo);
  const [logits, fr, sample] = [r.logits.dataSync(), r.fireRate.dataSync(), r.sample!.dataSync()];
  let clipped = 0;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      let y = bias[k];
      for (let j = 0; j < J; j++) y += x[b * J + j] * w[k * J + j];
      const i = b * K + k;
      assert(Math.abs(logits[i] - y) <= 1e-5 * Math.max(1, Math.abs(y)), `logit ${logits[i]} vs ${y}`);
      const p = Math.min(Math.max(1 / (1 + Math.exp(-logits[i])), lo), 1 - lo);
      if (p === lo || p === 1 - lo) clipped++;
      assert(Math.abs(fr[i] - p) <= 2e-7, `fire rate ${fr[i]} vs ${p}`);
      assertEquals(sample[i], u[i] < fr[i] ? 1 : 0);
    }
  }
  assert(clipped > 0, "no fire rate reached a bound: the clipping went untested");
  // Without uniforms: no sample, the same logits and fire rates.
  const r2 = ops.bernoulliForward(xt, W, bt, null, lo);
  assertEquals(r2.sample, null);
  assertEquals(Array.from(r2.fireRate.dataSync()), Array.from(fr));
  tf.dispose([xt, W, bt, ut, r.logits, r.fireRate, r.sample!, r2.logits, r2.fireRate]);
});

/** x W^T summed as subsetSumForward does, in float32: per chunk of four inputs, its pattern's subset sum. */
function subsetSumLogits(x: Float32Array, w: Float32Array, B: number, J: number, K: number): Float32Array {
  const f = Math.fround, C = Math.ceil(J / 4);
  const out = new Float32Array(B * K);
  for (let k = 0; k < K; k++) {
    // tables[c][s]: the sum of chunk c's weights that pattern s selects, added in the order of the bits, lowest first.
    const tables = Array.from({ length: C }, (_, c) => {
      const t = new Float64Array(16);
      for (let s = 1; s < 16; s++) {
        let a = 0;
        for (let i = 0; i < 4; i++) if (s & (1 << i)) a = f(a + (4 * c + i < J ? w[k * J + 4 * c + i] : 0));
        t[s] = a;
      }
      return t;
    });
    for (let b = 0; b < B; b++) {
      let a = 0;
      for (let c = 0; c < C; c++) {
        let code = 0;
        for (let i = 0; i < 4 && 4 * c + i < J; i++) if (x[b * J + 4 * c + i]) code |= 1 << i;
        a = f(a + tables[c][code]);
      }
      out[b * K + k] = a;
    }
  }
  return out;
}

for (const [K, density] of [[44, 0.5], [8, 0.3]] as const) {
  Deno.test(`bernoulliForward() on binary inputs with a quarter or more on adds subset sums: float64 and their float32 order (K ${K}, ${density} on)`, () => {
    // J = 37: nine chunks of four and one of one. K = 44: blocks of 4, 4 and 3 vectors; K = 8: one block of 2.
    const [B, J] = [5, 37];
    const rng = Rng.fromSeed(40 + K);
    const x = Float32Array.from({ length: B * J }, () => (rng.uniform() < density ? 1 : 0));
    const w = normals(rng, K * J), bias = normals(rng, K);
    const xt = tf.tensor2d(x, [B, J]), W = tf.tensor2d(w, [K, J]), bt = tf.tensor1d(bias);
    const r = ops.bernoulliForward(xt, W, bt, null, 1e-5);
    const logits = r.logits.dataSync();
    const ref = new Float64Array(B * K);
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < K; k++) {
        let y = bias[k];
        for (let j = 0; j < J; j++) y += x[b * J + j] * w[k * J + j];
        ref[b * K + k] = y;
      }
    }
    const err = maxRelError(logits, ref);
    assert(err < 1e-5, `largest relative error ${err}`);
    const sums = subsetSumLogits(x, w, B, J, K);
    const expected = sums.map((v, i) => Math.fround(v + bias[i % K]));
    assertEquals(Array.from(logits), Array.from(expected));
    tf.dispose([xt, W, bt, r.logits, r.fireRate]);
  });
}

Deno.test("bernoulliForward() keeps the zero-skipping loop's bits for sparse binary, non-binary or K not a multiple of 4", () => {
  const [B, J] = [5, 37];
  const rng = Rng.fromSeed(45);
  for (
    const [K, make] of [
      [44, () => (rng.uniform() < 0.15 ? 1 : 0)],
      [44, () => (rng.uniform() < 0.5 ? 0.5 : 0)],
      [23, () => (rng.uniform() < 0.5 ? 1 : 0)],
    ] as const
  ) {
    const x = Float32Array.from({ length: B * J }, make);
    const w = normals(rng, K * J), bias = normals(rng, K);
    const xt = tf.tensor2d(x, [B, J]), W = tf.tensor2d(w, [K, J]), bt = tf.tensor1d(bias);
    const r = ops.bernoulliForward(xt, W, bt, null, 1e-5);
    const plain = ops.denseForwardT(xt, W);
    const expected = plain.dataSync().map((v, i) => Math.fround(v + bias[i % K]));
    assertEquals(Array.from(r.logits.dataSync()), Array.from(expected));
    tf.dispose([xt, W, bt, r.logits, r.fireRate, plain]);
  }
});

/** Fire rates in [1e-5, 1 - 1e-5], some at the bounds. */
const fireRates = (rng: Rng, n: number) =>
  Float32Array.from(
    { length: n },
    (_, i) => (i % 9 === 0 ? 1e-5 : i % 9 === 1 ? 1 - 1e-5 : 0.02 + 0.96 * rng.uniform()),
  );

Deno.test("bernoulliLogProbRows() and bernoulliEntropyRows() match per-example float64 sums", () => {
  // K = 13: three vectors and a tail of one.
  const [B, K] = [3, 13];
  const rng = Rng.fromSeed(13);
  const fr = fireRates(rng, B * K), row = fireRates(rng, K);
  const t = Float32Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const frT = tf.tensor2d(fr, [B, K]), rowT = tf.tensor1d(row), tT = tf.tensor2d(t, [B, K]);
  const lp = (f: number, x: number) => Math.log(x ? f : 1 - f);
  const ent = (f: number) => -(f * Math.log(f) + (1 - f) * Math.log(1 - f));
  const refLp = new Float64Array(B), refRow = new Float64Array(B), refH = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      refLp[b] += lp(Math.fround(fr[b * K + k]), t[b * K + k]);
      refRow[b] += lp(Math.fround(row[k]), t[b * K + k]);
      refH[b] += ent(fr[b * K + k]);
    }
  }
  for (
    const [name, got, ref] of [
      ["log-probabilities", ops.bernoulliLogProbRows(frT, tT), refLp],
      ["log-probabilities, one row of fire rates for every example", ops.bernoulliLogProbRows(rowT, tT), refRow],
      ["entropies", ops.bernoulliEntropyRows(frT), refH],
    ] as const
  ) {
    assertEquals(got.length, B);
    const err = maxRelError(got, ref);
    assert(err < 2e-6, `${name}: largest relative error ${err}`);
  }
  assertThrows(() => ops.bernoulliLogProbRows(tf.ones([K + 1]), tT), /fireRate must have shape \[13\]/);
  tf.dispose([frT, rowT, tT]);
});

for (const withTarget of [false, true]) {
  Deno.test(`outerGrads() matches g^T x / B, the batch mean and the variance sums in float64 (${withTarget ? "g = signal - target" : "g = signal"})`, () => {
    // K = 23: a block of 16, a vector and a tail of three; x with zeros (skipped), 0/1 and other values.
    const [B, K, J] = [5, 23, 7];
    const rng = Rng.fromSeed(withTarget ? 15 : 14);
    const signal = normals(rng, B * K),
      target = Float32Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0));
    const x = Float32Array.from({ length: B * J }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : rng.normal()));
    // One example without any nonzero input.
    x.fill(0, 2 * J, 3 * J);
    const g = Float64Array.from(signal, (v, i) => (withTarget ? Math.fround(v - target[i]) : v));
    const dW = new Float64Array(K * J), db = new Float64Array(K);
    let gx = 0, gg = 0;
    for (let b = 0; b < B; b++) {
      let g2 = 0, x2 = 0;
      for (let k = 0; k < K; k++) {
        db[k] += g[b * K + k] / B;
        g2 += g[b * K + k] ** 2;
        for (let j = 0; j < J; j++) dW[k * J + j] += (g[b * K + k] * x[b * J + j]) / B;
      }
      for (let j = 0; j < J; j++) x2 += x[b * J + j] ** 2;
      gx += g2 * x2;
      gg += g2;
    }
    const s = tf.tensor2d(signal, [B, K]), tt = tf.tensor2d(target, [B, K]), xt = tf.tensor2d(x, [B, J]);
    const r = ops.outerGrads(s, withTarget ? tt : null, xt, true);
    assertEquals(r.dW.shape, [K, J]);
    const eW = maxRelError(r.dW.dataSync(), dW), eB = maxRelError(r.db.dataSync(), db);
    assert(eW < 1e-6 && eB < 1e-6, `dW ${eW}, db ${eB}`);
    const st = r.stats!;
    const sq = (a: Float64Array) => a.reduce((t, v) => t + v * v, 0);
    for (
      const [name, got, ref] of [["gx", st.gx, gx], ["gg", st.gg, gg], ["dWSq", st.dWSq, sq(dW)], [
        "dbSq",
        st.dbSq,
        sq(db),
      ]] as const
    ) {
      assert(Math.abs(got - ref) <= 1e-5 * ref, `${name} ${got} vs ${ref}`);
    }
    const plain = ops.outerGrads(s, withTarget ? tt : null, xt, false);
    assertEquals(plain.stats, null);
    assertEquals(Array.from(plain.dW.dataSync()), Array.from(r.dW.dataSync()));
    assertThrows(() => ops.outerGrads(s, null, tf.zeros([B + 1, J]) as tf.Tensor2D, true), /x must be \[5, J\]/);
    tf.dispose([s, tt, xt, r.dW, r.db, plain.dW, plain.db]);
  });
}

Deno.test("outerGrads() on binary inputs with a quarter or more on adds subset sums over chunks of four examples: float64 and their float32 order", () => {
  // B = 7: chunks of four and three examples; K = 44: blocks of 4, 4 and 3 vectors; J = 9: pairs of inputs and one.
  const [B, K, J] = [7, 44, 9];
  const rng = Rng.fromSeed(46);
  const signal = normals(rng, B * K),
    target = Float32Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const x = Float32Array.from({ length: B * J }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const g = Float32Array.from(signal, (v, i) => Math.fround(v - target[i]));
  const s = tf.tensor2d(signal, [B, K]), tt = tf.tensor2d(target, [B, K]), xt = tf.tensor2d(x, [B, J]);
  const r = ops.outerGrads(s, tt, xt, true);
  const got = r.dW.dataSync();
  const ref = new Float64Array(K * J);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) for (let j = 0; j < J; j++) ref[k * J + j] += (g[b * K + k] * x[b * J + j]) / B;
  }
  const err = maxRelError(got, ref);
  assert(err < 1e-6, `largest relative error ${err}`);
  // The same sums as subsetSumLogits of x^T ([J, B]) and g^T ([K, B]): rows j, inputs b.
  const xT = Float32Array.from({ length: J * B }, (_, i) => x[(i % B) * J + Math.floor(i / B)]);
  const gT = Float32Array.from({ length: K * B }, (_, i) => g[(i % B) * K + Math.floor(i / B)]);
  const dWT = subsetSumLogits(xT, gT, J, B, K);
  const expected = Float32Array.from(
    { length: K * J },
    (_, i) => Math.fround(dWT[(i % J) * K + Math.floor(i / J)] / B),
  );
  assertEquals(Array.from(got), Array.from(expected));
  tf.dispose([s, tt, xt, r.dW, r.db]);
});

Deno.test("hncaSignal() matches HNCA's logit signal in float64, with and without a child layer", () => {
  // K = 10: two vectors and a tail of two. Child log-likelihood differences up to +-120 send a
  // rho to 0 (e^d beyond float32's range in the tfjs ops, clamped at e^80 in the kernel).
  const [B, K] = [4, 10];
  const rng = Rng.fromSeed(16);
  const fr = fireRates(rng, B * K), pbar = fireRates(rng, B * K), pRow = fireRates(rng, K);
  const z = Float32Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const decLl = normals(rng, B * K, 3), childEnt = normals(rng, B * K, 2);
  const childLl = Float32Array.from({ length: B * K }, (_, i) => (i === 5 ? 120 : i === 6 ? -120 : 4 * rng.normal()));
  const adv = normals(rng, B, 5);
  const logPSums = (rowPbar: boolean) =>
    Float64Array.from({ length: B }, (_, b) => {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const p = rowPbar ? pRow[k] : pbar[b * K + k];
        s += Math.log(z[b * K + k] ? p : 1 - p);
      }
      return s;
    });
  const expected = (withChild: boolean, rowPbar: boolean) => {
    const out = new Float64Array(B * K);
    for (let b = 0; b < B; b++) {
      const pb = (k: number) => (rowPbar ? pRow[k] : pbar[b * K + k]);
      const logPSum = logPSums(rowPbar)[b];
      for (let k = 0; k < K; k++) {
        const i = b * K + k, f = fr[i], d = childLl[i];
        const rho1 = withChild ? 1 / (f + (1 - f) * Math.exp(d)) : 1,
          rho0 = withChild ? 1 / (f * Math.exp(-d) + (1 - f)) : 1;
        const logP = Math.log(z[i] ? pb(k) : 1 - pb(k));
        let est = -decLl[i] + rho1 * Math.log(pb(k)) - rho0 * Math.log(1 - pb(k));
        est += (rho1 - rho0) * (logPSum - logP + adv[b]);
        if (withChild) est -= childEnt[i];
        out[i] = f * (1 - f) * (Math.log(f) - Math.log(1 - f)) - f * (1 - f) * est;
      }
    }
    return out;
  };
  const t = (a: Float32Array) => tf.tensor2d(a, [B, K]);
  const base = { fr: t(fr), z: t(z), decLl: t(decLl) };
  for (const withChild of [false, true]) {
    for (const rowPbar of [false, true]) {
      const got = ops.hncaSignal({
        ...base,
        childLl: withChild ? t(childLl) : null,
        childEnt: withChild ? t(childEnt) : null,
        pbar: rowPbar ? tf.tensor1d(pRow) : t(pbar),
        logPSum: logPSums(rowPbar),
        adv,
      });
      // Relative to max(1, |value|): the terms reach the hundreds (log-probability sums times rho).
      const err = maxRelError(got.dataSync(), expected(withChild, rowPbar));
      assert(err < 2e-5, `child ${withChild}, one row of pbar ${rowPbar}: largest relative error ${err}`);
      got.dispose();
    }
  }
  assertThrows(
    () =>
      ops.hncaSignal({
        ...base,
        childLl: null,
        childEnt: null,
        pbar: t(pbar),
        logPSum: logPSums(false),
        adv: new Float32Array(B + 1),
      }),
    /adv must have 4 values/,
  );
  assertThrows(
    () => ops.hncaSignal({ ...base, childLl: null, childEnt: null, pbar: t(pbar), logPSum: new Float32Array(3), adv }),
    /logPSum must have 4 values/,
  );
  tf.dispose(Object.values(base));
});

Deno.test("flipTerms() with centered (-1/+1) parents matches float64", () => {
  // K = 21 (padded to 24, an odd number of vectors), J = 37 (blocks of 16, 16 and 5, the last with a group of one), and
  // weights large enough that the products' exponents are moved out every few factors.
  const [B, K, J] = [3, 21, 37];
  const rng = Rng.fromSeed(17);
  const theta = normals(rng, K * J, 2), logits = normals(rng, B * K, 2);
  const sample = Float32Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const parent = Float32Array.from({ length: B * J }, () => (rng.uniform() < 0.5 ? 1 : -1));
  const { ll, ent } = flipTermsFloat64({ B, K, J, theta, logits, sample, parent, centered: true });
  const tt = tf.tensor2d(theta, [K, J]), lt = tf.tensor2d(logits, [B, K]), st = tf.tensor2d(sample, [B, K]);
  const pt = tf.tensor2d(parent, [B, J]);
  for (const withEntropy of [false, true]) {
    const r = ops.flipTerms(tt, lt, st, pt, true, withEntropy);
    const eLl = maxRelError(r.ll.dataSync(), ll);
    assert(eLl < 2e-5, `ll (entropy ${withEntropy}): largest relative error ${eLl}`);
    if (withEntropy) {
      const eH = maxRelError(r.entropy!.dataSync(), ent);
      assert(eH < 2e-5, `entropy: largest relative error ${eH}`);
    } else assertEquals(r.entropy, null);
    tf.dispose([r.ll, ...(r.entropy ? [r.entropy] : [])]);
  }
  tf.dispose([tt, lt, st, pt]);
});

Deno.test("tfjs_ops.wasm imports its memory and has no data segment (it must not write where tfjs did not ask)", async () => {
  const bytes = await Deno.readFile(new URL("../../../lib/kernels/tfjs_ops.wasm", import.meta.url));
  const module = new WebAssembly.Module(bytes);
  assertEquals(WebAssembly.Module.imports(module), [{ module: "env", name: "memory", kind: "memory" }]);
  // Walk the sections: id 11 is data, 5 a memory of its own.
  const ids: number[] = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0, shift = 0, byte = 0;
    do {
      byte = bytes[at++];
      size |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    ids.push(id);
    at += size;
  }
  assert(ids.includes(10), "no code section found: the section walk is wrong");
  assert(!ids.includes(11) && !ids.includes(5), `sections ${ids}`);
});

Deno.test("KERNEL_PARAMS names each kernel's parameters in the order of its AssemblyScript signature", async () => {
  const source = await Deno.readTextFile(new URL("../../../lib/kernels/assembly/tfjs_ops.ts", import.meta.url));
  const signatures = new Map(
    [...source.matchAll(/export function (\w+)\(([^)]*)\)/g)].map((m) => [
      m[1],
      m[2].split(",").map((p) => p.trim().split(":")[0].trim()).filter(Boolean),
    ]),
  );
  for (const [name, params] of Object.entries(KERNEL_PARAMS)) {
    assertEquals([...params], signatures.get(name), `${name}: KERNEL_PARAMS and the AssemblyScript signature differ`);
  }
  assert(Object.keys(KERNEL_PARAMS).length >= 11);
});
