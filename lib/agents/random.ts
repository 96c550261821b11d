/**
 * The random baseline: uniform actions, no learning.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { RandomAgent } from "./random.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const a = new RandomAgent(3).act(new Float32Array(2), Rng.fromSeed(0));
 * assert([0, 1, 2].includes(a), `action ${a}`);
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";
import type { Agent, AgentSnapshot, LearnReport } from "./types.ts";

/** Uniformly random actions. */
export class RandomAgent implements Agent {
  readonly kind = "random";
  readonly epsilon = 1;
  constructor(readonly actions: number) {}
  act(_obs: Float32Array, rng: Rng): number {
    return rng.int(this.actions);
  }
  learn(): LearnReport {
    return { epistemic: null };
  }
  endEpisode(): void {}
  save(): Promise<AgentSnapshot> {
    return Promise.resolve({ tensors: {}, state: null });
  }
  restore(): void {}
  dispose(): void {}
}
