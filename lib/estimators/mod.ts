/**
 * Gradient estimators by the name pipelines use (`estimator: hnca`).
 *
 * @example
 * ```ts
 * import { BANDIT_ESTIMATORS } from "./mod.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const estimate = BANDIT_ESTIMATORS["hnca"];
 * assertEquals(typeof estimate, "function");
 * ```
 * @module
 */
import { hnca } from "./hnca.ts";
import { reinforce } from "./reinforce.ts";
import type { BanditEstimator } from "./types.ts";

export { creditFactor, hnca, hncaLogitSignal } from "./hnca.ts";
export { reinforce, softmaxSignal } from "./reinforce.ts";
export { bernoulliChildDelta, chooseCounterfactualPath, softmaxChildDelta } from "./counterfactual.ts";
export { type LayerGrads, outerProductGrads } from "./grads.ts";
export type { BanditEstimator, CounterfactualPath, EstimatorInput, LogitSignals } from "./types.ts";

/** Estimators for Bernoulli networks with a softmax policy. */
export const BANDIT_ESTIMATORS: Record<"hnca" | "reinforce", BanditEstimator> = { hnca, reinforce };
