import * as tf from "@tensorflow/tfjs";
import { assert, assertThrows } from "../../../helpers/assert.ts";
import { initBackend } from "../../../../lib/engine/run/backend.ts";
import { childActualTerms, childFlipTerms, onOffValues } from "../../../../lib/estimators/vae/flip_terms.ts";
import { Rng } from "../../../../lib/rng/mod.ts";
import { flipTermsFloat64, logitEntropy } from "../../../helpers/flip_reference.ts";

await initBackend("wasm");

/** A random 0/1 child layer and its flip terms in float64. */
async function randomCase(rng: Rng, B: number, K: number, J: number, scale: number) {
  const W = tf.tensor2d(Array.from({ length: K * J }, () => scale * rng.normal()), [K, J]);
  const parent = Array.from({ length: B * J }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const input = tf.tensor2d(parent, [B, J]);
  const logits = tf.tidy(() =>
    tf.add(tf.matMul(input, W, false, true), tf.tensor2d(Array.from({ length: B * K }, () => rng.normal()), [B, K]))
  ) as tf.Tensor2D;
  const s = Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0));
  const sample = tf.tensor2d(s, [B, K]);
  const z = await logits.data(), w = await W.data();
  const { ll, ent } = flipTermsFloat64({ B, K, J, theta: w, logits: z, sample: s, parent });
  return { W, child: { input, logits, sample }, ll, ent };
}

async function maxRelError(a: tf.Tensor, reference: Float64Array): Promise<number> {
  const x = await a.data();
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    worst = Math.max(worst, Math.abs(x[i] - reference[i]) / Math.max(1, Math.abs(reference[i])));
  }
  return worst;
}

// Largest error relative to max(1, |value|) against float64.
// Medium weights make the wasm kernel move its products' exponents out every few steps (large
// ones, every step or two): every branch of its chunking.
const BOUNDS = {
  wasm: { small: 2e-5, medium: 5e-5, large: 1e-4 },
  tfjs: { small: 5e-4, medium: 5e-3, large: 1e-2 },
};

// Shapes: 120 children (30 vectors) over 37 parents, and 121 (padded to 124: 31 vectors, an odd number) over 70
// (the kernel's blocks of 32 parents, and groups of four off or on parents with leftovers).
for (const [scale, size] of [[0.1, "small"], [0.7, "medium"], [3, "large"]] as const) {
  for (const [B, K, J] of [[20, 120, 37], [7, 121, 70]]) {
    Deno.test(`childFlipTerms() matches float64 on both paths (${size} weights, B ${B}, K ${K}, J ${J})`, async () => {
      const { W, child, ll, ent } = await randomCase(Rng.fromSeed(5).stream(size), B, K, J, scale);
      for (const path of ["wasm", "tfjs"] as const) {
        const r = await childFlipTerms(W, child, path, true);
        const eLl = await maxRelError(r.ll, ll), eH = await maxRelError(r.entropy!, ent);
        assert(eLl < BOUNDS[path][size], `${path}: ll relative error ${eLl} exceeds ${BOUNDS[path][size]}`);
        assert(eH < BOUNDS[path][size], `${path}: entropy relative error ${eH} exceeds ${BOUNDS[path][size]}`);
        const only = await childFlipTerms(W, child, path, false);
        assert(only.entropy === null, "no entropy was asked for");
        assert((await maxRelError(only.ll, ll)) < BOUNDS[path][size], `${path}: ll without entropy differs`);
        tf.dispose([r.ll, r.entropy!, only.ll]);
      }
      tf.dispose([W, child.input, child.logits, child.sample]);
    });
  }
}

Deno.test("childActualTerms() and onOffValues() recover the values with the parent on and off", async () => {
  const rng = Rng.fromSeed(8);
  const { W, child } = await randomCase(rng, 3, 5, 4, 1);
  const actual = childActualTerms(child);
  const terms = await childFlipTerms(W, child, "tfjs", true);
  const { on, off } = onOffValues(actual.entropy, terms.entropy!, child.input);
  // Recompute H(children | j on) directly for one example and parent.
  const z = await child.logits.data(), w = await W.data(), parent = await child.input.data();
  const b = 1, j = 2;
  let hOn = 0, hOff = 0;
  for (let k = 0; k < 5; k++) {
    const base = z[b * 5 + k] - parent[b * 4 + j] * w[k * 4 + j];
    hOn += logitEntropy(base + w[k * 4 + j]);
    hOff += logitEntropy(base);
  }
  const onV = (await on.data())[b * 4 + j], offV = (await off.data())[b * 4 + j];
  assert(Math.abs(onV - hOn) < 1e-4 && Math.abs(offV - hOff) < 1e-4, `on ${onV} vs ${hOn}, off ${offV} vs ${hOff}`);
  assertThrows(() => onOffValues(actual.entropy, terms.entropy!, tf.zeros([3, 5]) as tf.Tensor2D), /disagree/);
});

Deno.test("childFlipTerms() rejects mismatched shapes", async () => {
  const W = tf.zeros([3, 4]) as tf.Tensor2D;
  const child = {
    input: tf.zeros([2, 5]) as tf.Tensor2D,
    logits: tf.zeros([2, 3]) as tf.Tensor2D,
    sample: tf.zeros([2, 3]) as tf.Tensor2D,
  };
  let message = "";
  try {
    await childFlipTerms(W, child, "wasm", true);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(/W must be \[3, 5\]/.test(message), message);
});
