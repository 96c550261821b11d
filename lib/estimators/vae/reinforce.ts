/**
 * REINFORCE for the encoder of the binary VAE (generative_modeling/REINFORCE.py):
 * unit j of layer k gets the score of its own sample times the layer's reward
 * f_k less its baseline (see rewards.ts), plus the analytic entropy gradient:
 *   g = fr (1 - fr) logit(fr) - (f_k - b) (z - fr),
 * where (z - fr) = fr (1 - fr) (2z - 1) / P(z) with the clipped fire rate fr.
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
 * import { vaeReinforce } from "./reinforce.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { signal } = await vaeReinforce({ layer: 0, vae, trace, terms, baseline: 0, flags, rng, upper: vae, path: "tfjs" });
 * assertEquals(signal.shape, [1, 3]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { entropyLogitSignal } from "./entropy_signal.ts";
import { mean, reinforceReward } from "./rewards.ts";
import type { VaeEstimator } from "./types.ts";

/**
 * The score-function signal -(f - b) (z - fr) for a batch.
 * @param sample z: [B, K]; fireRate: [B, K]; advantage: [B] (reward less baseline)
 */
export function scoreSignal(sample: tf.Tensor2D, fireRate: tf.Tensor2D, advantage: ArrayLike<number>): tf.Tensor2D {
  const [B] = sample.shape;
  if (advantage.length !== B || fireRate.shape.join() !== sample.shape.join()) {
    throw new Error(
      `scoreSignal(): sample [${sample.shape}], fireRate [${fireRate.shape}] and ${advantage.length} advantages disagree`,
    );
  }
  return tf.tidy(() =>
    tf.mul(tf.sub(sample, fireRate), tf.neg(tf.tensor2d(Array.from(advantage), [B, 1]))) as tf.Tensor2D
  );
}

/** REINFORCE's logit signal for one encoder layer. */
export const vaeReinforce: VaeEstimator = ({ layer: k, trace, terms, baseline }) => {
  const enc = trace.encoder[k];
  const f = reinforceReward(terms, k);
  const signal = tf.tidy(() =>
    tf.add(entropyLogitSignal(enc.fireRate), scoreSignal(enc.sample, enc.fireRate, f.map((v) => v - baseline)))
  ) as tf.Tensor2D;
  return Promise.resolve({ signal, rewardMean: mean(f) });
};
