/**
 * Seeded randomness for runs.
 *
 * @example
 * ```ts
 * import { Rng } from "./mod.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const u = Rng.fromSeed(1).stream("data").uniform();
 * assertEquals(u, Rng.fromSeed(1).stream("data").uniform()); // the same seed and purpose, the same draw
 * assert(u >= 0 && u < 1);
 * ```
 * @module
 */
export { Rng, type RngState } from "./rng.ts";
