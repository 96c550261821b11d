/**
 * tfjs has no stop_gradient; this is the identity with a zero gradient, for
 * targets that must be held constant (the TD target's bootstrap).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { stopGradient } from "./stop_gradient.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, stopGradient(x))))(tf.tensor1d([3]));
 * assertEquals(Array.from(g.dataSync()), [3]); // not [6]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** x, with no gradient flowing back through it. */
export const stopGradient: <T extends tf.Tensor>(x: T) => T = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
  },
) as <T extends tf.Tensor>(x: T) => T;
