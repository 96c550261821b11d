/**
 * A set of parameters with its own Adam (each circuit of the official ANGC
 * code has its own): apply a descent direction, copy, save and restore. A
 * step is `adamApply` (one fused pass per parameter on wasm, the bits of
 * `adam(cfg).update` and `applyUpdates`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { Trainable } from "./trainable.ts";
 * const t = new Trainable({ w: tf.zeros([2]) }, { lr: 0.1 });
 * t.step({ w: tf.tensor1d([1, -1]) });
 * assertEquals(Array.from(t.params.w.dataSync()), [Math.fround(-0.1), Math.fround(0.1)]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  adam,
  adamApply,
  type AdamConfig,
  cloneParams,
  disposeParams,
  disposeState,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
} from "../optim/mod.ts";
import type { NamedTensor } from "../util/safetensors.ts";
import { type Fields, ReplayBuffer } from "../models/replay_buffer.ts";

/** Parameters and their optimizer state. */
export class Trainable<P extends Params = Params> {
  params: P;
  private state: OptState;
  /**
   * @param cfg the Adam settings
   * @param constrain applied to the parameters after every step (new tensors; the specified NGC rule's
   * column clip), or null
   */
  constructor(params: P, private readonly cfg: AdamConfig, private readonly constrain: ((p: P) => P) | null = null) {
    this.params = params;
    this.state = adam(cfg).init(params);
  }

  /** Takes one optimizer step along `direction` (a gradient or an NGC adjustment), which it disposes. */
  step(direction: Params): void {
    const next = adamApply(this.cfg, direction, this.state, this.params);
    disposeParams(direction);
    disposeParams(this.params);
    disposeState(this.state);
    this.params = next.params as P;
    this.state = next.state;
    if (this.constrain) {
      const constrained = this.constrain(this.params);
      disposeParams(this.params);
      this.params = constrained;
    }
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

/** A DQN-style agent's target network and replay buffer, as its checkpoint holds them. */
export interface TargetAndReplay {
  target: Params;
  replay: ReplayBuffer;
}

/** The named tensors of a target network (`target.*`) and a replay buffer (`replay.*`). */
export async function saveTargetAndReplay(t: TargetAndReplay): Promise<Record<string, NamedTensor>> {
  return { ...(await saveParams(t.target, "target")), ...t.replay.toNamed("replay") };
}

/**
 * The target network (parameters `names`) and the replay buffer (`fields`,
 * `capacity`, `count` records ever recorded) that `saveTargetAndReplay` wrote.
 */
export function restoreTargetAndReplay(
  tensors: Record<string, NamedTensor>,
  names: string[],
  replay: { fields: Fields; capacity: number; count: number },
): TargetAndReplay {
  return {
    target: namedToParams(tensors, names, "target."),
    replay: ReplayBuffer.fromNamed(replay.fields, replay.capacity, replay.count, tensors, "replay"),
  };
}

/** The values of a [1, n] output as numbers. */
export function row(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}
