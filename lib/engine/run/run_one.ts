/**
 * Executes one run inside a worker process: lock, backend, datasets,
 * checkpoint restore, the experiment's loop, then the outputs, with run.json
 * written last as the mark of completion.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "../pipeline/load.ts";
 * import { planRuns } from "../pipeline/plan.ts";
 * import { defaultRegistryUrl, loadRegistry } from "../pipeline/registry.ts";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * import { runtimeVersions } from "./backend.ts";
 * const environment = { backend: "wasm", versions: runtimeVersions() };
 * const plan = await planRuns(await loadPipeline("pipelines/value-rnn-td.yaml"), { profile: "smoke", registry, environment });
 * import { executeRun } from "./run_one.ts";
 * import { runSpec } from "./scheduler.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const spec = runSpec(plan.runs[0], {
 *   resultsDir: await Deno.makeTempDir(),
 *   registry: [defaultRegistryUrl()],
 *   backend: "wasm",
 *   datasets: {},
 * });
 * const outcome = await executeRun(spec);
 * assertEquals(outcome.status, "complete"); // a smoke run of the value RNN: seconds
 * ```
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../../util/atomic.ts";
import { initBackend, runtimeVersions } from "./backend.ts";
import { canonicalJson } from "../../util/canonical_json.ts";
import type { CheckpointData, Experiment, Row, RunContext, TableSpec } from "../experiment.ts";
import { sha256Hex } from "../../util/hash.ts";
import { acquireLock } from "./lock.ts";
import { getDataset, getExperiment, loadRegistry, sourceDigest } from "../pipeline/registry.ts";
import { type FailureRecord, outputsManifest, type RunRecord, type RunSpec } from "../results/layout.ts";
import { encodeSafetensors, type NamedTensor } from "../../util/safetensors.ts";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
import { checkRow, checkTableSpecs, NonFiniteMetricError, toCsv } from "../results/tables.ts";
import { Rng } from "../../rng/mod.ts";
import { machineInfo, peakRssBytes } from "../../util/machine.ts";

/** A progress event a worker reports to the orchestrator. */
export interface ProgressEvent {
  done: number;
  total: number;
  note?: string;
}

/** How executeRun ended. */
export type RunOutcome =
  | { status: "complete"; record: RunRecord }
  | { status: "failed"; failure: FailureRecord };

/** Options for executeRun. */
export interface ExecuteOptions {
  onProgress?: (p: ProgressEvent) => void;
  /** Test hook: kill this process with SIGKILL right after the n-th checkpoint of this attempt. */
  crashAfterCheckpoints?: number;
}

async function readCheckpoint(path: string, key: string) {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  return decodeCheckpoint(bytes, key, path);
}

/** What a checked spec yields: the runtime versions, the registry, the experiment, its source, config and tables. */
interface CheckedSpec {
  versions: ReturnType<typeof runtimeVersions>;
  registry: Awaited<ReturnType<typeof loadRegistry>>;
  experiment: Experiment<unknown>;
  source: Awaited<ReturnType<typeof sourceDigest>>;
  config: unknown;
  tables: TableSpec[];
}

/**
 * Refuses a spec this process cannot run as planned: its key must hash from its parts, and the runtime
 * versions, the experiment's code and the resolved config must be those the key records.
 */
async function checkSpec(spec: RunSpec): Promise<CheckedSpec> {
  const actualKey = await sha256Hex(canonicalJson(spec.parts));
  if (actualKey !== spec.key) {
    throw new Error(`spec.json is inconsistent: its key parts hash to ${actualKey}, not ${spec.key}`);
  }
  const versions = runtimeVersions();
  if (canonicalJson(versions) !== canonicalJson(spec.parts.versions)) {
    throw new Error(
      `This process runs ${canonicalJson(versions)} but the run was planned for ${
        canonicalJson(spec.parts.versions)
      }; plan it again`,
    );
  }
  const registry = await loadRegistry(spec.registry);
  const experiment = getExperiment(registry, spec.parts.experiment.id) as Experiment<unknown>;
  const source = await sourceDigest(experiment.module);
  if (source.digest !== spec.parts.experiment.source || experiment.version !== spec.parts.experiment.version) {
    throw new Error(`The code of experiment '${experiment.id}' changed since this run was planned; plan it again`);
  }
  const parsed = experiment.config.safeParse(spec.config);
  if (!parsed.success || canonicalJson(parsed.data) !== canonicalJson(spec.config)) {
    throw new Error(`The run's config is not a resolved config of '${experiment.id}'; plan it again`);
  }
  const tables = experiment.tables(parsed.data);
  checkTableSpecs(tables, experiment.id);
  return { versions, registry, experiment, source, config: parsed.data, tables };
}

/** The experiment's datasets, each loaded from the folder it was prepared in. */
async function loadDatasets(
  registry: CheckedSpec["registry"],
  experiment: Experiment<unknown>,
  spec: RunSpec,
): Promise<Record<string, unknown>> {
  const data: Record<string, unknown> = {};
  for (const name of experiment.datasets) {
    const provider = getDataset(registry, name);
    if (!spec.datasets[name]) throw new Error(`Dataset '${name}' was not prepared for this run`);
    data[name] = await provider.load(spec.datasets[name]);
  }
  return data;
}

/** Writes the tables and parameters; their SHA-256 by file name (non-deterministic tables apart). */
async function writeOutputs(
  dir: string,
  tables: TableSpec[],
  rows: Record<string, string[][]>,
  params: Record<string, NamedTensor> | null,
  experimentId: string,
): Promise<{ outputs: Record<string, string>; unhashed: Record<string, string> }> {
  const outputs: Record<string, string> = {};
  const unhashed: Record<string, string> = {};
  for (const t of tables) {
    const text = toCsv(t, rows[t.name]);
    await writeFileAtomic(join(dir, `${t.name}.csv`), text);
    (t.deterministic === false ? unhashed : outputs)[`${t.name}.csv`] = await sha256Hex(text);
  }
  if (params) {
    const bytes = encodeSafetensors(params, { format: "repro-params/1", experiment: experimentId });
    await writeFileAtomic(join(dir, "params.safetensors"), bytes);
    outputs["params.safetensors"] = await sha256Hex(bytes);
  }
  return { outputs, unhashed };
}

/** What a run accumulates while its experiment runs: the tables' rows, the last step seen, the parameters. */
interface RunState {
  rows: Record<string, string[][]>;
  lastStep: { column: string; value: unknown } | null;
  params: Record<string, NamedTensor> | null;
  /** Seconds of earlier attempts (from the checkpoint), this attempt's number, and when it started. */
  previousElapsed: number;
  attempts: number;
  started: number;
}

/** The fresh state of an attempt, with the rows of the checkpoint it resumes from (if any). */
function startState(
  tables: TableSpec[],
  restored: Awaited<ReturnType<typeof readCheckpoint>>,
  log: (line: string) => void,
): RunState {
  const rows: Record<string, string[][]> = Object.fromEntries(tables.map((t) => [t.name, []]));
  if (restored) {
    for (const [t, r] of Object.entries(restored.meta.rows)) rows[t] = r;
    const kept = Object.values(restored.meta.rows).reduce((a, r) => a + r.length, 0);
    log(`resuming from checkpoint at step ${restored.data.step} (${kept} rows kept)`);
  }
  return {
    rows,
    lastStep: null,
    params: null,
    previousElapsed: restored?.meta.elapsed ?? 0,
    attempts: (restored?.meta.attempts ?? 0) + 1,
    started: performance.now(),
  };
}

/** Seconds this run has taken, earlier attempts included. */
const elapsed = (st: RunState) => st.previousElapsed + (performance.now() - st.started) / 1000;

/** The context the experiment runs in: rows and checkpoints go into `st` and the run's folder. */
function runContext(
  spec: RunSpec,
  options: ExecuteOptions,
  checked: CheckedSpec & { backend: RunContext<unknown>["backend"]; data: Record<string, unknown> },
  restored: Awaited<ReturnType<typeof readCheckpoint>>,
  st: RunState,
  log: (line: string) => void,
): RunContext<unknown> {
  const { experiment, config, tables, backend, data } = checked;
  const byName = new Map<string, TableSpec>(tables.map((t) => [t.name, t]));
  const checkpointPath = join(spec.dir, "checkpoint.safetensors");
  let checkpoints = 0, lastProgress = 0;
  return {
    config,
    seed: spec.seed,
    rng: Rng.fromSeed(spec.seed),
    backend,
    data,
    resume: restored?.data ?? null,
    emit(table: string, row: Row) {
      const t = byName.get(table);
      if (!t) throw new Error(`Experiment '${experiment.id}' emitted a row to undeclared table '${table}'`);
      if (t.step) st.lastStep = { column: t.step, value: row[t.step] };
      st.rows[table].push(checkRow(t, row));
    },
    async checkpoint(c: CheckpointData) {
      const meta = { key: spec.key, rows: st.rows, elapsed: elapsed(st), attempts: st.attempts };
      await writeFileAtomic(checkpointPath, encodeCheckpoint(c, meta));
      checkpoints++;
      if (options.crashAfterCheckpoints !== undefined && checkpoints >= options.crashAfterCheckpoints) {
        log(`test hook: SIGKILL after checkpoint ${checkpoints}`);
        Deno.kill(Deno.pid, "SIGKILL");
      }
    },
    saveParams(tensors) {
      st.params = tensors;
    },
    progress(done, total, note) {
      const now = performance.now();
      if (done < total && now - lastProgress < 200) return;
      lastProgress = now;
      options.onProgress?.({ done, total, note });
    },
    log,
  };
}

/** Writes the outputs, then run.json (the mark of completion), and removes the checkpoint and any failure record. */
async function completeRun(
  spec: RunSpec,
  checked: CheckedSpec & { backend: RunRecord["backend"] },
  st: RunState,
): Promise<RunRecord> {
  const { experiment, tables, versions, source, backend } = checked;
  const { outputs, unhashed } = await writeOutputs(spec.dir, tables, st.rows, st.params, experiment.id);
  const record: RunRecord = {
    status: "complete",
    key: spec.key,
    pipeline: spec.pipeline,
    profile: spec.profile,
    cell: spec.cell,
    labels: spec.labels,
    seed: spec.seed,
    config: spec.config,
    key_parts: spec.parts,
    result_hash: outputs["metrics.csv"],
    outputs_hash: await sha256Hex(outputsManifest(outputs)),
    outputs,
    unhashed_outputs: unhashed,
    backend,
    versions: { ...versions, typescript: Deno.version.typescript },
    machine: await machineInfo(),
    source_files: source.files,
    wall_time_s: Math.round(elapsed(st) * 1000) / 1000,
    attempts: st.attempts,
    peak_rss_bytes: await peakRssBytes(),
    finished: new Date().toISOString(),
  };
  await writeJsonAtomic(join(spec.dir, "run.json"), record);
  await Deno.remove(join(spec.dir, "checkpoint.safetensors")).catch(() => {});
  await Deno.remove(join(spec.dir, "failure.json")).catch(() => {});
  return record;
}

/** Checks the spec, starts the backend it was planned for and loads the datasets; logs what the run is. */
async function prepareRun(spec: RunSpec, log: (line: string) => void) {
  const checked = await checkSpec(spec);
  const backend = await initBackend(spec.backend);
  if (backend.name !== spec.parts.backend) {
    throw new Error(`Backend ${backend.name} started, but the run key says ${spec.parts.backend}`);
  }
  log(`run ${spec.key} (${spec.pipeline}, profile ${spec.profile}, cell ${spec.cell}, seed ${spec.seed})`);
  const adapter = backend.adapter ? ` adapter ${JSON.stringify(backend.adapter)}` : "";
  log(`backend ${backend.name} ${JSON.stringify(backend.details)}${adapter}`);
  log(`config ${JSON.stringify(checked.config)}`);
  const data = await loadDatasets(checked.registry, checked.experiment, spec);
  return { ...checked, backend, data };
}

/** Runs one spec to completion or failure. Throws LockedError if another process holds the run. */
export async function executeRun(spec: RunSpec, options: ExecuteOptions = {}): Promise<RunOutcome> {
  const dir = spec.dir;
  await Deno.mkdir(dir, { recursive: true });
  const lock = await acquireLock(join(dir, ".lock"), `run ${spec.key.slice(0, 12)} of ${spec.pipeline}`);
  const logFile = await Deno.open(join(dir, "run.log"), { append: true, create: true });
  const encoder = new TextEncoder();
  const log = (line: string) => {
    logFile.writeSync(encoder.encode(`[${new Date().toISOString()}] ${line}\n`));
  };
  let st: RunState | null = null;
  try {
    // Leftovers of an attempt killed while writing.
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && /\.tmp-\d+-/.test(e.name)) await Deno.remove(join(dir, e.name)).catch(() => {});
    }
    const started = performance.now();
    const prepared = await prepareRun(spec, log);
    const restored = await readCheckpoint(join(dir, "checkpoint.safetensors"), spec.key);
    st = { ...startState(prepared.tables, restored, log), started };
    await prepared.experiment.run(runContext(spec, options, prepared, restored, st, log));
    const record = await completeRun(spec, prepared, st);
    log(`complete: result hash ${record.result_hash}, ${record.wall_time_s} s`);
    return { status: "complete", record };
  } catch (e) {
    const err = e as Error;
    const step = e instanceof NonFiniteMetricError ? e.step : st?.lastStep ?? null;
    log(`FAILED: ${err.stack ?? err.message}`);
    const failure: FailureRecord = {
      key: spec.key,
      error: err.message,
      step,
      log: join(dir, "run.log"),
      time: new Date().toISOString(),
    };
    await writeJsonAtomic(join(dir, "failure.json"), failure);
    return { status: "failed", failure };
  } finally {
    logFile.close();
    await lock.release();
  }
}
