/**
 * The registry of experiments: id -> module and export. Pipelines name an
 * experiment by id (`experiment: hnca-bandit`).
 *
 * @example
 * ```ts
 * import { experiments } from "./mod.ts";
 * Object.keys(experiments); // ["hnca-bandit", ...]
 * ```
 * @module
 */
import type { RegistryEntry } from "../engine/registry.ts";

const here = (file: string) => new URL(file, import.meta.url).href;

/** Registered experiments. */
export const experiments: Record<string, RegistryEntry> = {
  "hnca-bandit": { module: here("./hnca_bandit.ts"), exportName: "hncaBandit" },
  "hnca-nonlinear-bandit": { module: here("./hnca_nonlinear_bandit.ts"), exportName: "hncaNonlinearBandit" },
  "value-rnn-td": { module: here("./value_rnn_td.ts"), exportName: "valueRnnTd" },
  "meta-rl-bandit": { module: here("./meta_rl_bandit.ts"), exportName: "metaRlBandit" },
  "hnca-vae": { module: here("./hnca_vae.ts"), exportName: "hncaVae" },
};
