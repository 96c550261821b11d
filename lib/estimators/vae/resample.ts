/**
 * The reward of an alternative sample of one encoder layer, with the layers
 * above it sampled afresh ("forward resampling"), as disARM and
 * REINFORCE-LOO need:
 *   f_k(z') = log p(z_k | z') + sum_{i > k} [H(q_i(. | z'_i)) + log p(z'_i | z'_{i+1})] + log p(z'_L)
 * with z'_{k+1} = z' and z'_{i+1} ~ q_i(. | z'_i). The paired decoder layer uses
 * the forward pass's parameters; the layers above use `upper` (the forward
 * pass's too, unless the original's quirk asks for the already-updated ones).
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
 * import { resampledReward } from "./resample.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // The reward of layer 0 with z_1 replaced by another sample and the layers above drawn again.
 * const zAlt = tf.tensor2d([[1, 0, 1]]);
 * const f = await resampledReward(vae, vae, trace, 0, zAlt, rng);
 * assertEquals(f.length, 1); // one reward per example
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  bernoulliEntropy,
  bernoulliLayer,
  bernoulliLogProb,
  type BinaryVae,
  priorFireRate,
  sampledBernoulliLayer,
  type VaeTrace,
} from "../../models/binary_vae.ts";
import type { UniformSource } from "../../rng/fast_stream.ts";
import { type TfjsOps, tfjsOps } from "../../kernels/tfjs_ops.ts";

/**
 * @param zAlt [B, K_{k+1}]: the alternative sample of layer k (0/1)
 * @returns f_k(zAlt): [B]
 */
export async function resampledReward(
  vae: BinaryVae,
  upper: BinaryVae,
  trace: VaeTrace,
  k: number,
  zAlt: tf.Tensor2D,
  rng: UniformSource,
): Promise<Float64Array> {
  const L = vae.encoder.length;
  if (zAlt.shape.join() !== trace.encoder[k].sample.shape.join()) {
    throw new Error(
      `resampledReward(): zAlt is [${zAlt.shape}], layer ${k}'s sample is [${trace.encoder[k].sample.shape}]`,
    );
  }
  const B = zAlt.shape[0];
  // Draw every layer's uniforms first, in a fixed order.
  const uniforms = Array.from(
    { length: L - k - 1 },
    (_, i) => rng.fillUniform24(new Float32Array(B * vae.encoder[k + 1 + i].W.shape[0])),
  );
  const ops = tfjsOps();
  if (ops) return resampledRewardKernel(vae, upper, trace, k, zAlt, uniforms, ops);
  const f = tf.tidy(() => {
    const own = bernoulliLayer(vae.decoder[k], zAlt);
    let total = bernoulliLogProb(own.fireRate, trace.encoder[k].input);
    let z = zAlt;
    for (let i = k + 1; i < L; i++) {
      const { fireRate: qRate, sample: next } = sampledBernoulliLayer(upper.encoder[i], z, uniforms[i - k - 1]);
      const p = bernoulliLayer(upper.decoder[i], next);
      total = tf.add(total, tf.add(bernoulliEntropy(qRate), bernoulliLogProb(p.fireRate, z)));
      z = next;
    }
    return tf.add(total, bernoulliLogProb(priorFireRate(upper), z));
  });
  const out = Float64Array.from(await f.data());
  f.dispose();
  return out;
}

/** resampledReward() on wasm: the same layers, each term's per-example sum from a kernel, added in float64. */
function resampledRewardKernel(
  vae: BinaryVae,
  upper: BinaryVae,
  trace: VaeTrace,
  k: number,
  zAlt: tf.Tensor2D,
  uniforms: Float32Array[],
  ops: TfjsOps,
): Float64Array {
  const L = vae.encoder.length;
  const own = bernoulliLayer(vae.decoder[k], zAlt);
  const total = Float64Array.from(ops.bernoulliLogProbRows(own.fireRate, trace.encoder[k].input));
  tf.dispose([own.logits, own.fireRate]);
  const add = (rows: Float32Array) => rows.forEach((v, b) => (total[b] += v));
  let z = zAlt;
  for (let i = k + 1; i < L; i++) {
    const q = sampledBernoulliLayer(upper.encoder[i], z, uniforms[i - k - 1]);
    const p = bernoulliLayer(upper.decoder[i], q.sample);
    add(ops.bernoulliEntropyRows(q.fireRate));
    add(ops.bernoulliLogProbRows(p.fireRate, z));
    tf.dispose([q.logits, q.fireRate, p.logits, p.fireRate, ...(z === zAlt ? [] : [z])]);
    z = q.sample;
  }
  const prior = priorFireRate(upper);
  add(ops.bernoulliLogProbRows(prior, z));
  tf.dispose([prior, ...(z === zAlt ? [] : [z])]);
  return total;
}
