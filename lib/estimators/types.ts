/**
 * The signature every bandit estimator shares, so that swapping estimators is
 * one YAML key.
 *
 * An estimator returns, for every layer, a per-example *logit signal*
 * g[b, k]: the estimate of the gradient of the loss (minus the reward) with
 * respect to unit k's logit on example b. The per-example gradient for the
 * layer's weights is then g[b, k] * input[b, j] and for its biases g[b, k]
 * (see grads.ts), which is how the original code forms every update.
 *
 * @example
 * ```ts
 * import type { BanditEstimator } from "./types.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const zero: BanditEstimator = async ({ trace }) => ({
 *   hidden: trace.hidden.map((l) => l.fireRate.mul(0)),
 *   output: trace.output.probs.mul(0),
 * });
 * assertEquals(typeof zero, "function");
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BernoulliNet, NetTrace } from "../models/bernoulli_net.ts";

/** Where the (batch, child, parent) counterfactual term is computed. */
export type CounterfactualPath = "tfjs" | "wasm";

/** What an estimator sees. */
export interface EstimatorInput {
  /** The parameters the forward pass used. */
  net: BernoulliNet;
  trace: NetTrace;
  /** advantage: [B], reward minus baseline. */
  advantage: tf.Tensor1D;
  /** How to compute counterfactual terms (estimators that need none ignore it). */
  path: CounterfactualPath;
}

/** Per-example logit signals: hidden[l] is [B, K_l], output is [B, A]. */
export interface LogitSignals {
  hidden: tf.Tensor2D[];
  output: tf.Tensor2D;
}

/** A gradient estimator for a network of Bernoulli layers with a softmax policy. */
export type BanditEstimator = (input: EstimatorInput) => Promise<LogitSignals>;
