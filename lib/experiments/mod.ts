/**
 * The registry of experiments and datasets. Pipelines name an experiment by
 * id (`experiment: hnca-bandit`) and a dataset by name (`datasets: {mnist: ...}`).
 *
 * @example
 * ```ts
 * import { datasets, experiments } from "./mod.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * experiments.map((e) => e.id); // ["hnca-bandit", ...]
 * assertEquals(Object.keys(datasets), ["mnist"]);
 * ```
 * @module
 */
import type { DatasetProvider } from "../data/types.ts";
import { mnistDataset } from "../data/mnist.ts";
import type { Experiment } from "../engine/experiment.ts";
import { angc } from "./angc.ts";
import { backpropamineMaze } from "./backpropamine_maze.ts";
import { hncaBandit } from "./hnca_bandit.ts";
import { hncaNonlinearBandit } from "./hnca_nonlinear_bandit.ts";
import { hncaVae } from "./hnca_vae.ts";
import { metaRlBandit } from "./meta_rl_bandit.ts";
import { valueRnnTd } from "./value_rnn_td.ts";

/** Registered experiments. */
export const experiments: Experiment<never>[] = [
  hncaBandit,
  hncaNonlinearBandit,
  valueRnnTd,
  metaRlBandit,
  hncaVae,
  backpropamineMaze,
  angc,
] as Experiment<never>[];

/** Registered datasets. */
export const datasets: Record<string, DatasetProvider> = { mnist: mnistDataset };
