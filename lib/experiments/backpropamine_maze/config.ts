/**
 * The Backpropamine maze experiment's hyperparameters (defaults: the paper's
 * command for maze/batch.py) and the network's sizes for a config.
 *
 * @example
 * ```ts
 * import { BackpropamineConfig, networkSpec } from "./config.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(networkSpec(BackpropamineConfig.parse({ variant: "rnn" })).hidden, 139); // parameter matched
 * ```
 * @module
 */
import { z } from "zod";
import { MAZE_ACTIONS, MAZE_INPUTS } from "../../envs/grid_maze.ts";
import { matchedHidden, PAPER_HIDDEN, PLASTIC_VARIANTS, type PlasticRnnSpec } from "../../models/plastic_rnn.ts";

/** Hyperparameters; defaults are the paper's command for batch.py. */
export const BackpropamineConfig = z.strictObject({
  variant: z.enum(PLASTIC_VARIANTS as [string, ...string[]]).default("modplast").describe(
    "network (--type): modplast (simple neuromodulation), modul (retroactive modulation), plastic (non-modulated), rnn (non-plastic); modplast-fanout: simplemaze/maze.py's network (the modulator fanned out to one rate per neuron)",
  ),
  hidden: z.number().int().positive().nullable().default(null).describe(
    "hidden units (--hs) of modplast and modul (null: the paper's 100); see match_parameters for plastic and rnn",
  ),
  match_parameters: z.boolean().default(true).describe(
    "plastic and rnn get the smallest hidden size with at least modplast's parameter count (at 100 units: the paper's 101 and 139); false: every variant gets `hidden`",
  ),
  maze_size: z.number().int().min(5).default(13).describe("maze side, odd (--msize)"),
  episode_length: z.number().int().positive().default(200).describe("steps per episode (--eplen)"),
  batch: z.number().int().positive().default(30).describe("mazes (episodes) per iteration (--bs)"),
  reward: z.number().default(10).describe("reward for reaching the reward cell (--rew)"),
  wall_penalty: z.number().default(0).describe("penalty for bumping into a wall (--wp)"),
  trace_clip: z.number().positive().default(1).describe(
    "plastic traces are clipped to [-trace_clip, trace_clip] (batch.py --addpw 3: 1; simplemaze/maze.py: 2)",
  ),
  simpson_coef: z.number().nonnegative().default(0.03).describe("coefficient of the Simpson index sum p^2 (--bent)"),
  gamma: z.number().min(0).max(1).default(0.9).describe("discount of the returns (--gr)"),
  value_coef: z.number().nonnegative().default(0.1).describe("coefficient of the value loss (--blossv)"),
  lr: z.number().positive().default(1e-4).describe("Adam learning rate (--lr)"),
  adam_eps: z.number().positive().default(1e-4).describe("Adam epsilon (batch.py: 1e-4)"),
  clip_global_norm: z.number().positive().default(4).describe("gradient-norm clip before Adam (--gc)"),
  burn_in: z.number().int().nonnegative().default(101).describe(
    "iterations without an optimizer step at the start (batch.py steps when numiter > 100)",
  ),
  iterations: z.number().int().positive().default(200000).describe(
    "training iterations, one episode per maze each (--nbiter; batch.py's 200,002 less the 2 past the last logged row); a multiple of log_every",
  ),
  log_every: z.number().int().positive().default(100).describe(
    "iterations between metric rows (the figure script keeps every 100th iteration)",
  ),
  checkpoint_every: z.number().int().positive().default(1000).describe("iterations between checkpoints"),
  reference_quirks: z.array(z.enum(["advantage_value_of_element_0"])).default([]).describe(
    "advantage_value_of_element_0: the original's R - vs[t][0], batch element 0's value for every element (what produced the paper's figure)",
  ),
  impl: z.enum(["fused", "kernels", "tfjs"]).default("fused").describe(
    "fused: forward and backpropagation through time as loops over typed arrays (what the smoke, quick and small references ran); kernels: the same with the H x H work on WebAssembly SIMD kernels (float32 sums in another order: equal within rounding, not bit for bit); tfjs: tf.grads of the network in tfjs ops (the path that runs on webgpu)",
  ),
});
/** The resolved config. */
export type BackpropamineConfig = z.infer<typeof BackpropamineConfig>;

/** The network's sizes for a config. */
export function networkSpec(c: BackpropamineConfig): PlasticRnnSpec {
  const variant = c.variant as PlasticRnnSpec["variant"];
  const base = { inputs: MAZE_INPUTS, actions: MAZE_ACTIONS, traceClip: c.trace_clip };
  const hidden = c.hidden ?? PAPER_HIDDEN.modplast;
  return { ...base, variant, hidden: c.match_parameters ? matchedHidden(variant, hidden, base) : hidden };
}
