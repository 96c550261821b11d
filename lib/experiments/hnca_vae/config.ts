/**
 * The HNCA VAE experiment's hyperparameters (defaults: the original's
 * generative_modeling/HNCA.json) and their checks.
 *
 * @example
 * ```ts
 * import { HncaVaeConfig } from "./config.ts";
 * import { ok as assert } from "node:assert";
 * assert(HncaVaeConfig.parse({}).estimator === "hnca");
 * ```
 * @module
 */
import { z } from "zod";
import { VAE_ESTIMATOR_NAMES } from "../../estimators/vae/mod.ts";

export const QUIRKS = ["resample_updated_upper"] as const;

/** Hyperparameters; defaults are the original's generative_modeling/HNCA.json (paper configuration). */
export const HncaVaeConfig = z.strictObject({
  estimator: z.enum(VAE_ESTIMATOR_NAMES).default("hnca").describe("gradient estimator for every encoder layer"),
  baseline: z.boolean().default(false).describe(
    "per-layer running-average reward baseline (use_baseline; hnca and reinforce only)",
  ),
  gamma: z.number().min(0).max(1).default(0.99).describe("baseline <- gamma baseline + (1 - gamma) reward mean"),
  all_child: z.boolean().default(false).describe("HNCA ablation: weight the child-dependent terms by rho as well"),
  full_reward: z.boolean().default(false).describe(
    "HNCA ablation: add the terms below each layer (which it cannot change) to its reward",
  ),
  epochs: z.number().int().positive().default(840).describe("passes over the training images (num_epochs)"),
  batch_size: z.number().int().positive().default(50).describe("images per update"),
  lr: z.number().positive().default(1e-4).describe("learning rate (alpha)"),
  optimizer: z.enum(["adam", "sgd"]).default("adam").describe("adam (use_adam true) or plain sgd"),
  latent_layers: z.number().int().min(1).max(8).default(3).describe(
    "Bernoulli latent layers (the original's num_hidden + 1)",
  ),
  latent_width: z.number().int().positive().default(200).describe("units per latent layer (hidden_width)"),
  train_examples: z.number().int().positive().max(60000).nullable().default(null)
    .describe("use the first n training images (null: all 60000)"),
  test_examples: z.number().int().positive().max(10000).nullable().default(null)
    .describe("use the first n test images for the test ELBO and bound (null: all 10000)"),
  test_batch_size: z.number().int().positive().default(1000).describe(
    "images per test forward pass (does not change results)",
  ),
  iw_samples: z.number().int().min(0).default(100).describe(
    "k of the importance-weighted test bound (0: never computed)",
  ),
  iw_epochs: z.array(z.number().int().positive()).default([]).describe(
    "epochs at which the importance-weighted bound is computed besides the last",
  ),
  digits: z.number().int().min(0).max(256).default(64).describe(
    "digits sampled prior -> decoder at the end of training (the original's generate_digits.py draws 64)",
  ),
  counterfactual: z.enum(["auto", "wasm", "tfjs"]).default("auto")
    .describe("HNCA's counterfactual terms: wasm SIMD kernel, tfjs ops, or auto (kernel unless the backend is webgpu)"),
  reference_quirks: z.array(z.enum(QUIRKS)).default([])
    .describe("bugs of the original code to reproduce (resample_updated_upper: see the module doc)"),
});
/** The resolved config. */
export type HncaVaeConfig = z.infer<typeof HncaVaeConfig>;

export function layerNames(c: HncaVaeConfig): string[] {
  return Array.from({ length: c.latent_layers }, (_, k) => `q${k + 1}`);
}

export function checkConfig(c: HncaVaeConfig): void {
  if (c.baseline && (c.estimator === "disarm" || c.estimator === "reinforce_loo")) {
    throw new Error(`Estimator ${c.estimator} takes no baseline (the original has none); set baseline: false`);
  }
  if ((c.all_child || c.full_reward) && c.estimator !== "hnca") {
    throw new Error(`all_child and full_reward are HNCA's flags; estimator is ${c.estimator}`);
  }
  if (c.reference_quirks.length && c.estimator !== "disarm" && c.estimator !== "reinforce_loo") {
    throw new Error(`Quirk resample_updated_upper only affects disarm and reinforce_loo; estimator is ${c.estimator}`);
  }
}
