/**
 * Per-example rewards of an encoder layer, from the ELBO's terms.
 *
 * With z_0 = x, logP[i] = log p(z_i | z_{i+1}), H[i] the entropy of encoder
 * layer i and layer k producing z_{k+1}:
 * - REINFORCE, disARM, REINFORCE-LOO: every term the layer's sample can change,
 *   f_k = log p(z_L) + sum_{i >= k} logP[i] + sum_{i > k} H[i]
 *   (its own entropy has an analytic gradient);
 * - HNCA: only the terms that depend on z_{k+1} through its children's samples
 *   alone, R_k = log p(z_L) + sum_{i >= k+2} (logP[i] + H[i]); 0 for the top
 *   layer, as the original (its credit factor is 0 there). With `fullReward`,
 *   also every term below: sum_{i <= k} H[i] + sum_{i < k} logP[i].
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
 * import { reinforceReward } from "./rewards.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const f = reinforceReward(terms, 0);
 * assertEquals(f.length, 1); // one reward per example
 * ```
 * @module
 */
import type { VaeTerms } from "../../models/binary_vae.ts";

function checkLayer(terms: VaeTerms, k: number): number {
  const L = terms.logP.length;
  if (!(Number.isInteger(k) && k >= 0 && k < L)) throw new Error(`Layer ${k} is not in [0, ${L})`);
  return L;
}

/** f_k: [B]. */
export function reinforceReward(terms: VaeTerms, k: number): Float64Array {
  const L = checkLayer(terms, k);
  return terms.elbo.map((_, b) => {
    let f = terms.logPrior[b];
    for (let i = k; i < L; i++) f += terms.logP[i][b];
    for (let i = k + 1; i < L; i++) f += terms.entropy[i][b];
    return f;
  });
}

/** HNCA's R_k: [B]. */
export function hncaReward(terms: VaeTerms, k: number, fullReward: boolean): Float64Array {
  const L = checkLayer(terms, k);
  return terms.elbo.map((_, b) => {
    let r = 0;
    if (k < L - 1) {
      r = terms.logPrior[b];
      for (let i = k + 2; i < L; i++) r += terms.logP[i][b] + terms.entropy[i][b];
    }
    if (fullReward) {
      for (let i = 0; i <= k; i++) r += terms.entropy[i][b];
      for (let i = 0; i < k; i++) r += terms.logP[i][b];
    }
    return r;
  });
}

/** Mean of a [B] array. */
export function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s / a.length;
}
