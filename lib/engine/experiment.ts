/**
 * The small interface between the engine and an experiment.
 *
 * An experiment owns its training loop. The engine hands it a resolved config,
 * the run's seeded RNG and its datasets; the experiment reports rows to its
 * declared tables, saves checkpoints, reports progress and the final
 * parameters. It never writes files itself.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import type { Experiment } from "./experiment.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const Config = z.strictObject({ epochs: z.number().int().positive().default(3) });
 * export const counter: Experiment<z.infer<typeof Config>> = {
 *   id: "counter",
 *   module: import.meta.url,
 *   version: "1",
 *   title: "Counts epochs",
 *   config: Config,
 *   datasets: [],
 *   tables: () => [{
 *     name: "metrics",
 *     doc: "one row per epoch",
 *     step: "epoch",
 *     columns: [
 *       { name: "epoch", type: "int", role: "index", doc: "epochs completed" },
 *       { name: "value", type: "f64", role: "metric", doc: "a draw", unit: "1" },
 *     ],
 *   }],
 *   async run(ctx) {
 *     const start = ctx.resume?.step ?? 0;
 *     const rng = ctx.rng.stream("draws");
 *     for (let epoch = start + 1; epoch <= ctx.config.epochs; epoch++) {
 *       ctx.emit("metrics", { epoch, value: rng.uniform() });
 *       await ctx.checkpoint({ step: epoch, tensors: {}, state: { rng: rng.state() } });
 *     }
 *   },
 * };
 * assertEquals(counter.tables(Config.parse({}))[0].columns.map((c) => c.name), ["epoch", "value"]);
 * ```
 * @module
 */
import type { z } from "zod";
import type { Rng } from "../rng/mod.ts";
import type { ValueType } from "../util/format.ts";
import type { NamedTensor } from "../util/safetensors.ts";

/** One column of a result table. */
export interface ColumnSpec {
  name: string;
  type: ValueType;
  /** index: identifies the row (epoch, cue, trial step); metric: a measured value, summarized over seeds. */
  role: "index" | "metric";
  /** What the value means, written into the column tables of docs/pipelines/. */
  doc: string;
  /** Unit, for axis labels ("nats", "fraction", "s"). */
  unit?: string;
  /** Whether an empty cell is allowed (for example a value measured only at some epochs). */
  nullable?: boolean;
}

/**
 * A float64 metric column: the column most tables are made of.
 *
 * @example
 * ```ts
 * import { f64Metric } from "./experiment.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(f64Metric("loss", "training loss", "nats"), {
 *   name: "loss",
 *   type: "f64",
 *   role: "metric",
 *   doc: "training loss",
 *   unit: "nats",
 *   nullable: false,
 * });
 * ```
 */
export function f64Metric(name: string, doc: string, unit?: string, nullable = false): ColumnSpec {
  return { name, type: "f64", role: "metric", doc, unit, nullable };
}

/** A result table: one CSV file per run (`<name>.csv`). */
export interface TableSpec {
  /** File stem; the first table of an experiment must be `metrics`. */
  name: string;
  doc: string;
  columns: ColumnSpec[];
  /** The index column that orders training progress; its last value per run is "final". */
  step?: string;
  /**
   * False for measurements that vary between identical runs (wall time): the
   * file is written and summarized, but left out of the run's hashes and of
   * comparisons. Default true.
   */
  deterministic?: boolean;
  /**
   * False for per-run artifacts that a mean over seeds does not describe (the
   * pixels of sampled images): no summary file; figures read the runs. Default true.
   */
  summarize?: boolean;
}

/** One row: values by column name. */
export type Row = Record<string, number | string | boolean | null>;

/** What a checkpoint holds besides the rows already reported (the engine keeps those). */
export interface CheckpointData {
  /** Progress in the experiment's own unit (epochs completed, usually). */
  step: number;
  /** Parameters and optimizer moments. */
  tensors: Record<string, NamedTensor>;
  /** JSON-able scalars: RNG states, baselines, counters. */
  state: unknown;
}

/** Facts about the compute backend, recorded with every run. */
export interface BackendInfo {
  /** tfjs backend name: wasm, webgpu or cpu. */
  name: "wasm" | "webgpu" | "cpu";
  /** The GPU adapter for webgpu (vendor, architecture, device, description, fallback flag). */
  adapter: Record<string, unknown> | null;
  /** Backend details: wasm SIMD/threads, webgpu matmul program type. */
  details: Record<string, unknown>;
}

/** A compute backend's name. */
export type BackendName = BackendInfo["name"];

/** What an experiment can use and report through during a run. */
export interface RunContext<C> {
  readonly config: C;
  readonly seed: number;
  /** The run's root RNG stream; split it by purpose with `rng.stream("init")`. */
  readonly rng: Rng;
  readonly backend: BackendInfo;
  /** Prepared datasets by name, as declared in `Experiment.datasets`. */
  readonly data: Record<string, unknown>;
  /** The checkpoint to resume from, or null for a fresh start. Rows reported before it are kept. */
  readonly resume: CheckpointData | null;
  /** Reports one row. Checked against the table's columns; a NaN or infinite metric fails the run. */
  emit(table: string, row: Row): void;
  /** Saves a checkpoint together with every row reported so far (atomically). */
  checkpoint(data: CheckpointData): Promise<void>;
  /** Sets the final parameters, written as params.safetensors when the run completes. */
  saveParams(tensors: Record<string, NamedTensor>): void;
  /** Reports progress in any unit (updates, episodes): done of total. */
  progress(done: number, total: number, note?: string): void;
  /** Writes a line to the run's log. */
  log(message: string): void;
}

/** A registered experiment: one module that owns its training loop. */
export interface Experiment<C = unknown> {
  /** Registry id, referenced by a pipeline's `experiment:` key. */
  id: string;
  /**
   * URL of the module that defines it (`import.meta.url`): its source and the
   * local modules it imports make up the source digest in every run key.
   */
  module: string;
  /** Bump when a change is meant to change results; part of every run key. */
  version: string;
  title: string;
  /** The config schema: a strict zod object with defaults and a description per key. */
  config: z.ZodType<C>;
  /** Dataset names this experiment needs (prepared by the engine before it runs). */
  datasets: readonly string[];
  /** The tables it reports, for a given config. The first is `metrics`. */
  tables(config: C): TableSpec[];
  run(ctx: RunContext<C>): Promise<void>;
}
