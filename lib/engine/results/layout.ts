/**
 * The results folder layout, and what a run's files say about its state.
 *
 * ```
 * results/runs/<run-key>/   one run, stored once whichever pipelines use it
 *   spec.json            what to run (written by the planner)
 *   metrics.csv, *.csv   result tables
 *   params.safetensors   final parameters
 *   run.json             written last: resolved config, key parts, hashes, backend, versions, timing
 *   checkpoint.safetensors  while running or after an interruption
 *   failure.json         after a failure
 *   run.log              log of every attempt
 * results/<pipeline>/<profile>/   aggregates of one profile
 *   hashes.csv, summary.csv, summary.<table>.csv, claims.csv, figures/
 * ```
 *
 * @example
 * ```ts
 * import { runDir } from "./layout.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(runDir("results", "3f2a"), "results/runs/3f2a");
 * ```
 * @module
 */
import { join } from "node:path";
import { exists, readJsonIfExists } from "../../util/atomic.ts";
import { canonicalJson } from "../../util/canonical_json.ts";
import { sha256Hex } from "../../util/hash.ts";
import type { KeyParts } from "../pipeline/plan.ts";
import type { BackendName } from "../experiment.ts";

/**
 * Folder of one run. Runs are stored once by key, whichever pipeline asks for
 * them: two pipelines whose grids share a run (the same experiment, config,
 * seed and environment) share its folder and train it once.
 */
export function runDir(resultsDir: string, key: string): string {
  return join(resultsDir, RUNS_DIR, key);
}

/** The folder of the run store under a results folder (a name no pipeline may take). */
export const RUNS_DIR = "runs";

/**
 * What makes two runs the same experiment whatever code digest, backend or
 * runtime versions ran them: format, experiment id and version, resolved
 * config, seed and dataset digests. Its SHA-256 (the config hash in
 * hashes.csv) pairs runs across machines and checkouts.
 */
export function comparableParts(parts: KeyParts): Record<string, unknown> {
  return {
    format: parts.format,
    experiment: { id: parts.experiment.id, version: parts.experiment.version },
    config: parts.config,
    seed: parts.seed,
    datasets: parts.datasets,
  };
}

/** SHA-256 of the canonical JSON of comparableParts. */
export async function configHash(parts: KeyParts): Promise<string> {
  return await sha256Hex(canonicalJson(comparableParts(parts)));
}

/** Runtime versions as one field: "deno 2.9.6, v8 15.0.245.2-rusty, tfjs 4.22.0". */
export function versionsText(v: KeyParts["versions"]): string {
  return `deno ${v.deno}, v8 ${v.v8}, tfjs ${v.tfjs}`;
}

/** The folder of one run's files in a committed reference profile folder: runs/<cell>-seed<k>. */
export function referenceRunDir(profileDirPath: string, cell: string, seed: number): string {
  const slug = cell.replace(/[^A-Za-z0-9._-]+/g, "_");
  return join(profileDirPath, "runs", `${slug}-seed${seed}`);
}

/**
 * The columns of a profile's hashes.csv; the grid's axes come after `cell`.
 * `config_hash` (see configHash), `backend` and `versions` let `compare`
 * pair runs of two machines from hashes.csv files alone.
 */
export const HASHES_COLUMNS = [
  "pipeline",
  "profile",
  "run_key",
  "cell",
  "seed",
  "backend",
  "versions",
  "config_hash",
  "result_hash",
  "outputs_hash",
];

/** Folder of one profile's aggregates. */
export function profileDir(resultsDir: string, pipeline: string, profile: string): string {
  return join(resultsDir, pipeline, profile);
}

/** What a worker needs to execute a run (spec.json). */
export interface RunSpec {
  key: string;
  parts: KeyParts;
  pipeline: string;
  profile: string;
  cell: string;
  labels: Record<string, string>;
  seed: number;
  config: Record<string, unknown>;
  /** Registry module URLs, in order. */
  registry: string[];
  backend: BackendName;
  /** Prepared dataset folders by name. */
  datasets: Record<string, string>;
  /** Folder of this run. */
  dir: string;
}

/** run.json: the record of a completed run. */
export interface RunRecord {
  status: "complete";
  key: string;
  pipeline: string;
  profile: string;
  cell: string;
  labels: Record<string, string>;
  seed: number;
  config: Record<string, unknown>;
  key_parts: KeyParts;
  /** SHA-256 of metrics.csv. */
  result_hash: string;
  /** SHA-256 of the sha256sum-style manifest of every output file (see docs/guide.md). */
  outputs_hash: string;
  outputs: Record<string, string>;
  /** Hashes of files that differ between identical runs (timing tables); not in outputs_hash. */
  unhashed_outputs: Record<string, string>;
  backend: { name: string; adapter: Record<string, unknown> | null; details: Record<string, unknown> };
  versions: Record<string, string>;
  machine: Record<string, unknown>;
  source_files: string[];
  wall_time_s: number;
  attempts: number;
  peak_rss_bytes: number | null;
  finished: string;
}

/** failure.json: the record of the last failed attempt. */
export interface FailureRecord {
  key: string;
  error: string;
  /** The step (for example the epoch) where it failed, when known. */
  step: { column: string; value: unknown } | null;
  log: string;
  time: string;
}

/** Where a run stands. */
export type RunState = "complete" | "resumable" | "failed" | "new";

/** Reads a run's state from its files (run.json must name the same key). */
export async function runState(dir: string, key: string): Promise<RunState> {
  const record = await readJsonIfExists<RunRecord>(join(dir, "run.json")).catch(() => null);
  if (record && record.status === "complete" && record.key === key) return "complete";
  if (await exists(join(dir, "checkpoint.safetensors"))) return "resumable";
  if (await exists(join(dir, "failure.json"))) return "failed";
  return "new";
}

/**
 * Makes a run start over, for `--force` (of `reproduce` and of `run` alike):
 * removes its record, checkpoint and failure record, so that nothing of an
 * earlier attempt is resumed. Its log is kept and appended to.
 */
export async function clearRunForRerun(dir: string): Promise<void> {
  for (const f of ["run.json", "checkpoint.safetensors", "failure.json"]) {
    await Deno.remove(join(dir, f)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

/** The sha256sum-format manifest of output hashes (sorted by file name) and its SHA-256 input text. */
export function outputsManifest(outputs: Record<string, string>): string {
  return Object.keys(outputs).sort().map((f) => `${outputs[f]}  ${f}\n`).join("");
}
