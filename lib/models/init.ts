/**
 * Parameter initialisation from the run's RNG.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { glorotUniform } from "./init.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const w = glorotUniform(Rng.fromSeed(0).stream("init", 0), 200, 784);
 * assertEquals(w.length, 200 * 784); // [200, 784], row-major
 * const limit = Math.sqrt(6 / (200 + 784));
 * assertEquals(w.every((v) => Math.abs(v) <= limit), true);
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";

/**
 * Glorot-uniform weights U(-a, a), a = sqrt(6 / (fanIn + fanOut)), as the HNCA
 * code initialises every layer. Returns [fanOut, fanIn] row-major.
 */
export function glorotUniform(rng: Rng, fanOut: number, fanIn: number): Float32Array {
  if (!(Number.isInteger(fanOut) && fanOut > 0 && Number.isInteger(fanIn) && fanIn > 0)) {
    throw new Error(`glorotUniform needs positive integer fans, got fanOut ${fanOut}, fanIn ${fanIn}`);
  }
  const a = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanOut * fanIn);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * a;
  return w;
}
