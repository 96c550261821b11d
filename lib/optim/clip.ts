/**
 * Global-norm clipping of an update that an optimizer already made, as
 * `optax.chain(optax.adam(lr), optax.clip_by_global_norm(max))` clips Adam's
 * output: with u = after - before, when ||u|| > max the parameters become
 * before + u * max / ||u||.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { clipUpdateGlobalNorm } from "./clip.ts";
 * const [p] = clipUpdateGlobalNorm([tf.tensor1d([0, 0])], [tf.tensor1d([3, 4])], 1); // [0.6, 0.8]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** New parameters whose update from `before` has global norm at most `maxNorm` (fresh tensors). */
export function clipUpdateGlobalNorm(before: tf.Tensor[], after: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  if (before.length !== after.length) {
    throw new Error(`clipUpdateGlobalNorm(): ${before.length} tensors before, ${after.length} after`);
  }
  return tf.tidy(() => {
    const updates = after.map((a, i) => tf.sub(a, before[i]));
    const norm = Math.sqrt(updates.reduce((s, u) => s + tf.sum(tf.square(u)).dataSync()[0], 0));
    if (!(norm > maxNorm)) return after.map((a) => tf.clone(a));
    const scale = maxNorm / norm;
    return updates.map((u, i) => tf.add(before[i], tf.mul(u, scale)));
  });
}
