/**
 * Gradient transformations, as optax has them: an optimizer is a
 * transformation `{init, update}` of named updates (gradients in, parameter
 * changes out), transformations compose with `chain`, and `applyUpdates`
 * adds the result to the parameters. Everything works on records of named
 * tfjs tensors (`Params`: name -> tensor), so an experiment's parameters
 * never have to be turned into arrays and back.
 *
 * Ownership: `update` returns fresh tensors (updates and state) and never
 * disposes its inputs; `applyUpdates` returns fresh parameters. The caller
 * disposes what it replaces (`disposeParams`, `disposeState`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adam } from "./adam.ts";
 * import { clipByGlobalNorm } from "./clip.ts";
 * import { applyUpdates, chain } from "./transform.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const opt = chain(adam({ lr: 1e-3 }), clipByGlobalNorm(50));
 * const params = { w: tf.zeros([2]) };
 * const state = opt.init(params);
 * const { updates, state: next } = opt.update({ w: tf.ones([2]) }, state, params);
 * const after = applyUpdates(params, updates);
 * assertEquals(Array.from(after.w.dataSync()), [Math.fround(-1e-3), Math.fround(-1e-3)]);
 * assertEquals(Object.keys(next), Object.keys(state));
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedTensor } from "../util/safetensors.ts";

/** Named tensors: parameters, gradients or updates (name -> tensor). */
export type Params = Record<string, tf.Tensor>;

/**
 * A transformation's state: a step count, per-parameter slots (slot name ->
 * parameter name -> tensor, for example Adam's `mu` and `nu`), and, for a
 * chain, the states of its parts.
 */
export interface OptState {
  count: number;
  slots: Record<string, Params>;
  parts?: OptState[];
}

/**
 * A gradient transformation. `update` transforms the updates it is given,
 * keyed by parameter name; the returned state holds the slots of exactly
 * those parameters (so a transformation can be previewed on a subset).
 */
export interface GradientTransformation {
  init(params: Params): OptState;
  update(updates: Params, state: OptState, params?: Params): { updates: Params; state: OptState };
}

/** Checks that `updates` and `params` name the same shapes; the error names the parameter. */
export function checkShapes(updates: Params, params: Params, who: string): void {
  for (const [name, u] of Object.entries(updates)) {
    const p = params[name];
    if (!p) throw new Error(`${who}: update '${name}' has no parameter of that name`);
    if (u.shape.join() !== p.shape.join()) {
      throw new Error(`${who}: update '${name}' is [${u.shape}] but its parameter is [${p.shape}]`);
    }
  }
}

/** The transformations applied one after another (optax.chain); the state is the list of their states. */
export function chain(...transforms: GradientTransformation[]): GradientTransformation {
  return {
    init: (params) => ({ count: 0, slots: {}, parts: transforms.map((t) => t.init(params)) }),
    update(updates, state, params) {
      if (!state.parts || state.parts.length !== transforms.length) {
        throw new Error(
          `chain(): the state has ${state.parts?.length ?? 0} parts for ${transforms.length} transformations`,
        );
      }
      const parts: OptState[] = [];
      let u = updates;
      const made: Params[] = [];
      transforms.forEach((t, i) => {
        const r = t.update(u, state.parts![i], params);
        parts.push(r.state);
        u = r.updates;
        made.push(u);
      });
      // Intermediate updates are the chain's own; only the last one is returned.
      for (const m of made.slice(0, -1)) disposeParams(m);
      return { updates: u, state: { count: state.count + 1, slots: {}, parts } };
    },
  };
}

/** New parameters p + u for every parameter named in `updates` (the others are cloned). */
export function applyUpdates<P extends Params>(params: P, updates: Params): P {
  checkShapes(updates, params, "applyUpdates()");
  const out: Params = {};
  for (const [name, p] of Object.entries(params)) {
    out[name] = updates[name] ? tf.tidy(() => tf.add(p, updates[name])) : tf.clone(p);
  }
  return out as P;
}

/** Releases every tensor of a record. */
export function disposeParams(params: Params): void {
  tf.dispose(Object.values(params));
}

/** Releases every tensor of an optimizer state. */
export function disposeState(state: OptState): void {
  for (const slot of Object.values(state.slots)) disposeParams(slot);
  for (const p of state.parts ?? []) disposeState(p);
}

/** The state's layout without its tensors: counts, slot names and the parameters each slot holds. */
interface StateSkeleton {
  count: number;
  slots: Record<string, string[]>;
  parts?: StateSkeleton[];
}

/**
 * An optimizer state as named tensors (`<prefix>.<part>.<slot>.<param>`,
 * parts by position in the chain) and a JSON skeleton of counts and names;
 * `restoreState` inverts it.
 */
export async function saveState(
  state: OptState,
  prefix = "opt",
): Promise<{ tensors: Record<string, NamedTensor>; skeleton: unknown }> {
  const tensors: Record<string, NamedTensor> = {};
  const walk = async (s: OptState, at: string): Promise<StateSkeleton> => {
    const slots: Record<string, string[]> = {};
    for (const [slot, params] of Object.entries(s.slots)) {
      slots[slot] = Object.keys(params);
      Object.assign(tensors, await paramsToNamed(params, `${at}.${slot}.`));
    }
    const out: StateSkeleton = { count: s.count, slots };
    if (s.parts) {
      out.parts = [];
      for (let i = 0; i < s.parts.length; i++) out.parts.push(await walk(s.parts[i], `${at}.${i}`));
    }
    return out;
  };
  const skeleton = await walk(state, prefix);
  return { tensors, skeleton };
}

/** The state saved by `saveState`, as new tensors. */
export function restoreState(skeleton: unknown, saved: Record<string, NamedTensor>, prefix = "opt"): OptState {
  const walk = (s: StateSkeleton, at: string): OptState => {
    const slots: Record<string, Params> = {};
    for (const [slot, names] of Object.entries(s.slots)) slots[slot] = namedToParams(saved, names, `${at}.${slot}.`);
    const out: OptState = { count: s.count, slots };
    if (s.parts) out.parts = s.parts.map((p, i) => walk(p, `${at}.${i}`));
    return out;
  };
  return walk(skeleton as StateSkeleton, prefix);
}

/** Parameters as checkpoint tensors `<prefix><name>`. */
export async function paramsToNamed(params: Params, prefix = ""): Promise<Record<string, NamedTensor>> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(params)) {
    out[`${prefix}${name}`] = { shape: t.shape, data: (await t.data()) as Float32Array };
  }
  return out;
}

/** New tensors from checkpoint entries `<prefix><name>`, for each of `names`; the error names a missing one. */
export function namedToParams<N extends string>(
  saved: Record<string, NamedTensor>,
  names: readonly N[],
  prefix = "",
): Record<N, tf.Tensor> {
  const out = {} as Record<N, tf.Tensor>;
  for (const n of names) {
    const t = saved[`${prefix}${n}`];
    if (!t) throw new Error(`The checkpoint has no tensor '${prefix}${n}'`);
    out[n] = tf.tensor(t.data as Float32Array, t.shape);
  }
  return out;
}

/** Copies of every tensor of a record. */
export function cloneParams<P extends Params>(params: P): P {
  return Object.fromEntries(Object.entries(params).map(([n, t]) => [n, tf.clone(t)])) as P;
}

/** A record from parallel lists of names and tensors (the tensors are not copied). */
export function zipParams<N extends string>(names: readonly N[], tensors: readonly tf.Tensor[]): Record<N, tf.Tensor> {
  if (names.length !== tensors.length) throw new Error(`zipParams(): ${names.length} names, ${tensors.length} tensors`);
  return Object.fromEntries(names.map((n, i) => [n, tensors[i]])) as Record<N, tf.Tensor>;
}
