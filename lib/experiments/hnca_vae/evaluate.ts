/**
 * Evaluating the binary VAE: the one-sample test ELBO, the importance-weighted
 * test bound, the training batches' binarization, and sampled digits.
 *
 * @example
 * ```ts
 * import { testIwBound } from "./evaluate.ts";
 * import { ok as assert } from "node:assert";
 * assert(typeof testIwBound === "function"); // exercised end to end in tests/lib/experiments/hnca_vae_test.ts
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Mnist, MnistSplit } from "../../data/mnist.ts";
import { mnistBatch } from "../../data/mnist_batch.ts";
import { type RunContext } from "../../engine/experiment.ts";
import {
  type BinaryVae,
  disposeVaeTrace,
  drawVaeUniforms,
  encodeVae,
  logImportanceWeight,
  sampleVae,
  vaeTerms,
} from "../../models/binary_vae.ts";
import type { Rng } from "../../rng/mod.ts";
import { FastStream } from "../../rng/fast_stream.ts";
import { HncaVaeConfig } from "./config.ts";

/** Mean one-sample ELBO of the first n test images. */
export async function testElbo(
  vae: BinaryVae,
  images: (idx: number[]) => Float32Array,
  n: number,
  bs: number,
  rng: Rng,
) {
  let total = 0;
  for (let start = 0; start < n; start += bs) {
    const idx = Array.from({ length: Math.min(bs, n - start) }, (_, i) => start + i);
    const xt = tf.tensor2d(images(idx), [idx.length, vae.encoder[0].W.shape[1]]);
    const trace = encodeVae(vae, xt, drawVaeUniforms(vae, idx.length, rng));
    xt.dispose();
    const { elbo } = await vaeTerms(trace);
    disposeVaeTrace(trace);
    for (const v of elbo) total += v;
  }
  return total / n;
}

/**
 * Training images idx, binarized: the pixels mnistBatch() gives with the same stream, drawn in bulk.
 * @returns [idx.length * pixels] (0/1)
 */
export function trainBatch(split: MnistSplit, idx: Uint32Array, pixels: number, rng: FastStream): Float32Array {
  const raw = new Uint8Array(idx.length * pixels);
  idx.forEach((i, b) => raw.set(split.images.subarray(i * pixels, (i + 1) * pixels), b * pixels));
  return rng.binarize(raw);
}

/** Mean over the first n test images of log (1/k) sum_s w_s, w_s = p(x, z_s) / q(z_s | x). */
export async function testIwBound(
  vae: BinaryVae,
  images: (idx: number[]) => Float32Array,
  n: number,
  k: number,
  bs: number,
  rng: Rng,
) {
  const per = Math.max(1, Math.floor(bs / k));
  const D = vae.encoder[0].W.shape[1];
  let total = 0;
  for (let start = 0; start < n; start += per) {
    const idx = Array.from({ length: Math.min(per, n - start) }, (_, i) => start + i);
    const x = images(idx);
    const rep = new Float32Array(idx.length * k * D);
    for (let i = 0; i < idx.length; i++) {
      for (let s = 0; s < k; s++) rep.set(x.subarray(i * D, (i + 1) * D), (i * k + s) * D);
    }
    const xt = tf.tensor2d(rep, [idx.length * k, D]);
    const trace = encodeVae(vae, xt, drawVaeUniforms(vae, idx.length * k, rng));
    xt.dispose();
    const logW = await logImportanceWeight(trace);
    disposeVaeTrace(trace);
    for (let i = 0; i < idx.length; i++) {
      let m = -Infinity;
      for (let s = 0; s < k; s++) m = Math.max(m, logW[i * k + s]);
      let sum = 0;
      for (let s = 0; s < k; s++) sum += Math.exp(logW[i * k + s] - m);
      total += m + Math.log(sum / k);
    }
  }
  return total / n;
}

/** Samples prior -> decoder and reports every pixel (the grid of generate_digits.py). */
export async function emitDigits(ctx: RunContext<HncaVaeConfig>, vae: BinaryVae, n: number, pixels: number) {
  const side = Math.round(Math.sqrt(pixels));
  if (side * side !== pixels) {
    ctx.log(`digits skipped: ${pixels} pixels do not form a square image`);
    return;
  }
  const rng = ctx.rng.stream("digits");
  const sizes = [pixels, ...vae.encoder.map((l) => l.W.shape[0])];
  const uniforms = [sizes[sizes.length - 1], ...sizes.slice(0, -1).reverse()].map((k) =>
    rng.fillUniform24(new Float32Array(n * k))
  );
  const { pixels: sampled, probs } = sampleVae(vae, n, uniforms);
  const [px, pr] = [await sampled.data(), await probs.data()];
  tf.dispose([sampled, probs]);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < pixels; p++) {
      ctx.emit("digits", {
        image: i,
        row: Math.floor(p / side),
        col: p % side,
        pixel: px[i * pixels + p],
        probability: pr[i * pixels + p],
      });
    }
  }
}

/**
 * The test images, binarized once per run (so that every epoch scores the same images), as a function
 * of example indices to their pixels [n * pixels].
 */
export function testImageSource(mnist: Mnist, nTest: number, rng: Rng): (idx: number[]) => Float32Array {
  const testImages = mnistBatch(mnist.test, Array.from({ length: nTest }, (_, i) => i), mnist.pixels, rng).x;
  return (idx: number[]) => {
    const out = new Float32Array(idx.length * mnist.pixels);
    idx.forEach((i, n) => out.set(testImages.subarray(i * mnist.pixels, (i + 1) * mnist.pixels), n * mnist.pixels));
    return out;
  };
}
