/**
 * REINFORCE with a leave-one-out baseline over two samples (Kool et al. 2019),
 * layer by layer as generative_modeling/REINFORCE_LOO.py ("FR": forward
 * resampling): besides the pass's sample z1 of the layer, a second sample
 * z2 ~ q(. | z_k) is drawn and its reward computed with the layers above
 * resampled (resample.ts); then
 *   g = fr (1 - fr) logit(fr) - 1/2 [(f1 - f2)(z1 - fr) + (f2 - f1)(z2 - fr)]
 *     = fr (1 - fr) logit(fr) - 1/2 (f1 - f2)(z1 - z2).
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
 * import { vaeReinforceLoo } from "./reinforce_loo.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { signal } = await vaeReinforceLoo({ layer: 0, vae, trace, terms, baseline: 0, flags, rng, upper: vae, path: "tfjs" });
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

/** REINFORCE-LOO's logit signal for one encoder layer. */
export const vaeReinforceLoo: VaeEstimator = async ({ layer: k, vae, trace, terms, rng, upper }) => {
  const enc = trace.encoder[k];
  const [B, K] = enc.sample.shape;
  const second = bernoulliSample(enc.fireRate, rng.fillUniform24(new Float32Array(B * K)));
  const f1 = reinforceReward(terms, k);
  const f2 = await resampledReward(vae, upper, trace, k, second, rng);
  const half = tf.tensor2d(Float32Array.from(f1, (v, b) => 0.5 * (v - f2[b])), [B, 1]);
  const signal = tf.tidy(() =>
    tf.sub(entropyLogitSignal(enc.fireRate), tf.mul(tf.sub(enc.sample, second), half)) as tf.Tensor2D
  );
  tf.dispose([second, half]);
  return { signal, rewardMean: mean(f1) };
};
