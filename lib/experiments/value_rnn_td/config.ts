/**
 * The value-RNN experiment's hyperparameters (defaults: the original's
 * main.py and train.py).
 *
 * @example
 * ```ts
 * import { ValueRnnConfig } from "./config.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(ValueRnnConfig.parse({}).gamma, 0.5);
 * ```
 * @module
 */
import { z } from "zod";

/** Hyperparameters; defaults are the original's main.py and train.py. */
export const ValueRnnConfig = z.strictObject({
  cues: z.number().int().min(1).max(8).default(2).describe("number of cues (ncues)"),
  trials_per_cue: z.number().int().positive().default(50).describe("trials of each cue (ntrials_per_cue)"),
  delay_base: z.number().int().positive().default(10).describe("reward delay of cue 0, in steps"),
  delay_step: z.number().int().nonnegative().default(5).describe(
    "extra delay per cue index: delay = base + step * cue",
  ),
  iti_p: z.number().gt(0).max(1).default(0.5).describe("geometric inter-trial interval's success probability"),
  hidden_size: z.number().int().positive().default(2).describe("LSTM hidden units"),
  gamma: z.number().min(0).max(1).default(0.5).describe("discount"),
  lr: z.number().positive().default(0.003).describe("Adam learning rate"),
  batch_size: z.number().int().positive().default(12).describe("trials per update (in the task's fixed order)"),
  max_epochs: z.number().int().positive().default(5000).describe("epochs at most"),
  patience: z.number().int().nonnegative().default(4)
    .describe("early stopping: stop when the loss increases on more than patience + 1 consecutive epochs (nchances)"),
  probe_iti: z.number().int().positive().default(3).describe("ITI of the probe trial drawn per cue in the figures"),
  td_loss: z.enum(["a966010", "e386495"]).default("a966010").describe(
    "a966010: the current code's loss (target r(t+1) + gamma V(t+1) over a trial's first length - 1 rows, summed, over the sum of lengths); e386495: the code that drew the README's value figure (previous-step reward as input, target r(t) + gamma V(t+1) over every row, the last bootstrapping from the zero padding, mean per trial)",
  ),
  checkpoint_every: z.number().int().positive().default(100).describe("epochs between checkpoints"),
});
/** The resolved config. */
export type ValueRnnConfig = z.infer<typeof ValueRnnConfig>;
