/**
 * Seeded randomness for runs.
 *
 * @example
 * ```ts
 * import { Rng } from "./mod.ts";
 * const u = Rng.fromSeed(1).stream("data").uniform();
 * ```
 * @module
 */
export { Rng, type RngState } from "./rng.ts";
