/**
 * disARM (Dong, Mnih & Tucker 2020) for the encoder of the binary VAE, layer
 * by layer as generative_modeling/disARM.py: the layer's sample b = 1[u < fr]
 * is paired with the antithetic b~ = 1[1 - u < fr] from the same uniforms u;
 * the reward of b~ is computed with the layers above resampled (resample.ts), and
 *   d f / d fr ~ 1/2 (f(b) - f(b~)) (b - b~) / min(fr, 1 - fr),
 * so g = fr (1 - fr) logit(fr) - fr (1 - fr) * that. (The original pairs
 * b = 1[1 - u < fr] with b~ = 1[u < fr]: the same joint distribution.)
 * No baseline: the pair is its own control variate.
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
 * import { vaeDisarm } from "./disarm.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { signal } = await vaeDisarm({ layer: 0, vae, trace, terms, baseline: 0, flags, rng, upper: vae, path: "tfjs" });
 * assertEquals(signal.shape, [1, 3]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bernoulliSample } from "../../models/binary_vae.ts";
import { entropyLogitSignal } from "./entropy_signal.ts";
import { resampledReward } from "./resample.ts";
import { mean, reinforceReward } from "./rewards.ts";
import type { VaeEstimator } from "./types.ts";

/** disARM's logit signal for one encoder layer. */
export const vaeDisarm: VaeEstimator = async ({ layer: k, vae, trace, terms, rng, upper }) => {
  const enc = trace.encoder[k];
  const [B] = enc.sample.shape;
  const anti = bernoulliSample(enc.fireRate, trace.uniforms[k].map((u) => 1 - u));
  const f = reinforceReward(terms, k);
  const fAnti = await resampledReward(vae, upper, trace, k, anti, rng);
  const half = tf.tensor2d(Float32Array.from(f, (v, b) => 0.5 * (v - fAnti[b])), [B, 1]);
  const signal = tf.tidy(() => {
    const fr = enc.fireRate;
    const spread = tf.mul(fr, tf.sub(1, fr));
    const score = tf.div(tf.mul(tf.sub(enc.sample, anti), half), tf.minimum(fr, tf.sub(1, fr)));
    return tf.sub(entropyLogitSignal(fr), tf.mul(spread, score)) as tf.Tensor2D;
  });
  tf.dispose([anti, half]);
  return { signal, rewardMean: mean(f) };
};
