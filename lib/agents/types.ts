/**
 * What an agent of the classic-control experiments does: choose an action
 * (epsilon-greedy, decaying epsilon at every action as the official ANGC
 * code), learn from each transition as it happens, and save and restore its
 * whole state (parameters, optimizer moments, replay memory, counters) for
 * checkpoints.
 *
 * @example
 * ```ts
 * import type { Agent } from "./types.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * function greedyEpisodeStep(agent: Agent, obs: Float32Array) {
 *   // const a = agent.act(obs, rng); ... agent.learn({ s: obs, a, r, s2, done }, t, rng);
 *   return agent.kind;
 * }
 * const fixed: Agent = { kind: "fixed", epsilon: 0, act: () => 0, learn: () => ({ epistemic: null }), endEpisode() {}, save: () => Promise.resolve({ tensors: {}, state: null }), restore() {}, dispose() {} };
 * assertEquals(greedyEpisodeStep(fixed, new Float32Array(2)), "fixed");
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";
import type { NamedTensor } from "../util/safetensors.ts";

/** One transition as the agent stores it. */
export interface Step {
  /** Observation before the action (float32, as the environment shows it). */
  s: Float32Array;
  a: number;
  /** The environment's (instrumental) reward. */
  r: number;
  s2: Float32Array;
  /** 1 when the next state's value is not bootstrapped (terminal, or truncated where that counts as done). */
  done: 0 | 1;
}

/** What learning from one transition reports. */
export interface LearnReport {
  /** The normalised epistemic signal of this transition (ANGC), or null. */
  epistemic: number | null;
}

/** A saved agent. */
export interface AgentSnapshot {
  tensors: Record<string, NamedTensor>;
  state: unknown;
}

/** An agent. */
export interface Agent {
  readonly kind: string;
  /** The exploration rate the next action will decay from. */
  readonly epsilon: number;
  /** Chooses an action for an observation (decays epsilon first, then explores with probability epsilon). */
  act(obs: Float32Array, rng: Rng): number;
  /** Learns from a transition; t is the step within the episode (the target network is copied when t % targetEvery == 0). */
  learn(step: Step, t: number, rng: Rng): LearnReport;
  /** Called after each episode (epsilon decays here when it decays per episode). */
  endEpisode(): void;
  save(): Promise<AgentSnapshot>;
  restore(snap: AgentSnapshot): void;
  dispose(): void;
}

/**
 * Epsilon-greedy exploration settings (train_agent.py: 1.0, 0.01, 0.99991 per action; pcrl: 1.0, 0.05, 0.97
 * per episode).
 */
export interface Exploration {
  start: number;
  end: number;
  decay: number;
  /** When epsilon decays: before each action (the released code; the default) or after each episode (pcrl). */
  per?: "action" | "episode";
}

/**
 * The official code's collect_policy: epsilon = max(epsilon * decay, end) (when it decays per action), then a
 * random action with probability epsilon.
 */
export function epsilonGreedy(
  epsilon: number,
  x: Exploration,
  actions: number,
  rng: Rng,
  greedy: () => number,
): { action: number; epsilon: number } {
  const eps = x.per === "episode" ? epsilon : Math.max(epsilon * x.decay, x.end);
  const u = rng.uniform();
  if (u < eps) return { action: rng.int(actions), epsilon: eps };
  return { action: greedy(), epsilon: eps };
}

/** Epsilon after an episode: decayed (down to its floor) when it decays per episode, else unchanged. */
export function episodeEpsilon(epsilon: number, x: Exploration): number {
  return x.per === "episode" ? Math.max(epsilon * x.decay, x.end) : epsilon;
}

/** Index of the largest value (the first on ties, as argmax). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
