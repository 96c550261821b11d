/**
 * Runs an experiment's loop in this process with an in-memory context (no
 * files, no worker): for benchmarks and for tests that look inside a run
 * (tensor counts, rows, checkpoints).
 *
 * @example
 * ```ts
 * import { runInProcess } from "./in_memory.ts";
 * // const { rows } = await runInProcess(hncaBandit, { epochs: 1 }, { mnist });
 * ```
 * @module
 */
import type { BackendInfo, CheckpointData, Experiment, Row } from "../experiment.ts";
import { Rng } from "../../rng/mod.ts";

/** What an in-process run reported. */
export interface InProcessRun {
  rows: Record<string, Row[]>;
  checkpoints: CheckpointData[];
  progress: number;
}

/** Runs `experiment` with a partial config (parsed by its schema). */
export async function runInProcess<C>(
  experiment: Experiment<C>,
  config: Record<string, unknown>,
  data: Record<string, unknown>,
  options: { seed?: number; backend?: BackendInfo; resume?: CheckpointData | null; onProgress?: () => void } = {},
): Promise<InProcessRun> {
  const out: InProcessRun = { rows: {}, checkpoints: [], progress: 0 };
  await experiment.run({
    config: experiment.config.parse(config),
    seed: options.seed ?? 0,
    rng: Rng.fromSeed(options.seed ?? 0),
    backend: options.backend ?? { name: "wasm", adapter: null, details: {} },
    data,
    resume: options.resume ?? null,
    emit: (table, row) => (out.rows[table] ??= []).push(row),
    checkpoint: (c) => {
      out.checkpoints.push(c);
      return Promise.resolve();
    },
    saveParams: () => {},
    progress: () => {
      out.progress++;
      options.onProgress?.();
    },
    log: () => {},
  });
  return out;
}
