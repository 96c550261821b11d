/**
 * Agents of the classic-control experiments behind one interface: ANGC (two
 * NGC circuits with either learning rule of circuits.ts), DQN and random.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { RandomAgent } from "./mod.ts";
 * assertEquals(new RandomAgent(2).kind, "random");
 * ```
 * @module
 */
export { AngcAgent, type AngcConfig } from "./angc.ts";
export { type Circuit, type CircuitSpec, equationsCircuit, releasedCircuit } from "./circuits.ts";
export { DqnAgent, type DqnConfig, dqnGrads, dqnLoss } from "./dqn.ts";
export { RandomAgent } from "./random.ts";
export {
  type Agent,
  type AgentSnapshot,
  argmax,
  episodeEpsilon,
  epsilonGreedy,
  type Exploration,
  type LearnReport,
  type Step,
} from "./types.ts";
