/**
 * A dynamically binarized batch of MNIST images, as every HNCA experiment
 * draws them.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { mnistBatch } from "./mnist_batch.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // Two 2-pixel "images" (intensities 0..255) with labels 3 and 7.
 * const split = { images: Uint8Array.of(0, 255, 255, 128), labels: Uint8Array.of(3, 7), count: 2 };
 * const { x, y } = mnistBatch(split, [1, 0], 2, Rng.fromSeed(0).stream("binarize", 1));
 * y; // Int32Array [7, 3]
 * assertEquals(x.length, 4); // pixels, each 0 or 1 (drawn with its intensity / 255)
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";
import { binarize } from "./binarize.ts";
import type { MnistSplit } from "./mnist.ts";

/**
 * Images idx of a split, binarized with `rng`, and their labels.
 * @returns x: [B * pixels] (0/1), y: [B]
 */
export function mnistBatch(
  split: MnistSplit,
  idx: ArrayLike<number>,
  pixels: number,
  rng: Rng,
): { x: Float32Array; y: Int32Array } {
  const B = idx.length;
  const raw = new Uint8Array(B * pixels);
  const y = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    if (!(idx[b] >= 0 && idx[b] < split.count)) throw new Error(`Image index ${idx[b]} is outside [0, ${split.count})`);
    raw.set(split.images.subarray(idx[b] * pixels, (idx[b] + 1) * pixels), b * pixels);
    y[b] = split.labels[idx[b]];
  }
  return { x: binarize(raw, rng), y };
}
