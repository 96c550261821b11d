/**
 * The analytic part every encoder estimator shares: the gradient of minus a
 * unit's entropy H(fr) with respect to its logit, fr (1 - fr) (log fr - log(1 - fr)),
 * with the clipped fire rate fr (the original's `q_entropy_grad` times fr (1 - fr)).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { entropyLogitSignal } from "./entropy_signal.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const g = entropyLogitSignal(tf.tensor2d([[0.5, 0.9]])).dataSync();
 * assert(Math.abs(g[0]) < 1e-7 && Math.abs(g[1] - 0.09 * Math.log(9)) < 1e-6); // [[0, 0.09 ln 9]]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** fireRate: [B, K] -> [B, K]. */
export function entropyLogitSignal(fireRate: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const notFr = tf.sub(1, fireRate);
    return tf.mul(tf.mul(fireRate, notFr), tf.sub(tf.log(fireRate), tf.log(notFr))) as tf.Tensor2D;
  });
}
