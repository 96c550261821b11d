/**
 * HNCA's counterfactual term: for a parent layer feeding a child layer,
 * delta[b, j] = log P(child outputs | parent j off) - log P(child outputs | parent j on),
 * summed over the child's units (`log_p0 - log_p1` in the original code).
 *
 * Two paths compute it: `tfjs` materializes the (batch, child, parent) tensor
 * of flipped log-probabilities as the original does (any backend), and
 * `wasm` calls the fused SIMD kernel (lib/kernels), which never builds that
 * tensor. Tests check the two agree.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { drawUniforms, initBernoulliNet, sampleNet } from "../models/bernoulli_net.ts";
 * const rng = Rng.fromSeed(0);
 * const net = initBernoulliNet(rng.stream("init"), { input: 4, hidden: [3, 2], output: 2, centered: true });
 * const trace = sampleNet(net, tf.tensor2d([[1, -1, 1, 1]]), drawUniforms(net, 1, rng.stream("u")));
 * const advantage = tf.tensor1d([1]);
 * import { bernoulliChildDelta } from "./counterfactual.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // For each parent unit of hidden layer 2: log P(children | parent off) - log P(children | parent on).
 * const delta = await bernoulliChildDelta(net.hidden[1].W, trace.hidden[1], net.centered, "tfjs");
 * assertEquals(delta.shape, [1, 3]); // batch x parent units
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { loadCounterfactualKernel } from "../kernels/counterfactual.ts";
import type { HiddenTrace, OutputTrace } from "../models/bernoulli_net.ts";
import type { CounterfactualPath } from "./types.ts";

/** The change of a parent's value when flipped: -2i centered (i = +-1), 1 - 2i otherwise (i = 0/1). */
export function flipChange(parent: tf.Tensor2D, centered: boolean): tf.Tensor2D {
  return (centered ? tf.mul(parent, -2) : tf.sub(1, tf.mul(parent, 2))) as tf.Tensor2D;
}

/** +1 where the parent is on, -1 where off: delta is S when on, -S when off. */
export function onSign(parent: tf.Tensor2D): tf.Tensor2D {
  return tf.sub(tf.mul(tf.cast(tf.equal(parent, 1), "float32"), 2), 1) as tf.Tensor2D;
}

/**
 * The path a config's `counterfactual: auto | wasm | tfjs` means on a backend:
 * auto takes the kernel, except on webgpu, where the tensors stay on the GPU.
 */
export function chooseCounterfactualPath(choice: "auto" | CounterfactualPath, backend: string): CounterfactualPath {
  return choice === "auto" ? (backend === "webgpu" ? "tfjs" : "wasm") : choice;
}

/** What a counterfactual needs of a Bernoulli child layer's pass. */
export type ChildLayer = Pick<HiddenTrace, "input" | "logits" | "sample">;

/**
 * delta for a Bernoulli child layer.
 * @param W child weights: [K, J]
 * @param child the child layer's trace (input [B, J], logits [B, K], sample [B, K])
 * @returns delta: [B, J]
 */
export async function bernoulliChildDelta(
  W: tf.Tensor2D,
  child: ChildLayer,
  centered: boolean,
  path: CounterfactualPath,
): Promise<tf.Tensor2D> {
  const [B, K] = child.logits.shape;
  const J = child.input.shape[1];
  if (W.shape[0] !== K || W.shape[1] !== J) {
    throw new Error(
      `bernoulliChildDelta(): W must be [${K}, ${J}] for logits [${B}, ${K}] and input [${B}, ${J}], got [${W.shape}]`,
    );
  }
  if (path === "wasm") {
    const kernel = await loadCounterfactualKernel();
    const delta = kernel.bernoulliDelta({
      B,
      K,
      J,
      centered,
      theta: await W.data() as Float32Array,
      logits: await child.logits.data() as Float32Array,
      sample: await child.sample.data() as Float32Array,
      parent: await child.input.data() as Float32Array,
    });
    return tf.tensor2d(delta, [B, J]);
  }
  return tf.tidy(() => {
    const s = tf.sub(tf.mul(child.sample, 2), 1); // [B, K]
    const d = flipChange(child.input, centered); // [B, J]
    const flipped = tf.add(tf.expandDims(child.logits, 2), tf.mul(tf.expandDims(W, 0), tf.expandDims(d, 1))); // [B, K, J]
    // log P(o | z) = log sigmoid(s z) = -softplus(-s z)
    const logFlipped = tf.neg(tf.softplus(tf.neg(tf.mul(tf.expandDims(s, 2), flipped))));
    const logActual = tf.neg(tf.softplus(tf.neg(tf.mul(s, child.logits)))); // [B, K]
    const S = tf.sub(tf.sum(logFlipped, 1), tf.sum(logActual, 1, true)); // [B, J]
    return tf.mul(S, onSign(child.input)) as tf.Tensor2D;
  });
}

/**
 * delta for the softmax output as the child.
 * @param W output weights: [A, J]
 * @returns delta: [B, J]
 */
export async function softmaxChildDelta(
  W: tf.Tensor2D,
  out: OutputTrace,
  centered: boolean,
  path: CounterfactualPath,
): Promise<tf.Tensor2D> {
  const [B, A] = out.logits.shape;
  const J = out.input.shape[1];
  if (W.shape[0] !== A || W.shape[1] !== J) {
    throw new Error(`softmaxChildDelta(): W must be [${A}, ${J}], got [${W.shape}]`);
  }
  if (path === "wasm") {
    const kernel = await loadCounterfactualKernel();
    const delta = kernel.softmaxDelta({
      B,
      A,
      J,
      centered,
      theta: await W.data() as Float32Array,
      logits: await out.logits.data() as Float32Array,
      action: await out.action.data() as Int32Array,
      parent: await out.input.data() as Float32Array,
    });
    return tf.tensor2d(delta, [B, J]);
  }
  return tf.tidy(() => {
    const d = flipChange(out.input, centered); // [B, J]
    const flipped = tf.add(tf.expandDims(out.logits, 2), tf.mul(tf.expandDims(W, 0), tf.expandDims(d, 1))); // [B, A, J]
    const logp = tf.logSoftmax(tf.transpose(flipped, [0, 2, 1])); // [B, J, A]
    const taken = tf.sum(tf.mul(logp, tf.expandDims(out.onehot, 1)), 2); // [B, J]
    const actual = tf.sum(tf.mul(tf.logSoftmax(out.logits), out.onehot), 1, true); // [B, 1]
    return tf.mul(tf.sub(taken, actual), onSign(out.input)) as tf.Tensor2D;
  });
}
