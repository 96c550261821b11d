/**
 * Backpropamine's advantage actor-critic loss (maze/batch.py) and its exact
 * gradient with respect to the policy logits and the values, as pure
 * functions of a recorded batch of episodes.
 *
 * For T steps and B episodes, with p = softmax(logits), returns
 * R_t = r_t + gamma R_{t+1} (R_T = 0) and advantage A_tb = R_tb - V_tb':
 *
 *   loss = (1/T) sum_t [ bent sum_b sum_a p_tba^2 / B
 *                        - sum_b log p_tb(a_tb) stop_gradient(A_tb) / B
 *                        + valueCoef sum_b A_tb^2 / B ]
 *
 * The Simpson index sum_a p^2 stands in for the (negative) entropy. b' is b;
 * with `valueOfElement0` (the original's indexing `vs[t][0]`), b' is 0 for
 * every element: every advantage uses the first episode's value, and only
 * that value is trained.
 *
 * @example
 * ```ts
 * import { a2cSimpsonLoss } from "./a2c.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // T = 1, B = 1, A = 2: equal logits, action 0, reward 1, value 0.
 * const r = a2cSimpsonLoss(Float64Array.of(0, 0), Float64Array.of(0), Int32Array.of(0), Float64Array.of(1), {
 *   T: 1, B: 1, actions: 2, gamma: 0.9, entropyCoef: 0.03, valueCoef: 0.1, valueOfElement0: false,
 * });
 * assertEquals(Math.abs(r.loss - (0.03 * 0.5 + Math.log(2) + 0.1)) < 1e-12, true); // 0.808...
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stopGradient } from "../models/stop_gradient.ts";

/** Sizes and coefficients of the loss. */
export interface A2cConfig {
  /** Steps per episode. */
  T: number;
  /** Episodes in the batch. */
  B: number;
  /** Number of actions. */
  actions: number;
  /** Discount of the returns (`--gr`, 0.9). */
  gamma: number;
  /** Coefficient of the Simpson index sum_a p^2 (`--bent`, 0.03). */
  entropyCoef: number;
  /** Coefficient of the value loss (`--blossv`, 0.1). */
  valueCoef: number;
  /** The original's advantage R_tb - V_t0 (batch element 0's value for every element). */
  valueOfElement0: boolean;
}

/** A typed array of floats. */
export type Floats = Float32Array | Float64Array;

/** Discounted returns R_t = r_t + gamma R_{t+1}. rewards: [T, B]; returns [T, B]. */
export function discountedReturns(rewards: ArrayLike<number>, T: number, B: number, gamma: number): Float64Array {
  if (rewards.length !== T * B) {
    throw new Error(`discountedReturns(): rewards has ${rewards.length} values, expected [T=${T}, B=${B}]`);
  }
  const R = new Float64Array(T * B);
  for (let b = 0; b < B; b++) {
    let acc = 0;
    for (let t = T - 1; t >= 0; t--) {
      acc = gamma * acc + rewards[t * B + b];
      R[t * B + b] = acc;
    }
  }
  return R;
}

function checkShapes(
  who: string,
  logits: ArrayLike<number>,
  values: ArrayLike<number>,
  actions: ArrayLike<number>,
  rewards: ArrayLike<number>,
  c: A2cConfig,
) {
  const want: [string, ArrayLike<number>, number, string][] = [
    ["logits", logits, c.T * c.B * c.actions, `[T=${c.T}, B=${c.B}, A=${c.actions}]`],
    ["values", values, c.T * c.B, `[T=${c.T}, B=${c.B}]`],
    ["actions", actions, c.T * c.B, `[T=${c.T}, B=${c.B}]`],
    ["rewards", rewards, c.T * c.B, `[T=${c.T}, B=${c.B}]`],
  ];
  for (const [name, a, n, shape] of want) {
    if (a.length !== n) throw new Error(`${who}: ${name} has ${a.length} values, expected ${shape}`);
  }
}

/**
 * The loss and its gradients. logits: [T, B, A], values: [T, B], actions:
 * [T, B], rewards: [T, B]. Returns gLogits [T, B, A] and gValues [T, B] (float64).
 */
export function a2cSimpsonLoss(
  logits: ArrayLike<number>,
  values: ArrayLike<number>,
  actions: ArrayLike<number>,
  rewards: ArrayLike<number>,
  c: A2cConfig,
): { loss: number; gLogits: Float64Array; gValues: Float64Array } {
  checkShapes("a2cSimpsonLoss()", logits, values, actions, rewards, c);
  const { T, B } = c, A = c.actions;
  const R = discountedReturns(rewards, T, B, c.gamma);
  const gLogits = new Float64Array(T * B * A), gValues = new Float64Array(T * B);
  const scale = 1 / (T * B);
  const p = new Float64Array(A);
  let loss = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const o = (t * B + b) * A;
      let mx = -Infinity;
      for (let a = 0; a < A; a++) mx = Math.max(mx, logits[o + a]);
      let z = 0;
      for (let a = 0; a < A; a++) z += p[a] = Math.exp(logits[o + a] - mx);
      let simpson = 0;
      for (let a = 0; a < A; a++) simpson += (p[a] /= z) ** 2;
      const act = actions[t * B + b];
      if (!(act >= 0 && act < A)) throw new Error(`a2cSimpsonLoss(): actions[${t}, ${b}] = ${act} is not an action`);
      const vb = c.valueOfElement0 ? t * B : t * B + b;
      const adv = R[t * B + b] - values[vb];
      const logp = logits[o + act] - mx - Math.log(z);
      loss += scale * (c.entropyCoef * simpson - logp * adv + c.valueCoef * adv * adv);
      for (let a = 0; a < A; a++) {
        const dSimpson = 2 * p[a] * (p[a] - simpson);
        const dLogp = (a === act ? 1 : 0) - p[a];
        gLogits[o + a] = scale * (c.entropyCoef * dSimpson - adv * dLogp);
      }
      gValues[vb] += scale * c.valueCoef * -2 * adv;
    }
  }
  return { loss, gLogits, gValues };
}

/**
 * The same loss in tfjs ops, differentiable by tf.grads (the check of the
 * hand-written gradient, and the loss of the tfjs path). logits: [T, B, A],
 * values: [T, B].
 */
export function a2cSimpsonLossTf(
  logits: tf.Tensor3D,
  values: tf.Tensor2D,
  actions: Int32Array,
  rewards: ArrayLike<number>,
  c: A2cConfig,
): tf.Scalar {
  const { T, B } = c, A = c.actions;
  if (logits.shape.join() !== [T, B, A].join()) {
    throw new Error(`a2cSimpsonLossTf(): logits is [${logits.shape}], expected [${T}, ${B}, ${A}]`);
  }
  if (values.shape.join() !== [T, B].join()) {
    throw new Error(`a2cSimpsonLossTf(): values is [${values.shape}], expected [${T}, ${B}]`);
  }
  const R = discountedReturns(rewards, T, B, c.gamma);
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const p = tf.exp(logp);
    const simpson = tf.sum(tf.square(p));
    const v = c.valueOfElement0 ? tf.tile(tf.slice(values, [0, 0], [T, 1]), [1, B]) : values;
    const adv = tf.sub(tf.tensor2d(Float32Array.from(R), [T, B]), v);
    const taken = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(actions, [T, B], "int32"), A)), 2);
    const policy = tf.sum(tf.mul(taken, stopGradient(adv)));
    const value = tf.sum(tf.square(adv));
    const total = tf.add(tf.sub(tf.mul(c.entropyCoef, simpson), policy), tf.mul(c.valueCoef, value));
    return tf.div(total, T * B) as tf.Scalar;
  });
}
