/**
 * The value-RNN model step: padded trial batches, the original's TD loss
 * (both code states), its gradients, the true discounted value, a trial's
 * probe (value, hidden states, RPE) and the original's early stopping.
 *
 * @example
 * ```ts
 * import { earlyStopping } from "./td.ts";
 * import { ok as assert } from "node:assert";
 * const start = { epoch: 0, previous: Infinity, best: Infinity, bestEpoch: -1, increases: 0, stopped: false };
 * const s = earlyStopping(start, 1.5, 3);
 * assert(s.improved);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Trial, trueValue } from "../../envs/pavlov_timing.ts";
import { LSTM_PARAMS, lstmForward, type LstmParams } from "../../models/lstm.ts";
import { type Params, zipParams } from "../../optim/mod.ts";
import { stopGradient } from "../../models/stop_gradient.ts";

/** Which code state's TD loss (see the module doc). */
export type TdLoss = "a966010" | "e386495";

/** A padded, time-major batch of trials with its masks. */
export interface Batch {
  trials: Trial[];
  loss: TdLoss;
  /** x: [T, B, I] */
  x: tf.Tensor3D;
  /** r: [T, B] rewards */
  r: tf.Tensor2D;
  /**
   * mask: [T - 1, B]: the rows whose TD error counts. a966010: 1 where t < length - 1;
   * e386495: 1 / (rows of the trial x B) where t < length (each trial's mean, averaged over trials).
   */
  mask: tf.Tensor2D;
  /** valid: [T, B]: 1 where t < length (e386495: the padding's value is 0, as pad_packed_sequence gives) */
  valid: tf.Tensor2D;
  /** sum of the trials' lengths */
  lengthSum: number;
}

/**
 * Pads trials to a common length, time-major. `padTo` may exceed the longest
 * trial (tests). With `e386495` the reward input is the previous step's.
 */
export function makeBatch(trials: Trial[], inputs: number, padTo = 0, loss: TdLoss = "a966010"): Batch {
  const T = Math.max(padTo, ...trials.map((t) => t.length));
  const B = trials.length;
  const x = new Float32Array(T * B * inputs), r = new Float32Array(T * B), mask = new Float32Array((T - 1) * B);
  const valid = new Float32Array(T * B);
  const rewardCol = inputs - 1;
  trials.forEach((tr, b) => {
    const counted = Math.min(tr.length, T - 1);
    for (let t = 0; t < tr.length; t++) {
      for (let i = 0; i < inputs; i++) x[(t * B + b) * inputs + i] = tr.inputs[t * inputs + i];
      if (loss === "e386495") x[(t * B + b) * inputs + rewardCol] = t > 0 ? tr.rewards[t - 1] : 0;
      r[t * B + b] = tr.rewards[t];
      valid[t * B + b] = 1;
      if (loss === "a966010" && t < tr.length - 1) mask[t * B + b] = 1;
      if (loss === "e386495" && t < counted) mask[t * B + b] = 1 / (counted * B);
    }
  });
  return {
    trials,
    loss,
    x: tf.tensor3d(x, [T, B, inputs]),
    r: tf.tensor2d(r, [T, B]),
    mask: tf.tensor2d(mask, [T - 1, B]),
    valid: tf.tensor2d(valid, [T, B]),
    lengthSum: trials.reduce((a, t) => a + t.length, 0),
  };
}

/** Releases a batch's tensors. */
export function disposeBatch(b: Batch): void {
  tf.dispose([b.x, b.r, b.mask, b.valid]);
}

/** Vhat: [T, B] and hidden states [T, B, H]. */
export function value(p: LstmParams, x: tf.Tensor3D): { v: tf.Tensor2D; h: tf.Tensor3D } {
  const h = lstmForward(p, x);
  return { v: tf.tidy(() => tf.sum(tf.relu(h), 2) as tf.Tensor2D), h };
}

/** The original's TD loss of one batch (a scalar tensor), as the batch's `loss` version computes it. */
export function tdLoss(p: LstmParams, batch: Batch, gamma: number): tf.Scalar {
  return tf.tidy(() => {
    const { v } = value(p, batch.x);
    const T = v.shape[0];
    const vHat = tf.slice(v, [0, 0], [T - 1, -1]);
    if (batch.loss === "e386495") {
      // Target r(t) + gamma V(t+1), the padding's V being 0; each trial's mean over its rows, then the batch mean.
      const next = tf.slice(tf.mul(v, batch.valid), [1, 0], [T - 1, -1]);
      const target = tf.add(tf.slice(batch.r, [0, 0], [T - 1, -1]), tf.mul(gamma, stopGradient(next)));
      return tf.sum(tf.mul(tf.square(tf.sub(vHat, target)), batch.mask)) as tf.Scalar;
    }
    const target = tf.add(
      tf.slice(batch.r, [1, 0], [T - 1, -1]),
      tf.mul(gamma, stopGradient(tf.slice(v, [1, 0], [T - 1, -1]))),
    );
    return tf.div(tf.sum(tf.mul(tf.square(tf.sub(vHat, target)), batch.mask)), batch.lengthSum) as tf.Scalar;
  });
}

/** Loss and gradients (by parameter name) of one batch. */
export function tdLossAndGrads(p: LstmParams, batch: Batch, gamma: number): { loss: tf.Scalar; grads: Params } {
  const { value: loss, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
    tdLoss(zipParams(LSTM_PARAMS, ps) as LstmParams, batch, gamma)
  )(LSTM_PARAMS.map((n) => p[n]));
  return { loss: loss as tf.Scalar, grads: zipParams(LSTM_PARAMS, grads) };
}

/**
 * The value the loss version teaches, for rows 0 .. length - 2: a966010
 * sum_k gamma^k r(t+1+k) (1 at the row before the reward); e386495
 * sum_k gamma^k r(t+k) (1 at the reward row).
 */
export function targetValue(trial: Trial, gamma: number, loss: TdLoss): Float64Array {
  const v = trueValue(trial.rewards, gamma);
  if (loss === "e386495") { for (let t = 0; t < v.length; t++) v[t] = trial.rewards[t] + gamma * v[t]; }
  return v;
}

/** Vhat, hidden states and RPE (the loss version's TD error) of one trial. */
export async function probe(p: LstmParams, trial: Trial, inputs: number, gamma: number, loss: TdLoss) {
  const b = makeBatch([trial], inputs, 0, loss);
  const { v, h } = value(p, b.x);
  const vs = await v.data(), hs = await h.data();
  const H = h.shape[2];
  tf.dispose([v, h]);
  disposeBatch(b);
  const shift = loss === "e386495" ? 0 : 1;
  const rpe = Array.from({ length: trial.length - 1 }, (_, t) => trial.rewards[t + shift] + gamma * vs[t + 1] - vs[t]);
  return {
    v: Array.from(vs),
    z: Array.from({ length: trial.length }, (_, t) => [hs[t * H], H > 1 ? hs[t * H + 1] : 0]),
    rpe,
  };
}

/** Where training stands (stored in checkpoints). */
export interface TrainState {
  epoch: number;
  previous: number;
  best: number;
  bestEpoch: number;
  increases: number;
  stopped: boolean;
}

/**
 * The original's early-stopping rule after one more epoch with loss `loss`:
 * a new best is remembered; a loss above the previous epoch's counts as an
 * increase, and training stops at an increase when more than `patience`
 * increases came just before it (the 6th in a row for patience 4).
 */
export function earlyStopping(s: TrainState, loss: number, patience: number): TrainState & { improved: boolean } {
  const next = { ...s, epoch: s.epoch + 1, previous: loss, improved: loss < s.best };
  if (next.improved) {
    next.best = loss;
    next.bestEpoch = next.epoch;
  }
  if (loss > s.previous) {
    if (s.increases > patience) next.stopped = true;
    else next.increases = s.increases + 1;
  } else next.increases = 0;
  return next;
}
