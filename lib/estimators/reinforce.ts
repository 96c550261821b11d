/**
 * REINFORCE for every layer: each unit's logit signal is minus the advantage
 * times the score of its own sample.
 *
 * Output (softmax): g = -(R - b) (onehot(a) - p).
 * Hidden (Bernoulli): g = -(R - b) (2o - 1) / P(o) * fr (1 - fr), which equals
 * -(R - b) (o - fr) with the clipped fire rate fr.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { drawUniforms, initBernoulliNet, sampleNet } from "../models/bernoulli_net.ts";
 * const rng = Rng.fromSeed(0);
 * const net = initBernoulliNet(rng.stream("init"), { input: 4, hidden: [3, 2], output: 2, centered: true });
 * const trace = sampleNet(net, tf.tensor2d([[1, -1, 1, 1]]), drawUniforms(net, 1, rng.stream("u")));
 * const advantage = tf.tensor1d([1]);
 * import { reinforce } from "./reinforce.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const signals = await reinforce({ net, trace, advantage, path: "tfjs" });
 * assertEquals(signals.output.shape, [1, 2]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BanditEstimator, LogitSignals } from "./types.ts";

/** Softmax output signal shared by every estimator: -(R - b)(onehot - p). advantage: [B]. */
export function softmaxSignal(onehot: tf.Tensor2D, probs: tf.Tensor2D, advantage: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sub(onehot, probs), tf.neg(tf.expandDims(advantage, 1))) as tf.Tensor2D);
}

/** REINFORCE logit signals for every layer. */
export const reinforce: BanditEstimator = ({ trace, advantage }) => {
  const B = advantage.shape[0];
  if (trace.output.probs.shape[0] !== B) {
    throw new Error(`reinforce(): advantage is [${B}] but the batch is ${trace.output.probs.shape[0]}`);
  }
  const signals: LogitSignals = {
    hidden: trace.hidden.map((l) =>
      tf.tidy(() => tf.mul(tf.sub(l.sample, l.fireRate), tf.neg(tf.expandDims(advantage, 1))) as tf.Tensor2D)
    ),
    output: softmaxSignal(trace.output.onehot, trace.output.probs, advantage),
  };
  return Promise.resolve(signals);
};
