/**
 * Dynamic binarization, as the HNCA code does for MNIST: each pixel becomes 1
 * with probability equal to its intensity (byte / 255), redrawn whenever it is
 * called, from the run's RNG.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { binarize } from "./binarize.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const x = binarize(Uint8Array.of(0, 128, 255), Rng.fromSeed(0).stream("binarize", 0));
 * assertEquals([x[0], x[2]], [0, 1]); // 0 and 255 are certain; 128 is 0 or 1
 * assert(x[1] === 0 || x[1] === 1);
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";

/**
 * Samples Bernoulli(pixel / 255) for every byte.
 * @param pixels bytes 0..255, any shape, flattened.
 * @param out optional output of the same length (filled and returned).
 */
export function binarize(pixels: Uint8Array, rng: Rng, out?: Float32Array): Float32Array {
  const o = out ?? new Float32Array(pixels.length);
  if (o.length !== pixels.length) {
    throw new Error(`binarize(): out has ${o.length} values, pixels have ${pixels.length}`);
  }
  for (let i = 0; i < pixels.length; i++) o[i] = rng.uniform24() * 255 < pixels[i] ? 1 : 0;
  return o;
}
