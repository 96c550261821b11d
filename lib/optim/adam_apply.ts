/**
 * One Adam step applied to the parameters: what `adam(cfg).update` followed by
 * `applyUpdates` computes, in one fused pass per parameter on the wasm backend
 * (`lib/kernels/tfjs_ops.ts`, the same float32 operations in the same order,
 * so the results are bit-identical) and by those two calls elsewhere.
 *
 * The state is `adam(cfg)`'s (a chain of scaleByAdam and scaleByLearningRate),
 * so checkpoints, `saveState` and `restoreState` are unchanged.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adam } from "./adam.ts";
 * import { adamApply } from "./adam_apply.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const cfg = { lr: 1e-3 };
 * const params = { w: tf.zeros([2]) };
 * const state = adam(cfg).init(params);
 * const next = adamApply(cfg, { w: tf.ones([2]) }, state, params);
 * assertEquals(Array.from(next.params.w.dataSync()), [Math.fround(-1e-3), Math.fround(-1e-3)]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { tfjsOps } from "../kernels/tfjs_ops.ts";
import { adam, type AdamConfig } from "./adam.ts";
import { applyUpdates, checkShapes, disposeParams, type OptState, type Params } from "./transform.ts";

/**
 * New parameters and state after one Adam step on `grads` (every gradient names a parameter;
 * parameters without a gradient are cloned, as `applyUpdates` does). Nothing passed in is disposed.
 */
export function adamApply(
  cfg: AdamConfig,
  grads: Params,
  state: OptState,
  params: Params,
): { params: Params; state: OptState } {
  const ops = tfjsOps();
  if (!ops) {
    const { updates, state: next } = adam(cfg).update(grads, state, params);
    const out = applyUpdates(params, updates);
    disposeParams(updates);
    return { params: out, state: next };
  }
  checkShapes(grads, params, "adamApply()");
  const [moments, scale] = state.parts ?? [];
  if (!moments || !scale || state.parts!.length !== 2) {
    throw new Error("adamApply(): the state is not adam()'s (a chain of scaleByAdam and scaleByLearningRate)");
  }
  const count = cfg.frozenCount ? 1 : moments.count + 1;
  const lr = typeof cfg.lr === "number" ? cfg.lr : cfg.lr(scale.count);
  const hyper = { b1: cfg.b1 ?? 0.9, b2: cfg.b2 ?? 0.999, eps: cfg.eps ?? 1e-8, count, lr };
  const out: Params = {}, mu: Params = {}, nu: Params = {};
  for (const [name, p] of Object.entries(params)) {
    const g = grads[name];
    if (!g) {
      out[name] = tf.clone(p);
      continue;
    }
    const m = moments.slots.mu?.[name], v = moments.slots.nu?.[name];
    if (!m || !v) throw new Error(`adamApply(): no moments for parameter '${name}'`);
    const r = ops.adamUpdate({ p, g, m, v }, hyper);
    out[name] = r.p;
    mu[name] = r.m;
    nu[name] = r.v;
  }
  const next: OptState = {
    count: state.count + 1,
    slots: {},
    parts: [
      { count: cfg.frozenCount ? moments.count : moments.count + 1, slots: { mu, nu } },
      { count: scale.count + 1, slots: {} },
    ],
  };
  return { params: out, state: next };
}
