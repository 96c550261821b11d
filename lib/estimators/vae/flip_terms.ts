/**
 * HNCA's counterfactual terms for the generative model: for a parent layer
 * of 0/1 units feeding a Bernoulli child layer (an encoder or a decoder
 * layer), per example b and parent unit j, "off minus on":
 *
 *   ll[b, j]      = log P(child outputs | j off) - log P(child outputs | j on)
 *   entropy[b, j] = H(child | j off) - H(child | j on)
 *
 * both summed over the child's units, with unclipped sigmoids (the original's
 * `log_counterfactual_probs` and its entropies `R_q_0`, `R_q_1`). The `wasm`
 * path calls the fused SIMD kernel; `tfjs` materializes the (batch, child,
 * parent) tensor as the original does. On the wasm backend the `wasm` path
 * runs `flipTerms` of lib/kernels/tfjs_ops.ts on the tensors where tfjs keeps
 * them.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../../rng/mod.ts";
 * import { drawVaeUniforms, encodeVae, initBinaryVae, vaeTerms } from "../../models/binary_vae.ts";
 * const rng = Rng.fromSeed(0);
 * const vae = initBinaryVae(rng.stream("init"), { pixels: 4, latent: [3, 2] });
 * const trace = encodeVae(vae, tf.tensor2d([[1, 0, 1, 1]]), drawVaeUniforms(vae, 1, rng.stream("u")));
 * const terms = await vaeTerms(trace);
 * const flags = { allChild: false, fullReward: false };
 * import { childFlipTerms } from "./flip_terms.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // Flipping each unit of z_1 (3 units), the child encoder layer's likelihood and entropy terms.
 * const { ll, entropy } = await childFlipTerms(vae.encoder[1].W, trace.encoder[1], "tfjs", true);
 * assertEquals([ll.shape, entropy?.shape], [[1, 3], [1, 3]]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { loadCounterfactualKernel } from "../../kernels/counterfactual.ts";
import { tfjsOps } from "../../kernels/tfjs_ops.ts";
import { bernoulliChildDelta, type ChildLayer, flipChange, onSign } from "../counterfactual.ts";
import type { CounterfactualPath } from "../types.ts";

/** ll (and entropy when asked) for a child layer; entropy is null when not asked. */
export interface FlipTerms {
  /** ll: [B, J] */
  ll: tf.Tensor2D;
  /** entropy: [B, J], or null */
  entropy: tf.Tensor2D | null;
}

/** Entropy of Bernoulli(sigmoid(y)), elementwise: softplus(y) - y sigmoid(y). */
function logitEntropy(y: tf.Tensor): tf.Tensor {
  return tf.sub(tf.softplus(y), tf.mul(y, tf.sigmoid(y)));
}

/**
 * Flipped-parent terms of a child layer whose parents are 0/1.
 * @param W child weights: [K, J]
 * @param child input [B, J] (the parents), logits [B, K] (unclipped), sample [B, K] (the child's outputs)
 * @param withEntropy also compute the entropy term
 */
export async function childFlipTerms(
  W: tf.Tensor2D,
  child: ChildLayer,
  path: CounterfactualPath,
  withEntropy: boolean,
): Promise<FlipTerms> {
  const [B, K] = child.logits.shape;
  const J = child.input.shape[1];
  if (W.shape[0] !== K || W.shape[1] !== J || child.sample.shape.join() !== child.logits.shape.join()) {
    throw new Error(
      `childFlipTerms(): W must be [${K}, ${J}] and sample [${B}, ${K}] for logits [${B}, ${K}] and input [${B}, ${J}], got W [${W.shape}], sample [${child.sample.shape}]`,
    );
  }
  // On the wasm backend, the kernel that works in tfjs's memory (no copies); the counterfactual
  // kernel when the path is wasm but the backend is not.
  const ops = path === "wasm" ? tfjsOps() : null;
  if (ops) return ops.flipTerms(W, child.logits, child.sample, child.input, false, withEntropy);
  if (!withEntropy) return { ll: await bernoulliChildDelta(W, child, false, path), entropy: null };
  if (path === "wasm") {
    const kernel = await loadCounterfactualKernel();
    const r = kernel.bernoulliFlipTerms({
      B,
      K,
      J,
      centered: false,
      theta: await W.data() as Float32Array,
      logits: await child.logits.data() as Float32Array,
      sample: await child.sample.data() as Float32Array,
      parent: await child.input.data() as Float32Array,
    });
    return { ll: tf.tensor2d(r.ll, [B, J]), entropy: tf.tensor2d(r.entropy, [B, J]) };
  }
  const ll = await bernoulliChildDelta(W, child, false, path);
  const entropy = tf.tidy(() => {
    const d = flipChange(child.input, false); // [B, J]
    const flipped = tf.add(tf.expandDims(child.logits, 2), tf.mul(tf.expandDims(W, 0), tf.expandDims(d, 1))); // [B, K, J]
    const S = tf.sub(tf.sum(logitEntropy(flipped), 1), tf.sum(logitEntropy(child.logits), 1, true)); // [B, J]
    return tf.mul(S, onSign(child.input)) as tf.Tensor2D;
  });
  return { ll, entropy };
}

/**
 * The child layer's actual summed log-likelihood and entropy (unclipped), as the
 * counterfactual terms use them, so that "with j on" and "with j off" values can
 * be recovered from the differences.
 * @returns logLik, entropy: [B, 1] each
 */
export function childActualTerms(child: ChildLayer): { logLik: tf.Tensor2D; entropy: tf.Tensor2D } {
  return tf.tidy(() => {
    const s = tf.sub(tf.mul(child.sample, 2), 1);
    return {
      logLik: tf.neg(tf.sum(tf.softplus(tf.neg(tf.mul(s, child.logits))), 1, true)) as tf.Tensor2D,
      entropy: tf.sum(logitEntropy(child.logits), 1, true) as tf.Tensor2D,
    };
  });
}

/**
 * From an actual value A [B, 1] and its off-minus-on difference D [B, J] at parents z [B, J]:
 * the values with j on and with j off, [B, J] each: on = A - (1 - z) D, off = A + z D.
 */
export function onOffValues(actual: tf.Tensor2D, diff: tf.Tensor2D, parent: tf.Tensor2D): {
  on: tf.Tensor2D;
  off: tf.Tensor2D;
} {
  if (diff.shape.join() !== parent.shape.join() || actual.shape[0] !== diff.shape[0]) {
    throw new Error(
      `onOffValues(): actual [${actual.shape}], diff [${diff.shape}] and parent [${parent.shape}] disagree`,
    );
  }
  return tf.tidy(() => ({
    on: tf.sub(actual, tf.mul(tf.sub(1, parent), diff)) as tf.Tensor2D,
    off: tf.add(actual, tf.mul(parent, diff)) as tf.Tensor2D,
  }));
}
