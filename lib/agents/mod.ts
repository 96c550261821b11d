/**
 * Agents of the classic-control experiments: ANGC (backprop-free), DQN and
 * random, behind one interface.
 *
 * @example
 * ```ts
 * import { RandomAgent } from "./mod.ts";
 * new RandomAgent(2).kind; // "random"
 * ```
 * @module
 */
export { AngcAgent, type AngcConfig } from "./angc.ts";
export { DqnAgent, type DqnConfig, dqnLoss } from "./dqn.ts";
export { RandomAgent } from "./random.ts";
export {
  type Agent,
  type AgentSnapshot,
  argmax,
  epsilonGreedy,
  type Exploration,
  type LearnReport,
  type Step,
} from "./types.ts";
