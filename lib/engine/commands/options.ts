/**
 * What `reproduce` takes and returns: its options (the command line's flags),
 * the Slurm flags, and its result.
 *
 * @example
 * ```ts
 * import type { ReproduceOptions } from "./options.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const options: ReproduceOptions = { pipeline: "value-rnn-td", profile: "smoke" };
 * assertEquals(options.profile, "smoke");
 * ```
 * @module
 */
import { type BackendChoice } from "../run/backend.ts";
import { type ClaimResult } from "../report/claims.ts";
import { type Plan } from "../pipeline/plan.ts";
import { type ScheduleResult } from "../run/scheduler.ts";

/** Options of reproduce (the command line's flags). */
export interface ReproduceOptions {
  /** A name under pipelines/ or a path to a YAML file. */
  pipeline: string;
  profile?: string;
  backend?: BackendChoice;
  jobs?: number;
  dryRun?: boolean;
  /** Train nothing: aggregate the runs that finished and list the others. */
  aggregateOnly?: boolean;
  explain?: boolean;
  force?: boolean;
  only?: Record<string, string[]>;
  set?: Record<string, unknown>;
  resultsDir?: string;
  cacheDir?: string;
  /** Extra registry modules (plugins), after the built-in one. */
  registry?: string[];
  /** Folders that replace datasets' sources, by dataset name (`--dataset-dir NAME=PATH`; `--mnist-dir` is mnist's). */
  datasetDirs?: Record<string, string>;
  progress?: "auto" | "bars" | "lines";
  progressIntervalS?: number;
  strictClaims?: boolean;
  /** Skip figures (they are rendered by default). */
  noPlots?: boolean;
  /** Extra environment for workers (test hooks). */
  env?: Record<string, string>;
  /** Where runs execute: local processes (default) or a Slurm job array. */
  executor?: "local" | "slurm";
  /** Slurm flags (with executor slurm). */
  slurm?: SlurmFlags;
  signal?: AbortSignal;
  /** Standard output and error lines. */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/** The Slurm flags of reproduce; they override the pipeline's `slurm:` block. */
export interface SlurmFlags {
  partition?: string;
  account?: string;
  qos?: string;
  time?: string;
  mem?: string;
  maxParallel?: number;
  /** Submissions of a cut-short task after its first (default 2). */
  retries?: number;
  detach?: boolean;
  pollIntervalS?: number;
}

/** What reproduce did. */
export interface ReproduceResult {
  exitCode: number;
  plan?: Plan;
  schedule?: ScheduleResult;
  claims?: ClaimResult[];
}
