/**
 * Optimizers as composable gradient transformations (optax style): `adam`,
 * `sgd`, `clipByGlobalNorm`, `chain`, `applyUpdates`, and the helpers that
 * save and restore their state in checkpoints.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adam, applyUpdates, chain, clipByGlobalNorm } from "./mod.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const opt = chain(adam({ lr: (step) => 3e-4 * (1 - step / 100) }), clipByGlobalNorm(50));
 * const params = { w: tf.ones([3]) };
 * const { updates } = opt.update({ w: tf.ones([3]) }, opt.init(params), params);
 * assertEquals(applyUpdates(params, updates).w.shape, [3]);
 * ```
 * @module
 */
export { adam, type AdamConfig, type LearningRate, scaleByAdam, scaleByLearningRate, sgd } from "./adam.ts";
export { adamApply } from "./adam_apply.ts";
export { clipByGlobalNorm, globalNorm } from "./clip.ts";
export {
  applyUpdates,
  chain,
  cloneParams,
  disposeParams,
  disposeState,
  type GradientTransformation,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
  zipParams,
} from "./transform.ts";
