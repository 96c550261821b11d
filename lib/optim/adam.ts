/**
 * Adam and SGD as gradient transformations (see transform.ts): `adam` is
 * `chain(scaleByAdam(...), scaleByLearningRate(lr))`, `sgd` is
 * `scaleByLearningRate(lr)`. Each parameter has its own moments, as the HNCA
 * code gives every weight and bias its own optimizer.
 *
 * scaleByAdam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; t = t + 1;
 * u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 * scaleByLearningRate: u = u * (-lr), lr a number or a schedule of the step
 * count before this step (optax.scale_by_schedule).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adam } from "./adam.ts";
 * import { applyUpdates } from "./transform.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const opt = adam({ lr: 1e-4 });
 * const params = { w: tf.zeros([2]) };
 * const { updates } = opt.update({ w: tf.ones([2]) }, opt.init(params), params);
 * assertEquals(Array.from(applyUpdates(params, updates).w.dataSync()), [Math.fround(-1e-4), Math.fround(-1e-4)]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { chain, checkShapes, type GradientTransformation, type Params } from "./transform.ts";

/** A learning rate, or a schedule: the rate for a step given the number of steps before it. */
export type LearningRate = number | ((count: number) => number);

/** Adam's moment hyperparameters (defaults as the HNCA code and optax). */
export interface ScaleByAdamConfig {
  b1?: number;
  b2?: number;
  eps?: number;
  /**
   * Reference quirk of the HNCA nonlinear-bandit code: the step count is
   * never incremented, so bias correction stays at t = 1.
   */
  frozenCount?: boolean;
}

/** Adam's rescaling of the updates by bias-corrected first and second moments (optax.scale_by_adam). */
export function scaleByAdam(cfg: ScaleByAdamConfig = {}): GradientTransformation {
  const b1 = cfg.b1 ?? 0.9, b2 = cfg.b2 ?? 0.999, eps = cfg.eps ?? 1e-8;
  const zeros = (params: Params) => Object.fromEntries(Object.entries(params).map(([n, p]) => [n, tf.zerosLike(p)]));
  return {
    init: (params) => ({ count: 0, slots: { mu: zeros(params), nu: zeros(params) } }),
    update(updates, state) {
      const t = cfg.frozenCount ? 1 : state.count + 1;
      const c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t);
      const out: Params = {}, mu: Params = {}, nu: Params = {};
      for (const [name, g] of Object.entries(updates)) {
        const m0 = state.slots.mu?.[name], v0 = state.slots.nu?.[name];
        if (!m0 || !v0) throw new Error(`scaleByAdam(): no moments for parameter '${name}'`);
        if (g.shape.join() !== m0.shape.join()) {
          throw new Error(`scaleByAdam(): update '${name}' is [${g.shape}] but its moments are [${m0.shape}]`);
        }
        const [u, m, v] = tf.tidy(() => {
          const m = tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1));
          const v = tf.add(tf.mul(v0, b2), tf.mul(tf.square(g), 1 - b2));
          return [tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps)), m, v];
        });
        out[name] = u;
        mu[name] = m;
        nu[name] = v;
      }
      return { updates: out, state: { count: cfg.frozenCount ? state.count : state.count + 1, slots: { mu, nu } } };
    },
  };
}

/** Multiplies the updates by -lr (lr a number or a schedule of the step count), turning them into descent steps. */
export function scaleByLearningRate(lr: LearningRate): GradientTransformation {
  return {
    init: () => ({ count: 0, slots: {} }),
    update(updates, state, params) {
      if (params) checkShapes(updates, params, "scaleByLearningRate()");
      const rate = typeof lr === "number" ? lr : lr(state.count);
      const out: Params = {};
      for (const [name, u] of Object.entries(updates)) out[name] = tf.tidy(() => tf.mul(u, -rate));
      return { updates: out, state: { count: state.count + 1, slots: {} } };
    },
  };
}

/** Adam hyperparameters. */
export interface AdamConfig extends ScaleByAdamConfig {
  lr: LearningRate;
}

/** Adam with bias correction: chain(scaleByAdam, scaleByLearningRate). */
export function adam(cfg: AdamConfig): GradientTransformation {
  return chain(scaleByAdam(cfg), scaleByLearningRate(cfg.lr));
}

/** Plain SGD: u = -lr g. */
export function sgd(cfg: { lr: LearningRate }): GradientTransformation {
  return scaleByLearningRate(cfg.lr);
}
