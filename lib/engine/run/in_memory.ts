/**
 * Runs an experiment's loop in this process with an in-memory context (no
 * files, no worker): for benchmarks and for tests that look inside a run
 * (tensor counts, rows, checkpoints).
 *
 * It keeps the contract of a real run: the config is parsed by the
 * experiment's schema, every row is checked against its table's columns
 * (an unknown column, a missing one or a NaN metric throws as it would fail
 * a run), and every checkpoint goes through the checkpoint file's bytes and
 * back, so what a test resumes from is what a run would have read.
 *
 * @example
 * ```ts
 * import { runInProcess } from "./in_memory.ts";
 * import { valueRnnTd } from "../../experiments/value_rnn_td.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { rows, checkpoints } = await runInProcess(valueRnnTd, { max_epochs: 2, checkpoint_every: 1 }, {});
 * assertEquals(rows.metrics.length, 3); // the loss before training and after each epoch
 * const resumed = await runInProcess(valueRnnTd, { max_epochs: 2, checkpoint_every: 1 }, {}, { resume: checkpoints[0] });
 * assertEquals(resumed.rows.metrics.length, 1); // only the epoch after the checkpoint
 * ```
 * @module
 */
import type { BackendInfo, CheckpointData, Experiment, Row, TableSpec } from "../experiment.ts";
import { checkRow, checkTableSpecs } from "../results/tables.ts";
import { Rng } from "../../rng/mod.ts";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";

/** What an in-process run reported. */
export interface InProcessRun {
  /** Rows by table, as emitted (each one checked against its columns). */
  rows: Record<string, Row[]>;
  /** Checkpoints as a run would read them back (after encoding and decoding). */
  checkpoints: CheckpointData[];
  progress: number;
  /** Lines the experiment logged. */
  logs: string[];
}

/** Runs `experiment` with a partial config (parsed by its schema). */
export async function runInProcess<C>(
  experiment: Experiment<C>,
  config: Record<string, unknown>,
  data: Record<string, unknown>,
  options: {
    seed?: number;
    backend?: BackendInfo;
    resume?: CheckpointData | null;
    onProgress?: () => void;
    /** "last": keep only the latest checkpoint (long benchmark warm-ups); default "all" */
    checkpoints?: "all" | "last";
  } = {},
): Promise<InProcessRun> {
  const parsed = experiment.config.parse(config);
  const tables = experiment.tables(parsed);
  checkTableSpecs(tables, experiment.id);
  const byName = new Map<string, TableSpec>(tables.map((t) => [t.name, t]));
  const out: InProcessRun = { rows: {}, checkpoints: [], progress: 0, logs: [] };
  const key = "in-memory";
  await experiment.run({
    config: parsed,
    seed: options.seed ?? 0,
    rng: Rng.fromSeed(options.seed ?? 0),
    backend: options.backend ?? { name: "wasm", adapter: null, details: {} },
    data,
    resume: options.resume ?? null,
    emit: (table, row) => {
      const t = byName.get(table);
      if (!t) throw new Error(`Experiment '${experiment.id}' emitted a row to undeclared table '${table}'`);
      checkRow(t, row);
      (out.rows[table] ??= []).push(row);
    },
    checkpoint: (c) => {
      const bytes = encodeCheckpoint(c, { key, rows: {}, elapsed: 0, attempts: 1 });
      if (options.checkpoints === "last") out.checkpoints.length = 0;
      out.checkpoints.push(decodeCheckpoint(bytes, key).data);
      return Promise.resolve();
    },
    saveParams: () => {},
    progress: () => {
      out.progress++;
      options.onProgress?.();
    },
    log: (line) => out.logs.push(line),
  });
  return out;
}
