/**
 * Optimizers as `{init, update}` with their state passed in and out (optax
 * style), on tfjs tensors. Each parameter tensor has its own moments, as the
 * HNCA code gives every weight and bias its own optimizer.
 *
 * Adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; t = t + 1;
 * x = x - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adam } from "./adam.ts";
 * const opt = adam({ lr: 1e-4 });
 * let params = [tf.zeros([2])];
 * let state = opt.init(params);
 * const next = opt.update([tf.ones([2])], state, params);
 * params = next.params; // [-1e-4, -1e-4]
 * state = next.state;
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Optimizer state: a step count and per-parameter slots. */
export interface OptState {
  count: number;
  slots: tf.Tensor[][];
}

/** An optimizer: pure functions of (grads, state, params). Callers dispose what they replace. */
export interface Optimizer {
  init(params: tf.Tensor[]): OptState;
  update(grads: tf.Tensor[], state: OptState, params: tf.Tensor[]): { params: tf.Tensor[]; state: OptState };
}

/** Adam hyperparameters (defaults as the HNCA code). */
export interface AdamConfig {
  lr: number;
  b1?: number;
  b2?: number;
  eps?: number;
  /**
   * Reference quirk of the nonlinear-bandit code: the step count is never
   * incremented, so bias correction stays at t = 1.
   */
  frozenCount?: boolean;
}

function checkShapes(grads: tf.Tensor[], params: tf.Tensor[]): void {
  if (grads.length !== params.length) {
    throw new Error(`Optimizer: ${grads.length} gradients for ${params.length} parameters`);
  }
  grads.forEach((g, i) => {
    if (g.shape.join() !== params[i].shape.join()) {
      throw new Error(`Optimizer: gradient ${i} is [${g.shape}] but its parameter is [${params[i].shape}]`);
    }
  });
}

/** Adam with bias correction. */
export function adam(cfg: AdamConfig): Optimizer {
  const b1 = cfg.b1 ?? 0.9, b2 = cfg.b2 ?? 0.999, eps = cfg.eps ?? 1e-8;
  return {
    init: (params) => ({ count: 0, slots: params.map((p) => [tf.zerosLike(p), tf.zerosLike(p)]) }),
    update(grads, state, params) {
      checkShapes(grads, params);
      const t = cfg.frozenCount ? 1 : state.count + 1;
      const c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t);
      const out = params.map((p, i) =>
        tf.tidy(() => {
          const [m0, v0] = state.slots[i];
          const g = grads[i];
          const m = tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1));
          const v = tf.add(tf.mul(v0, b2), tf.mul(tf.square(g), 1 - b2));
          const step = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), eps));
          return [tf.sub(p, tf.mul(step, cfg.lr)), m, v];
        })
      );
      return {
        params: out.map((o) => o[0]),
        state: { count: cfg.frozenCount ? state.count : state.count + 1, slots: out.map((o) => [o[1], o[2]]) },
      };
    },
  };
}

/** Plain SGD: x = x - lr g (no slots). */
export function sgd(cfg: { lr: number }): Optimizer {
  return {
    init: () => ({ count: 0, slots: [] }),
    update(grads, state, params) {
      checkShapes(grads, params);
      return {
        params: params.map((p, i) => tf.tidy(() => tf.sub(p, tf.mul(grads[i], cfg.lr)))),
        state: { count: state.count + 1, slots: [] },
      };
    },
  };
}

/** Releases an optimizer state's tensors. */
export function disposeOptState(state: OptState): void {
  for (const s of state.slots) tf.dispose(s);
}
