/**
 * The two-armed bandit of Wang et al. (2018), as the JAX replication
 * (nathanwispinski/meta-rl, `BanditEnv`) draws it: each episode has fixed
 * win probabilities, 100 trials, reward 1 with the chosen arm's probability.
 *
 * Reward structures: "correlated" (p = u / sum(u), u ~ U(0, 1)^2, so
 * p1 + p2 = 1) and "independent" (p ~ U(0, 1) for each arm).
 * The observation is [one-hot previous action, previous reward], zeros at the
 * start of an episode. Everything is a pure function of the RNG.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { armProbabilities, pull } from "./two_armed_bandit.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const rng = Rng.fromSeed(0).stream("episodes");
 * const p = armProbabilities(rng, "correlated"); // [p1, 1 - p1]
 * const r = pull(p, 0, rng);
 * assert(r === 0 || r === 1);
 * assert(Math.abs(p[0] + p[1] - 1) < 1e-12); // correlated arms
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";

/** How arm probabilities are drawn. */
export type RewardStructure = "correlated" | "independent";

/** Win probabilities of a new episode. */
export function armProbabilities(rng: Rng, structure: RewardStructure): [number, number] {
  const u1 = rng.uniform(), u2 = rng.uniform();
  if (structure === "independent") return [u1, u2];
  const s = u1 + u2;
  return s > 0 ? [u1 / s, u2 / s] : [0.5, 0.5];
}

/** Reward of pulling `arm` (0 or 1): 1 with probability p[arm]. */
export function pull(p: readonly number[], arm: number, rng: Rng): 0 | 1 {
  if (arm !== 0 && arm !== 1) throw new Error(`Arm must be 0 or 1, got ${arm}`);
  return rng.uniform() < p[arm] ? 1 : 0;
}

/** The observation after `arm` was pulled with `reward`; `null` for the first trial. */
export function observation(prev: { arm: number; reward: number } | null): [number, number, number] {
  if (prev === null) return [0, 0, 0];
  return [prev.arm === 0 ? 1 : 0, prev.arm === 1 ? 1 : 0, prev.reward];
}

/** Expected regret of a choice: max p minus the chosen arm's p. */
export function regret(p: readonly number[], arm: number): number {
  return Math.max(p[0], p[1]) - p[arm];
}
