/**
 * The meta-RL model step: episodes played by the LSTM actor-critic
 * (rollouts over plain arrays), the replication's actor-critic loss and its
 * gradients, and the learning-rate schedule.
 *
 * @example
 * ```ts
 * import { polynomialSchedule } from "./rollout.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(polynomialSchedule(1, 0, 1, 10, 5), 0.5);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { observation, pull, regret } from "../../envs/two_armed_bandit.ts";
import {
  ACTOR_CRITIC_PARAMS,
  type ActorCriticParams,
  type LstmArrays,
  lstmSequenceWith,
  lstmStepArrays,
  type LstmTrace,
} from "../../models/haiku_lstm.ts";
import { stopGradient } from "../../models/stop_gradient.ts";
import { type Params, zipParams } from "../../optim/mod.ts";
import type { Rng } from "../../rng/mod.ts";
import { MetaRlConfig } from "./config.ts";

/** optax.polynomial_schedule: (start - end) (1 - min(count, steps) / steps)^power + end. */
export function polynomialSchedule(start: number, end: number, power: number, steps: number, count: number): number {
  const frac = 1 - Math.min(count, steps) / steps;
  return (start - end) * Math.pow(frac, power) + end;
}

/** Samples a from softmax(logits) by inverse CDF with one uniform. logits: [A]. */
export function sampleAction(logits: ArrayLike<number>, u: number): number {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - m);
  let c = 0;
  for (let i = 0; i < logits.length - 1; i++) {
    c += Math.exp(logits[i] - m) / z;
    if (u < c) return i;
  }
  return logits.length - 1;
}

/** What a batch of episodes recorded. */
export interface Rollout {
  /** inputs [T, B, I]: one-hot previous action, previous reward (and t / T with trial_input) */
  x: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  /** regret of each choice, [T, B] */
  regrets: Float32Array;
  /** 1 where the better arm was chosen, [T, B] */
  optimal: Float32Array;
  /** The LSTM's forward pass, when recorded: the gradient then does not recompute it. */
  trace?: LstmTrace;
}

/** Parameters as plain arrays, for rollouts. */
export interface PolicyArrays {
  lstm: LstmArrays;
  policyW: Float32Array;
  policyB: Float32Array;
}

export function toArrays(p: ActorCriticParams): PolicyArrays {
  const w = p["lstm.w"] as tf.Tensor2D;
  return {
    lstm: {
      w: w.dataSync() as Float32Array,
      b: p["lstm.b"].dataSync() as Float32Array,
      inputs: w.shape[0] - w.shape[1] / 4,
      units: w.shape[1] / 4,
    },
    policyW: p["policy.w"].dataSync() as Float32Array,
    policyB: p["policy.b"].dataSync() as Float32Array,
  };
}

/** Network inputs: 3, or 4 with the trial number. */
export function inputSize(c: MetaRlConfig): number {
  return c.trial_input ? 4 : 3;
}

/**
 * Writes the input of trial t (0-based) of T after `prev` at x[0 .. I):
 * [one-hot previous action, previous reward], then t / T when I is 4.
 */
export function writeInput(
  x: Float32Array,
  prev: { arm: number; reward: number } | null,
  t: number,
  T: number,
  I: number,
) {
  x.set(observation(prev));
  if (I === 4) x[3] = t / T;
}

/** The policy's logits [2] from h (one example's [H]). */
export function policyLogits(p: PolicyArrays, h: Float32Array, at: number, logits: number[]): void {
  const H = p.lstm.units;
  for (let a = 0; a < 2; a++) {
    let z = p.policyB[a];
    for (let u = 0; u < H; u++) z += h[at + u] * p.policyW[u * 2 + a];
    logits[a] = z;
  }
}

/**
 * Runs B episodes with arm probabilities `probs`, sampling from the policy
 * (plain arrays, no tfjs). `record`: keep the LSTM's trace for the gradient.
 */
export function rollout(
  p: PolicyArrays,
  probs: [number, number][],
  T: number,
  actionRng: Rng,
  rewardRng: Rng,
  record = false,
): Rollout {
  const B = probs.length, H = p.lstm.units, I = p.lstm.inputs;
  const out: Rollout = {
    x: new Float32Array(T * B * I),
    actions: new Int32Array(T * B),
    rewards: new Float32Array(T * B),
    regrets: new Float32Array(T * B),
    optimal: new Float32Array(T * B),
  };
  const h = new Float32Array(B * H), c = new Float32Array(B * H);
  const trace: LstmTrace | undefined = record
    ? { hs: new Float32Array(T * B * H), cs: new Float32Array(T * B * H), gates: new Float32Array(T * B * 4 * H) }
    : undefined;
  if (trace) out.trace = trace;
  const prev: ({ arm: number; reward: number } | null)[] = new Array(B).fill(null);
  const logits = [0, 0];
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) writeInput(out.x.subarray((t * B + b) * I, (t * B + b + 1) * I), prev[b], t, T, I);
    lstmStepArrays(
      p.lstm,
      out.x.subarray(t * B * I, (t + 1) * B * I),
      h,
      c,
      B,
      trace?.gates.subarray(t * B * 4 * H, (t + 1) * B * 4 * H),
    );
    if (trace) {
      trace.hs.set(h, t * B * H);
      trace.cs.set(c, t * B * H);
    }
    for (let b = 0; b < B; b++) {
      policyLogits(p, h, b * H, logits);
      const a = sampleAction(logits, actionRng.uniform());
      const r = pull(probs[b], a, rewardRng);
      out.actions[t * B + b] = a;
      out.rewards[t * B + b] = r;
      out.regrets[t * B + b] = regret(probs[b], a);
      out.optimal[t * B + b] = probs[b][a] >= Math.max(...probs[b]) ? 1 : 0;
      prev[b] = { arm: a, reward: r };
    }
  }
  return out;
}

/** The replication's actor-critic loss, mean over the batch's episodes. */
export function actorCriticLoss(
  p: ActorCriticParams,
  r: Rollout,
  T: number,
  B: number,
  c: MetaRlConfig,
  entropyCoef: number,
): tf.Scalar {
  return tf.tidy(() => {
    // [T, B, H]; the rollout's own forward pass when it recorded one (the same numbers, not recomputed).
    const h = lstmSequenceWith(r.trace ?? null)(tf.tensor3d(r.x, [T, B, inputSize(c)]), p["lstm.w"], p["lstm.b"]);
    const flat = tf.reshape(h, [T * B, -1]) as tf.Tensor2D;
    const lg = tf.reshape(tf.add(tf.matMul(flat, p["policy.w"] as tf.Tensor2D), p["policy.b"]), [
      T,
      B,
      -1,
    ]) as tf.Tensor3D;
    const v = tf.reshape(tf.add(tf.matMul(flat, p["value.w"] as tf.Tensor2D), p["value.b"]), [T, B]) as tf.Tensor2D;
    const rewards = tf.tensor2d(r.rewards, [T, B]);
    // V_{t+1} with d = 0 at the last trial: the next values, then a row of zeros.
    const next = tf.concat([tf.slice(v, [1, 0], [T - 1, B]), tf.zeros([1, B])], 0);
    const delta = tf.sub(tf.add(rewards, tf.mul(c.gamma, stopGradient(next))), v);
    const critic = tf.mean(tf.square(delta));
    const logp = tf.logSoftmax(lg);
    const taken = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(r.actions, [T, B], "int32"), lg.shape[2])), 2);
    const actor = tf.neg(tf.mean(tf.mul(taken, stopGradient(delta))));
    let loss = tf.add(actor, tf.mul(c.value_coef, critic));
    if (entropyCoef !== 0) {
      // sum over trials and actions of pi log pi, mean over episodes
      const negEntropy = tf.div(tf.sum(tf.mul(tf.exp(logp), logp)), B);
      loss = tf.add(loss, tf.mul(entropyCoef, negEntropy));
    }
    return loss as tf.Scalar;
  });
}

/** The loss and its gradients (by parameter name) for parameters p. */
export function lossAndGrads(
  p: ActorCriticParams,
  r: Rollout,
  T: number,
  B: number,
  c: MetaRlConfig,
  entropyCoef: number,
): { value: tf.Scalar; grads: Params } {
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
    actorCriticLoss(zipParams(ACTOR_CRITIC_PARAMS, ps) as ActorCriticParams, r, T, B, c, entropyCoef)
  )(ACTOR_CRITIC_PARAMS.map((n) => p[n]));
  return { value: value as tf.Scalar, grads: zipParams(ACTOR_CRITIC_PARAMS, grads) };
}
