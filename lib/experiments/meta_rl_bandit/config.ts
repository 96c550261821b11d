/**
 * The meta-RL experiment's hyperparameters (one typed, documented object;
 * defaults are the replication's configs/bandit_config_train.py).
 *
 * @example
 * ```ts
 * import { MetaRlConfig } from "./config.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(MetaRlConfig.parse({}).units, 48);
 * ```
 * @module
 */
import { z } from "zod";
import { POLICY_NAMES } from "../../baselines/bandit_policies.ts";

/** Hyperparameters; defaults are the replication's bandit_config_train.py. */
export const MetaRlConfig = z.strictObject({
  structure: z.enum(["correlated", "independent"]).default("correlated").describe(
    "how arm probabilities are drawn (reward_structure)",
  ),
  trials: z.number().int().positive().default(100).describe("trials per episode (steps_per_episode)"),
  units: z.number().int().positive().default(48).describe("LSTM units (num_lstm_units)"),
  gamma: z.number().min(0).max(1).default(0.9).describe("discount"),
  value_coef: z.number().nonnegative().default(0.05).describe("critic loss coefficient (v_loss_coef)"),
  entropy_start: z.number().default(0).describe("entropy coefficient at the start (e_loss_coef_start)"),
  entropy_end: z.number().nullable().default(0).describe(
    "entropy coefficient at the end of the decay (e_loss_coef_end); null: constant at entropy_start, as A3C's entropy cost (Mirowski et al. 2016, whose training Wang et al. 2016 follow)",
  ),
  entropy_power: z.number().positive().default(3).describe(
    "power of the entropy coefficient's decay (e_loss_decay_factor)",
  ),
  lr_start: z.number().nonnegative().default(3e-4).describe("Adam learning rate at the start"),
  lr_end: z.number().nonnegative().default(0).describe("learning rate at and after the end of the decay"),
  decay_episodes: z.number().int().positive().nullable().default(null)
    .describe(
      "episodes over which the learning rate and entropy coefficient decay (null: all of training; see reference_quirks)",
    ),
  max_unroll_steps: z.number().int().positive().default(200).describe(
    "the replication's unroll length (only used by the quirk lr_schedule_half)",
  ),
  reference_quirks: z.array(z.enum(["lr_schedule_half"])).default([])
    .describe(
      "lr_schedule_half: the replication's schedule length episodes x trials / max_unroll_steps (10,000), which ends halfway because updates come every 100-trial episode, not every 200 steps; the learning rate is 0 for the second half",
    ),
  clip_global_norm: z.number().positive().default(50).describe(
    "global-norm clipping of Adam's update (after Adam, as optax.chain)",
  ),
  episodes: z.number().int().positive().default(20000).describe(
    "training episodes (total_training_steps / steps_per_episode)",
  ),
  batch_episodes: z.number().int().positive().default(5).describe(
    "episodes played together per round (the replication's 5 workers)",
  ),
  update: z.enum(["workers", "mean"]).default("workers")
    .describe(
      "workers: each episode's gradient is one update, as the replication's manager applies them (in worker order, each computed on the parameters its worker got back after its previous update); mean: one update on the batch's mean loss",
    ),
  eval_every: z.number().int().positive().default(2000).describe(
    "episodes between evaluations (eval_every_steps / 100)",
  ),
  eval_episodes: z.number().int().positive().default(400).describe(
    "episodes per evaluation during training (num_eval_episodes)",
  ),
  test_episodes: z.number().int().positive().default(1000).describe(
    "random episodes for the regret comparison after training",
  ),
  trial_input: z.boolean().default(false).describe(
    "also give the network the trial number, as t / trials (0 at the first trial), as Wang et al. 2016 did; the replication gives none",
  ),
  validation_episodes: z.number().int().nonnegative().default(1000).describe(
    "random episodes, drawn once per run, on which a frozen copy is evaluated every curve_every episodes (the learning curve and the selection of a search); 0: none",
  ),
  curve_every: z.number().int().positive().default(2000).describe(
    "training episodes between evaluations of the frozen copy on the validation episodes",
  ),
  map_pulls: z.number().int().nonnegative().default(5).describe(
    "the policy map: histories of map_pulls pulls of each arm with every number of successes; 0: no map",
  ),
  map_orders: z.number().int().positive().default(20).describe(
    "random orders of each policy-map history, over which the agent's probability of arm 1 is averaged",
  ),
  raster: z.boolean().default(true).describe(
    "play the replication's 101 raster episodes after training (off in a search, where 100 runs' rasters would only fill the summary)",
  ),
  baselines: z.array(z.enum(POLICY_NAMES)).default([...POLICY_NAMES]).describe(
    "policies compared with the agent on the same episodes",
  ),
  checkpoint_every: z.number().int().positive().default(1000).describe("episodes between checkpoints"),
});
/** The resolved config. */
export type MetaRlConfig = z.infer<typeof MetaRlConfig>;

/** Refuses settings the run cannot honour (a policy map past half the trials, episodes not in whole batches). */
export function checkConfig(c: MetaRlConfig): void {
  const T = c.trials, B = c.batch_episodes;
  if (2 * c.map_pulls >= T) {
    throw new Error(`map_pulls (${c.map_pulls}) must be below trials / 2 (${T / 2}); 0 draws no policy map`);
  }
  if (c.episodes % B !== 0) throw new Error(`episodes (${c.episodes}) must be a multiple of batch_episodes (${B})`);
  if (c.eval_every % B !== 0) {
    throw new Error(`eval_every (${c.eval_every}) must be a multiple of batch_episodes (${B})`);
  }
}
