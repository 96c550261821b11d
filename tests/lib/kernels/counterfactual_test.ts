import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { COUNTERFACTUAL_KERNEL_PARAMS, loadCounterfactualKernel } from "../../../lib/kernels/counterfactual.ts";
import { bernoulliChildDelta, softmaxChildDelta } from "../../../lib/estimators/mod.ts";
import type { HiddenTrace, OutputTrace } from "../../../lib/models/bernoulli_net.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

/** A random child layer with float64 copies of its values, and delta computed in float64. */
async function randomCase(rng: Rng, B: number, K: number, J: number, scale: number, centered: boolean) {
  const W = tf.tensor2d(Array.from({ length: K * J }, () => scale * rng.normal()), [K, J]);
  const parent = Array.from({ length: B * J }, () => (rng.uniform() < 0.5 ? 1 : centered ? -1 : 0));
  const input = tf.tensor2d(parent, [B, J]);
  const logits = tf.tidy(() =>
    tf.add(tf.matMul(input, W, false, true), tf.tensor2d(Array.from({ length: B * K }, () => rng.normal()), [B, K]))
  ) as tf.Tensor2D;
  const s = Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const sample = tf.tensor2d(s, [B, K]);
  const z = await logits.data(), w = await W.data();
  const logSigmoid = (x: number) => (x > 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
  const reference = new Float64Array(B * J);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < J; j++) {
      const i = parent[b * J + j], d = centered ? -2 * i : 1 - 2 * i;
      let S = 0;
      for (let k = 0; k < K; k++) {
        const sign = 2 * s[b * K + k] - 1, zk = z[b * K + k];
        S += logSigmoid(sign * (zk + w[k * J + j] * d)) - logSigmoid(sign * zk);
      }
      reference[b * J + j] = i === 1 ? S : -S;
    }
  }
  return { W, child: { input, logits, sample, fireRate: logits, output: sample } as HiddenTrace, reference };
}

async function maxRelError(a: tf.Tensor, reference: Float64Array): Promise<number> {
  const x = await a.data();
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    worst = Math.max(worst, Math.abs(x[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
  }
  return worst;
}

// Largest error relative to max(1, |delta|) against float64, per path and weight scale. The tfjs path
// is the original algorithm (differences of float32 log-sigmoids); the kernel multiplies factors instead.
const BOUNDS = { wasm: { small: 2e-5, large: 5e-5 }, tfjs: { small: 5e-4, large: 1e-2 } };

for (const centered of [true, false]) {
  for (const [scale, size] of [[0.1, "small"], [3, "large"]] as const) {
    Deno.test(`bernoulliChildDelta() matches float64 on both paths (${size} weights, ${centered ? "centered" : "0/1"} units)`, async () => {
      const { W, child, reference } = await randomCase(
        Rng.fromSeed(3).stream(size, Number(centered)),
        50,
        200,
        203,
        scale,
        centered,
      );
      for (const path of ["wasm", "tfjs"] as const) {
        const delta = await bernoulliChildDelta(W, child, centered, path);
        const err = await maxRelError(delta, reference);
        assert(err < BOUNDS[path][size], `${path}: largest relative error ${err} exceeds ${BOUNDS[path][size]}`);
        delta.dispose();
      }
      tf.dispose([W, child.input, child.logits, child.sample]);
    });
  }
  Deno.test(`softmaxChildDelta() agrees between the wasm and tfjs paths (${centered ? "centered" : "0/1"} units)`, async () => {
    const rng = Rng.fromSeed(4);
    const W = tf.tensor2d(Array.from({ length: 10 * 200 }, () => 0.3 * rng.normal()), [10, 200]);
    const input = tf.tensor2d(Array.from({ length: 50 * 200 }, () => (rng.uniform() < 0.5 ? 1 : centered ? -1 : 0)), [
      50,
      200,
    ]);
    const logits = tf.matMul(input, W, false, true) as tf.Tensor2D;
    const action = tf.tensor1d(Array.from({ length: 50 }, () => rng.int(10)), "int32");
    const out = {
      input,
      logits,
      action,
      onehot: tf.oneHot(action, 10).toFloat(),
      probs: tf.softmax(logits),
    } as OutputTrace;
    const a = await (await softmaxChildDelta(W, out, centered, "wasm")).data();
    const b = await (await softmaxChildDelta(W, out, centered, "tfjs")).data();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
    assert(worst < 1e-4, `largest relative difference ${worst}`);
  });
}

Deno.test("the kernel checks the shapes it is given", async () => {
  const k = await loadCounterfactualKernel();
  assertThrows(
    () =>
      k.bernoulliDelta({
        B: 2,
        K: 2,
        J: 2,
        centered: true,
        theta: new Float32Array(3),
        logits: new Float32Array(4),
        sample: new Float32Array(4),
        parent: new Float32Array(4),
      }),
    /theta must have shape \[K, J\] \(4 values\), got 3 values/,
  );
});

Deno.test("COUNTERFACTUAL_KERNEL_PARAMS names each kernel's parameters in the order of its AssemblyScript signature", async () => {
  const source = await Deno.readTextFile(new URL("../../../lib/kernels/assembly/counterfactual.ts", import.meta.url));
  const signatures = new Map(
    [...source.matchAll(/export function (\w+)\(([^)]*)\)/g)].map((m) => [
      m[1],
      m[2].split(",").map((s) => s.trim().split(":")[0].trim()).filter(Boolean),
    ]),
  );
  assertEquals(new Set(Object.keys(COUNTERFACTUAL_KERNEL_PARAMS)), new Set(signatures.keys()));
  for (const [name, list] of Object.entries(COUNTERFACTUAL_KERNEL_PARAMS)) {
    assertEquals([...list], signatures.get(name), name);
  }
});
