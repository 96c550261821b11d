/**
 * From per-example logit signals to a layer's update and its gradient
 * variance, without forming per-example gradients.
 *
 * With per-example gradient G_b = g_b (outer) x_b for the weights:
 *   mean:      dW = g^T x / B
 *   variance:  mean over entries of Var_b[G_b] (ddof 0), as the original's
 *              jnp.mean(jnp.var(theta_grad, axis=0)), which is
 *              ( sum_b |g_b|^2 |x_b|^2 / B - |dW|^2 ) / (K J).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { outerProductGrads } from "./grads.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const g = outerProductGrads(tf.tensor2d([[1], [3]]), tf.tensor2d([[1, 0], [1, 1]]));
 * assertEquals(Array.from(g.dW.dataSync()), [2, 1.5]); // dW = [[2, 1.5]], db = [2]
 * assertEquals(Array.from(g.db.dataSync()), [2]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A layer's gradient and variance statistics (tensors; varW and varB are scalars). */
export interface LayerGrads {
  /** dW: [K, J] mean gradient of the loss */
  dW: tf.Tensor2D;
  /** db: [K] */
  db: tf.Tensor1D;
  /** mean over weight entries of the per-example gradient variance */
  varW: tf.Scalar;
  /** mean over bias entries */
  varB: tf.Scalar;
}

/**
 * @param signal g: [B, K]
 * @param input x: [B, J]
 */
export function outerProductGrads(signal: tf.Tensor2D, input: tf.Tensor2D): LayerGrads {
  const [B, K] = signal.shape;
  const J = input.shape[1];
  if (input.shape[0] !== B) {
    throw new Error(`outerProductGrads(): signal is [${signal.shape}] but input is [${input.shape}]`);
  }
  return tf.tidy(() => {
    const dW = tf.div(tf.matMul(tf.transpose(signal), input), B) as tf.Tensor2D;
    const db = tf.mean(signal, 0) as tf.Tensor1D;
    const g2 = tf.sum(tf.square(signal), 1); // [B]
    const x2 = tf.sum(tf.square(input), 1); // [B]
    const meanSq = tf.div(tf.sum(tf.mul(g2, x2)), B);
    const varW = tf.div(tf.sub(meanSq, tf.sum(tf.square(dW))), K * J) as tf.Scalar;
    const varB = tf.div(tf.sub(tf.div(tf.sum(g2), B), tf.sum(tf.square(db))), K) as tf.Scalar;
    return { dW, db, varW, varB };
  });
}
