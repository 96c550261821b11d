/**
 * Clipping by global norm as a gradient transformation
 * (optax.clip_by_global_norm): when the updates' global norm ||u|| exceeds
 * `maxNorm`, every update becomes u / ||u|| * maxNorm. In a chain after Adam
 * (`chain(adam(lr), clipByGlobalNorm(50))`, as the meta-RL replication) it
 * clips Adam's step.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { clipByGlobalNorm } from "./clip.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const clip = clipByGlobalNorm(1);
 * const { updates } = clip.update({ a: tf.tensor1d([3, 4]) }, clip.init({}));
 * assertEquals(Array.from(updates.a.dataSync()), [Math.fround(0.6), Math.fround(0.8)]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { GradientTransformation, Params } from "./transform.ts";

/** The global (Euclidean) norm of every update together. */
export function globalNorm(updates: Params): number {
  let sum = 0;
  for (const u of Object.values(updates)) {
    const s = tf.tidy(() => tf.sum(tf.square(u)));
    sum += s.dataSync()[0];
    s.dispose();
  }
  return Math.sqrt(sum);
}

/** Scales the updates to global norm `maxNorm` when theirs is larger (fresh tensors either way). */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm() needs a positive maximum norm, got ${maxNorm}`);
  return {
    init: () => ({ count: 0, slots: {} }),
    update(updates, state) {
      const norm = globalNorm(updates);
      const out: Params = {};
      for (const [name, u] of Object.entries(updates)) {
        out[name] = norm > maxNorm ? tf.tidy(() => tf.mul(tf.div(u, norm), maxNorm)) : tf.clone(u);
      }
      return { updates: out, state: { count: state.count + 1, slots: {} } };
    },
  };
}
