/**
 * HNCA for the encoder of the hierarchical binary VAE (Young 2022,
 * generative_modeling/HNCA.py).
 *
 * For unit j of encoder layer k (sample z_{k+1}, clipped fire rate fr), the
 * estimate of d ELBO / d fr is the sum of
 * - the analytic entropy gradient -logit(fr);
 * - dp = log p(z_k | z_{k+1}, j on) - log p(z_k | z_{k+1}, j off), the paired
 *   decoder layer's likelihood (it reads z_{k+1} directly);
 * - rho1 log pbar_j - rho0 log(1 - pbar_j) + (rho1 - rho0) (sum_i log P(z_{k+1,i}) - log P(z_{k+1,j})):
 *   the likelihood of z_{k+1} under the layer that models it (the next decoder
 *   layer, or the prior), fire rates pbar, which depends on z_{k+1} and on the
 *   child layer's sample z_{k+2};
 * - (rho1 - rho0) (R - b): the terms above, which depend on z_{k+1} only
 *   through z_{k+2} (see rewards.ts), less the layer's baseline;
 * - dq = H(q_{k+2} | j on) - H(q_{k+2} | j off), the child encoder's entropy.
 * rho_v = q(z_{k+2} | z_{k+1}, j = v) / q(z_{k+2} | z_{k+1}) comes from the child
 * encoder layer's flipped likelihoods; for the top layer rho1 = rho0 = 1 and
 * there is no dq. With `allChild`, dp becomes rho1 p_on - rho0 p_off and dq
 * becomes rho1 H_on - rho0 H_off (also unbiased, as E[rho_v] = 1).
 * The logit signal is -fr (1 - fr) times the estimate.
 *
 * The baseline tracks mean(R + log P(z_{k+1}) [+ H(q_{k+2}) + log p(z_k | z_{k+1}) with allChild]),
 * as the original does (R alone for the top layer).
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
 * import { vaeHnca } from "./hnca.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { signal, rewardMean } = await vaeHnca({ layer: 1, vae, trace, terms, baseline: 0, flags, rng, upper: vae, path: "tfjs" });
 * assertEquals(signal.shape, [1, 2]);
 * assertEquals(Number.isFinite(rewardMean), true);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bernoulliLogProb } from "../../models/binary_vae.ts";
import { entropyLogitSignal } from "./entropy_signal.ts";
import { childActualTerms, childFlipTerms, onOffValues } from "./flip_terms.ts";
import { hncaReward, mean } from "./rewards.ts";
import type { HncaVaeFlags, VaeEstimator } from "./types.ts";
import type { VaeTerms } from "../../models/binary_vae.ts";
import { tfjsOps } from "../../kernels/tfjs_ops.ts";

/**
 * rho1 and rho0 from fire rates and delta = log P(children | off) - log P(children | on).
 * @param fireRate [B, K]
 * @param delta [B, K]
 */
export function rhoPair(fireRate: tf.Tensor2D, delta: tf.Tensor2D): { rho1: tf.Tensor2D; rho0: tf.Tensor2D } {
  if (fireRate.shape.join() !== delta.shape.join()) {
    throw new Error(`rhoPair(): fireRate [${fireRate.shape}] and delta [${delta.shape}] differ`);
  }
  return tf.tidy(() => {
    const notFr = tf.sub(1, fireRate);
    return {
      rho1: tf.div(1, tf.add(fireRate, tf.mul(notFr, tf.exp(delta)))) as tf.Tensor2D,
      rho0: tf.div(1, tf.add(tf.mul(fireRate, tf.exp(tf.neg(delta))), notFr)) as tf.Tensor2D,
    };
  });
}

/** HNCA's logit signal for one encoder layer. */
export const vaeHnca: VaeEstimator = async ({ layer: k, vae, trace, terms, baseline, flags, path }) => {
  const L = vae.encoder.length;
  const top = k === L - 1;
  const enc = trace.encoder[k];
  const z = enc.sample; // [B, K]
  const B = z.shape[0];
  // The paired decoder layer reads z_{k+1} and models z_k.
  const dec = { input: z, logits: trace.decoder[k].logits, sample: enc.input };
  const decTerms = await childFlipTerms(vae.decoder[k].W, dec, path, false);
  // The child encoder layer reads z_{k+1}: rho and dq.
  const child = top ? null : await childFlipTerms(vae.encoder[k + 1].W, trace.encoder[k + 1], path, true);
  const R = hncaReward(terms, k, flags.fullReward);
  const ops = path === "wasm" && !flags.allChild ? tfjsOps() : null;
  if (ops) {
    // On wasm, the elementwise arithmetic below in one kernel pass.
    const signal = ops.hncaSignal({
      fr: enc.fireRate,
      z,
      decLl: decTerms.ll,
      childLl: child ? child.ll : null,
      childEnt: child ? child.entropy : null,
      pbar: top ? trace.priorFireRate : trace.decoder[k + 1].fireRate,
      // sum_k log P(z | pbar): the ELBO's term of the layer modelling z.
      logPSum: top ? terms.logPrior : terms.logP[k + 1],
      adv: Float32Array.from(R, (r) => r - baseline),
    });
    tf.dispose([decTerms.ll, ...(child ? [child.ll, child.entropy!] : [])]);
    return { signal, rewardMean: hncaRewardMean(terms, k, flags, R) };
  }
  const advantage = tf.tensor2d(Float32Array.from(R, (r) => r - baseline), [B, 1]);
  const signal = tf.tidy(() => {
    const ones = tf.onesLike(z);
    const { rho1, rho0 } = child ? rhoPair(enc.fireRate, child.ll) : { rho1: ones, rho0: ones };
    const credit = tf.sub(rho1, rho0);
    // dp: off-minus-on is decTerms.ll.
    let dp: tf.Tensor = tf.neg(decTerms.ll);
    if (flags.allChild) {
      const p = onOffValues(childActualTerms(dec).logLik, decTerms.ll, z);
      dp = tf.sub(tf.mul(rho1, p.on), tf.mul(rho0, p.off));
    }
    // The layer modelling z_{k+1}: the next decoder layer, or the prior.
    const pbar = top ? trace.priorFireRate : trace.decoder[k + 1].fireRate;
    const logP = tf.log(tf.add(tf.mul(pbar, z), tf.mul(tf.sub(1, pbar), tf.sub(1, z)))); // [B, K]
    const logPSum = tf.expandDims(bernoulliLogProb(pbar, z), 1); // [B, 1]
    let est = tf.add(
      dp,
      tf.sub(tf.mul(rho1, tf.log(pbar)), tf.mul(rho0, tf.log(tf.sub(1, pbar)))),
    );
    est = tf.add(est, tf.mul(credit, tf.add(tf.sub(logPSum, logP), advantage)));
    if (child) {
      let dq: tf.Tensor = tf.neg(child.entropy!);
      if (flags.allChild) {
        const h = onOffValues(childActualTerms(trace.encoder[k + 1]).entropy, child.entropy!, z);
        dq = tf.sub(tf.mul(rho1, h.on), tf.mul(rho0, h.off));
      }
      est = tf.add(est, dq);
    }
    const fr = enc.fireRate;
    return tf.sub(entropyLogitSignal(fr), tf.mul(tf.mul(fr, tf.sub(1, fr)), est)) as tf.Tensor2D;
  });
  tf.dispose([advantage, decTerms.ll, ...(child ? [child.ll, child.entropy!] : [])]);
  return { signal, rewardMean: hncaRewardMean(terms, k, flags, R) };
};

/** What layer k's baseline tracks: mean(R + log P(z_{k+1}) [+ H(q_{k+2}) + log p(z_k | z_{k+1}) with allChild]). */
function hncaRewardMean(terms: VaeTerms, k: number, flags: HncaVaeFlags, R: Float64Array): number {
  let rewardMean = mean(R);
  if (k < terms.logP.length - 1) {
    let extra = mean(terms.logP[k + 1]);
    if (flags.allChild) extra += mean(terms.entropy[k + 1]) + mean(terms.logP[k]);
    rewardMean += extra;
  }
  return rewardMean;
}
