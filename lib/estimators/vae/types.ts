/**
 * The signature every estimator of the generative model shares, so that
 * swapping estimators is one YAML key.
 *
 * An estimator is called once per encoder layer, from the top layer down (the
 * original's order). It returns the layer's per-example *logit signal*
 * g[b, k]: the estimate of the gradient of minus the ELBO with respect to unit
 * k's logit on example b. The weight gradient is then g[b, k] * input[b, j]
 * (see ../grads.ts). It also returns the batch mean of the reward it would
 * baseline, which the caller folds into the layer's running baseline.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import type { VaeEstimator } from "./types.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const zero: VaeEstimator = ({ layer, trace }) =>
 *   Promise.resolve({ signal: tf.zerosLike(trace.encoder[layer].fireRate), rewardMean: 0 });
 * assertEquals(typeof zero, "function");
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { BinaryVae, VaeTerms, VaeTrace } from "../../models/binary_vae.ts";
import type { UniformSource } from "../../rng/fast_stream.ts";
import type { CounterfactualPath } from "../types.ts";

/** HNCA's ablation flags (the original's config keys). */
export interface HncaVaeFlags {
  /** Weight the child-dependent terms by rho as well (`all_child`). */
  allChild: boolean;
  /** Add the terms below the layer, which do not depend on it, to its reward (`full_reward`). */
  fullReward: boolean;
}

/** What an estimator sees for one encoder layer. */
export interface VaeEstimatorInput {
  /** The encoder layer k (0-based: q(z_{k+1} | z_k)). */
  layer: number;
  /** The parameters of the forward pass. */
  vae: BinaryVae;
  trace: VaeTrace;
  /** The pass's per-example ELBO terms. */
  terms: VaeTerms;
  /** The layer's running reward baseline (0 without one). */
  baseline: number;
  flags: HncaVaeFlags;
  /** Draws for estimators that sample again (disARM, REINFORCE-LOO). */
  rng: UniformSource;
  /**
   * Parameters for resampling the layers above this one: the forward pass's,
   * or, with the original's quirk, those already updated this step.
   */
  upper: BinaryVae;
  path: CounterfactualPath;
}

/** One layer's estimate. */
export interface VaeLayerSignal {
  /** signal: [B, K] */
  signal: tf.Tensor2D;
  /** Batch mean of the reward the baseline tracks (the original's EMA target). */
  rewardMean: number;
}

/** A gradient estimator for the encoder of the binary VAE. */
export type VaeEstimator = (input: VaeEstimatorInput) => Promise<VaeLayerSignal>;
