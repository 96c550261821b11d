/**
 * Checks a VAE encoder estimator against the exact gradient of a tiny VAE:
 * per-parameter mean and variance of the per-example gradient over many
 * samples of one image, the z-score of (mean + exact d ELBO) per parameter
 * (estimators estimate minus the gradient), and the summed variance.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { CounterfactualPath } from "../../lib/estimators/types.ts";
import type { HncaVaeFlags, VaeEstimator } from "../../lib/estimators/vae/mod.ts";
import {
  type BinaryVae,
  disposeVaeTrace,
  drawVaeUniforms,
  encodeVae,
  initBinaryVae,
  vaeTerms,
} from "../../lib/models/binary_vae.ts";
import { Rng } from "../../lib/rng/mod.ts";
import { exactEncoderGradient, type ExactVae } from "./exact_vae.ts";
import { zCritical } from "./ztest.ts";

/** A tiny VAE (4 pixels, 2-2-2 latent units) with weights scaled so that credit matters. */
export function tinyVae(seed: number, scale = 2.5): BinaryVae {
  const rng = Rng.fromSeed(seed);
  const vae = initBinaryVae(rng.stream("init"), { pixels: 4, latent: [2, 2, 2] });
  const bias = rng.stream("bias");
  const shift = (n: number) => tf.tensor1d(Array.from({ length: n }, () => 0.8 * bias.normal()));
  const scaled = (l: { W: tf.Tensor2D; b: tf.Tensor1D }) => ({
    W: tf.mul(l.W, scale) as tf.Tensor2D,
    b: shift(l.b.shape[0]) as tf.Tensor1D,
  });
  return { encoder: vae.encoder.map(scaled), decoder: vae.decoder.map(scaled), prior: shift(2) as tf.Tensor1D };
}

export async function toExactVae(vae: BinaryVae): Promise<ExactVae> {
  const conv = async (l: { W: tf.Tensor2D; b: tf.Tensor1D }) => ({
    W: (await l.W.array()) as number[][],
    b: (await l.b.array()) as number[],
  });
  return {
    encoder: await Promise.all(vae.encoder.map(conv)),
    decoder: await Promise.all(vae.decoder.map(conv)),
    prior: (await vae.prior.array()) as number[],
  };
}

export interface MomentOptions {
  flags?: HncaVaeFlags;
  /** Per-layer baselines (constants: any baseline keeps the estimate unbiased). */
  baselines?: number[];
  path?: CounterfactualPath;
  n?: number;
  seed?: number;
}

export interface MomentResult {
  /** Largest |z| over every encoder parameter. */
  worst: number;
  params: number;
  bound: number;
  /** Summed per-example variance over every encoder parameter. */
  variance: number;
  /** The same per layer (q1, q2, ...). */
  layerVariance: number[];
}

/** Runs the estimator on n samples of image x and compares with the exact gradient. */
export async function checkVaeEstimator(
  vae: BinaryVae,
  x: number[],
  estimate: VaeEstimator,
  o: MomentOptions = {},
): Promise<MomentResult> {
  const n = o.n ?? 100_000, B = 5000, L = vae.encoder.length;
  const flags = o.flags ?? { allChild: false, fullReward: false };
  const sizes = vae.encoder.map((l) => l.W.shape);
  const sums = sizes.map(([K, J]) => new Float64Array(K * J + K));
  const sqs = sizes.map(([K, J]) => new Float64Array(K * J + K));
  const rng = Rng.fromSeed(o.seed ?? 1);
  const sampleRng = rng.stream("sample"), estRng = rng.stream("estimator");
  for (let done = 0; done < n; done += B) {
    const xt = tf.tensor2d(Array.from({ length: B }, () => x));
    const trace = encodeVae(vae, xt, drawVaeUniforms(vae, B, sampleRng));
    xt.dispose();
    const terms = await vaeTerms(trace);
    for (let k = L - 1; k >= 0; k--) {
      const { signal } = await estimate({
        layer: k,
        vae,
        trace,
        terms,
        baseline: o.baselines?.[k] ?? 0,
        flags,
        rng: estRng,
        upper: vae,
        path: o.path ?? "wasm",
      });
      const g = await signal.data(), inp = await trace.encoder[k].input.data();
      signal.dispose();
      const [K, J] = sizes[k];
      for (let b = 0; b < B; b++) {
        for (let u = 0; u < K; u++) {
          const gu = g[b * K + u];
          for (let j = 0; j < J; j++) {
            const v = gu * inp[b * J + j];
            sums[k][u * J + j] += v;
            sqs[k][u * J + j] += v * v;
          }
          sums[k][K * J + u] += gu;
          sqs[k][K * J + u] += gu * gu;
        }
      }
    }
    disposeVaeTrace(trace);
  }
  const exact = exactEncoderGradient(await toExactVae(vae), x);
  let worst = 0, params = 0;
  const layerVariance = sums.map((s, k) => {
    let total = 0;
    s.forEach((sum, i) => {
      const mean = sum / n, variance = sqs[k][i] / n - mean * mean;
      total += variance;
      const se = Math.sqrt(variance / n);
      const z = se > 0 ? Math.abs(mean + exact[k][i]) / se : (Math.abs(mean + exact[k][i]) < 1e-12 ? 0 : Infinity);
      worst = Math.max(worst, z);
      params++;
    });
    return total;
  });
  return {
    worst,
    params,
    bound: zCritical(params),
    variance: layerVariance.reduce((a, b) => a + b, 0),
    layerVariance,
  };
}

/** A line for the test log. */
export function describe(r: MomentResult): string {
  return `max |z| ${r.worst.toFixed(2)} over ${r.params} parameters (bound ${r.bound.toFixed(2)}); summed variance ${
    r.variance.toPrecision(4)
  } (q1..q3: ${r.layerVariance.map((v) => v.toPrecision(3)).join(", ")})`;
}
