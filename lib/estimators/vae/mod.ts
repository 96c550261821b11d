/**
 * Estimators for the encoder of the hierarchical binary VAE, by the name
 * pipelines use (`estimator: hnca`).
 *
 * @example
 * ```ts
 * import { VAE_ESTIMATORS } from "./mod.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const estimate = VAE_ESTIMATORS["disarm"];
 * assertEquals(typeof estimate, "function");
 * ```
 * @module
 */
import { vaeDisarm } from "./disarm.ts";
import { vaeHnca } from "./hnca.ts";
import { vaeReinforce } from "./reinforce.ts";
import { vaeReinforceLoo } from "./reinforce_loo.ts";
import type { VaeEstimator } from "./types.ts";

export { rhoPair, vaeHnca } from "./hnca.ts";
export { scoreSignal, vaeReinforce } from "./reinforce.ts";
export { vaeDisarm } from "./disarm.ts";
export { vaeReinforceLoo } from "./reinforce_loo.ts";
export { resampledReward } from "./resample.ts";
export { hncaReward, mean, reinforceReward } from "./rewards.ts";
export { entropyLogitSignal } from "./entropy_signal.ts";
export { childActualTerms, childFlipTerms, type FlipTerms, onOffValues } from "./flip_terms.ts";
export type { HncaVaeFlags, VaeEstimator, VaeEstimatorInput, VaeLayerSignal } from "./types.ts";

/** Estimator names in pipelines. */
export const VAE_ESTIMATOR_NAMES = ["hnca", "reinforce", "disarm", "reinforce_loo"] as const;

/** Estimators by name. */
export const VAE_ESTIMATORS: Record<typeof VAE_ESTIMATOR_NAMES[number], VaeEstimator> = {
  hnca: vaeHnca,
  reinforce: vaeReinforce,
  disarm: vaeDisarm,
  reinforce_loo: vaeReinforceLoo,
};
