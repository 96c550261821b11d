/**
 * A set of parameters with its own optimizer (each circuit of the official
 * ANGC code has its own Adam): apply a descent direction, copy, save and
 * restore.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adam } from "../optim/mod.ts";
 * import { Trainable } from "./trainable.ts";
 * const t = new Trainable({ w: tf.zeros([2]) }, adam({ lr: 0.1 }));
 * t.step({ w: tf.tensor1d([1, -1]) }); // w = [-0.1, 0.1]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  applyUpdates,
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
} from "../optim/mod.ts";
import type { NamedTensor } from "../util/safetensors.ts";

/** Parameters and their optimizer state. */
export class Trainable<P extends Params = Params> {
  params: P;
  private state: OptState;
  constructor(params: P, private readonly opt: GradientTransformation) {
    this.params = params;
    this.state = opt.init(params);
  }

  /** Takes one optimizer step along `direction` (a gradient or an NGC adjustment), which it disposes. */
  step(direction: Params): void {
    const { updates, state } = this.opt.update(direction, this.state, this.params);
    const next = applyUpdates(this.params, updates);
    disposeParams(direction);
    disposeParams(updates);
    disposeParams(this.params);
    disposeState(this.state);
    this.params = next;
    this.state = state;
  }

  /** A copy of the parameters (for a target network). */
  copy(): P {
    return cloneParams(this.params);
  }

  async save(prefix: string): Promise<{ tensors: Record<string, NamedTensor>; skeleton: unknown }> {
    const saved = await saveState(this.state, `${prefix}.opt`);
    return {
      tensors: { ...(await paramsToNamed(this.params, `${prefix}.`)), ...saved.tensors },
      skeleton: saved.skeleton,
    };
  }

  restore(tensors: Record<string, NamedTensor>, skeleton: unknown, prefix: string): void {
    disposeParams(this.params);
    disposeState(this.state);
    this.params = namedToParams(tensors, Object.keys(this.params), `${prefix}.`) as P;
    this.state = restoreState(skeleton, tensors, `${prefix}.opt`);
  }

  dispose(): void {
    disposeParams(this.params);
    disposeState(this.state);
  }
}

/** Saves plain parameters (a target network) under a prefix. */
export function saveParams(params: Params, prefix: string): Promise<Record<string, NamedTensor>> {
  return paramsToNamed(params, `${prefix}.`);
}

/** The values of a [1, n] output as numbers. */
export function row(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}
