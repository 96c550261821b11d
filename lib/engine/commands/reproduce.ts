/**
 * `reproduce`: plan a pipeline profile, prepare its datasets, execute the runs
 * that are not cached, then write the profile's hashes, summary, claims and
 * figures.
 *
 * With `aggregateOnly` it trains nothing (no dataset is prepared, no run is
 * started or resumed): it writes the aggregate files from the runs that
 * finished and lists the others, as a login node of a cluster should.
 *
 * Exit codes: 0 all runs complete (with `aggregateOnly`: the files written); 1 some run failed; 2 bad input (pipeline
 * or arguments); 3 another process holds the profile or a run; 4 a claim
 * failed and `strictClaims` was set; 130 interrupted (resumable).
 *
 * @example
 * ```ts
 * import { reproduce } from "./reproduce.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const resultsDir = await Deno.makeTempDir();
 * const { exitCode } = await reproduce({ pipeline: "value-rnn-td", profile: "smoke", backend: "wasm", dryRun: true, resultsDir });
 * assertEquals(exitCode, 0); // the plan printed, nothing run
 * ```
 * @module
 */
import { join, relative, resolve } from "node:path";
import { exists, readJsonIfExists, writeFileAtomic } from "../../util/atomic.ts";
import { type BackendChoice, chooseBackend, runtimeVersions } from "../run/backend.ts";
import { checkClaims, type ClaimResult, claimsCsv, claimsTable, verdictCounts } from "../report/claims.ts";
import { PipelineError, UserError } from "../../util/errors.ts";
import { type LoadedPipeline, loadPipeline, pipelineNames, pipelinePath } from "../pipeline/load.ts";
import { acquireLock, type Lock, LockedError, lockHolder } from "../run/lock.ts";
import { type Plan, type PlannedRun, planValidated, selectRuns } from "../pipeline/plan.ts";
import { renderPlots } from "../report/plot.ts";
import { createProgress } from "../run/progress.ts";
import { defaultRegistryUrl, loadRegistry, type Registry, toModuleUrl } from "../pipeline/registry.ts";
import { repoRoot } from "../../util/repo.ts";
import {
  clearRunForRerun,
  configHash,
  HASHES_COLUMNS,
  profileDir,
  runDir,
  type RunRecord,
  RUNS_DIR,
  type RunState,
  runState,
  versionsText,
} from "../results/layout.ts";
import { type RankedSetting, rankSettings, selectionCsv } from "../results/selection.ts";
import { fmt } from "../kinds/values.ts";
import { executeRuns, runSpec, type ScheduleResult, workerCommand } from "../run/scheduler.ts";
import { activeElsewhere, jobsFile, runOnSlurm, slurmAvailable, type SlurmResources } from "../run/slurm.ts";
import type { ProgressSink } from "../run/progress.ts";
import {
  loadRunTables,
  readSummaryCsv,
  reportTable,
  summarize,
  summaryCsv,
  type SummaryRow,
} from "../results/summary.ts";
import { checkOverrides, datasetSource, describeSource, prepareDatasets } from "../run/datasets.ts";
import { canonicalJson } from "../../util/canonical_json.ts";
import { count } from "../../util/format.ts";
import { didYouMean } from "../../util/suggest.ts";
import { stringify } from "csv-stringify/sync";

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

/** True for errors that mean "this folder cannot be written" (permissions, read-only file system). */
function isWriteDenied(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotADirectory ||
    ["EROFS", "EACCES", "EPERM", "ENOTDIR"].includes(code ?? "");
}

/** Loads and plans; shared by reproduce, plot and run. */
export async function loadAndPlan(
  options: ReproduceOptions,
): Promise<
  {
    pipeline: LoadedPipeline;
    plan: Plan;
    selected: PlannedRun[];
    backend: string;
    registry: Registry;
    registryUrls: string[];
  }
> {
  const file = pipelinePath(options.pipeline);
  if (!(await exists(file))) {
    throw new UserError(
      `Pipeline '${options.pipeline}' not found (${file}).${
        didYouMean(options.pipeline, await pipelineNames())
      } Available: ${(await pipelineNames()).join(", ")}`,
    );
  }
  const pipeline = await loadPipeline(file);
  if (pipeline.data.name === "reference" || pipeline.data.name === RUNS_DIR) {
    throw new PipelineError([
      pipeline.issue(["name"], `'${pipeline.data.name}' is reserved (results/reference and results/${RUNS_DIR})`),
    ]);
  }
  const registryUrls = [defaultRegistryUrl(), ...(options.registry ?? []).map(toModuleUrl)];
  const registry = await loadRegistry(registryUrls);
  const backend = await chooseBackend(options.backend ?? "auto");
  const plan = await planValidated(pipeline, {
    profile: options.profile,
    registry,
    environment: { backend, versions: runtimeVersions() },
    set: options.set,
  });
  checkOverrides(plan, options.datasetDirs);
  const selected = options.only && Object.keys(options.only).length > 0 ? selectRuns(plan, options.only) : plan.runs;
  return { pipeline, plan, selected, backend, registry, registryUrls };
}

async function explainMiss(plan: Plan, resultsDir: string, key: string): Promise<string> {
  const run = plan.runs.find((r) => r.key === key)!;
  const base = join(resultsDir, RUNS_DIR);
  if (!(await exists(base))) return "no earlier runs in this results folder";
  let best: { record: RunRecord; diffs: string[] } | null = null;
  for await (const e of Deno.readDir(base)) {
    if (!e.isDirectory || e.name === key) continue;
    const record = await readJsonIfExists<RunRecord>(join(base, e.name, "run.json")).catch(() => null);
    if (
      !record || record.status !== "complete" || record.seed !== run.seed ||
      record.key_parts?.experiment?.id !== run.parts.experiment.id
    ) continue;
    const diffs: string[] = [];
    const walk = (a: unknown, b: unknown, path: string) => {
      if (typeof a === "object" && a && typeof b === "object" && b && !Array.isArray(a)) {
        for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
          walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
        }
      } else if (canonicalJson(a ?? null) !== canonicalJson(b ?? null)) {
        diffs.push(`${path}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
      }
    };
    walk(record.key_parts, run.parts, "");
    if (!best || diffs.length < best.diffs.length) best = { record, diffs };
  }
  if (!best) return `no completed run of experiment ${run.parts.experiment.id} with seed ${run.seed}`;
  return `closest completed run ${best.record.key.slice(0, 12)} (same experiment and seed) differs in: ${
    best.diffs.join("; ")
  }`;
}

/**
 * The metrics whose final values are printed per cell: the pipeline's
 * `evaluation.report`, else the metrics its figures draw from the metrics
 * table, else every metric of that table.
 */
export function reportedMetrics(plan: Plan): string[] {
  const ev = plan.pipeline.data.evaluation.report;
  if (ev.length) return ev;
  const metrics = plan.tables.find((t) => t.name === "metrics")!;
  const names = metrics.columns.filter((c) => c.role === "metric" && c.type !== "str").map((c) => c.name);
  const plotted = plan.pipeline.data.plots.filter((p) => p.table === "metrics")
    .flatMap((p) => (Array.isArray(p.y) ? p.y : [p.y])).filter((m) => names.includes(m));
  return [...new Set(plotted.length ? plotted : names)];
}

/** Writes hashes.csv, summary CSVs, claims.csv and figures for the completed runs of a plan. */
export async function aggregate(
  plan: Plan,
  resultsDir: string,
  options: { noPlots?: boolean; complete: boolean },
): Promise<
  {
    claims: ClaimResult[];
    files: string[];
    summary: SummaryRow[];
    skipped: { id: string; reason: string }[];
    selection: RankedSetting[];
  }
> {
  const dir = profileDir(resultsDir, plan.pipeline.data.name, plan.profile);
  const runs = await loadRunTables(plan, resultsDir);
  const files: string[] = [];
  const hashRows: string[][] = [];
  for (const r of runs) {
    hashRows.push([
      r.run.pipeline,
      plan.profile,
      r.run.key,
      r.run.cell,
      ...plan.axes.map((a) => r.run.labels[a]),
      String(r.run.seed),
      r.run.parts.backend,
      versionsText(r.run.parts.versions),
      await configHash(r.run.parts),
      r.record.result_hash,
      r.record.outputs_hash,
    ]);
  }
  const hashes = stringify([
    [...HASHES_COLUMNS.slice(0, 4), ...plan.axes, ...HASHES_COLUMNS.slice(4)],
    ...hashRows,
  ], { record_delimiter: "\n" });
  await writeFileAtomic(join(dir, "hashes.csv"), hashes);
  files.push(join(dir, "hashes.csv"));
  const confidence = plan.pipeline.data.evaluation.confidence;
  const summary = summarize(plan, runs, confidence, plan.pipeline.data.evaluation.metrics);
  for (const t of plan.tables.filter((t) => t.summarize !== false)) {
    const name = t.name === "metrics" ? "summary.csv" : `summary.${t.name}.csv`;
    await writeFileAtomic(join(dir, name), summaryCsv(t, plan.axes, summary, confidence));
    files.push(join(dir, name));
  }
  const selection = plan.selection ? rankSettings(runs, plan.tables, plan.selection) : [];
  if (plan.selection) {
    await writeFileAtomic(join(dir, "selection.csv"), selectionCsv(plan, selection));
    files.push(join(dir, "selection.csv"));
  }
  const claims = checkClaims(plan, summary, runs, options.complete);
  await writeFileAtomic(join(dir, "claims.csv"), claimsCsv(claims, plan.pipeline.data.evaluation.level));
  files.push(join(dir, "claims.csv"));
  let skipped: { id: string; reason: string }[] = [];
  if (!options.noPlots && runs.length > 0) {
    // The plot stage reads summary.csv back, as `deno task plot` does.
    const fromDisk = await readSummaryCsv(plan, dir);
    const rendered = await renderPlots(plan, fromDisk, join(dir, "figures"), runs);
    files.push(...rendered.files);
    skipped = rendered.skipped;
  }
  return { claims, files, summary, skipped, selection };
}

/** Resources of a profile's runs on Slurm: defaults, the pipeline's `slurm:`, the profile's, then the flags. */
export function slurmResources(plan: Plan, flags: SlurmFlags = {}): SlurmResources & { maxParallel?: number } {
  const base = plan.pipeline.data.slurm ?? {}, prof = plan.pipeline.data.profiles[plan.profile].slurm ?? {};
  const m = { ...base, ...prof };
  return {
    cpus: m.cpus ?? 1,
    mem: flags.mem ?? m.mem ?? "2G",
    time: flags.time ?? m.time ?? "04:00:00",
    ...(m.gpus ? { gpus: m.gpus } : {}),
    ...(flags.partition ?? m.partition ? { partition: flags.partition ?? m.partition } : {}),
    ...(flags.account ?? m.account ? { account: flags.account ?? m.account } : {}),
    ...(flags.qos ?? m.qos ? { qos: flags.qos ?? m.qos } : {}),
    ...(flags.maxParallel ?? m.max_parallel ? { maxParallel: flags.maxParallel ?? m.max_parallel } : {}),
  };
}

/**
 * The pending runs as a Slurm job array: submitted, waited for (resubmitting
 * tasks cut short), and reported as a schedule; "detached" with --detach.
 */
async function runOnCluster(
  plan: Plan,
  runs: PlannedRun[],
  c: {
    resultsDir: string;
    registryUrls: string[];
    backend: string;
    datasets: Record<string, string>;
    progress: ProgressSink;
    options: ReproduceOptions;
    out: (l: string) => void;
  },
): Promise<ScheduleResult | "detached"> {
  const flags = c.options.slurm ?? {};
  if (!(await slurmAvailable())) {
    throw new UserError("--executor slurm: sbatch is not available here (is this a Slurm login node?)");
  }
  const result: ScheduleResult = { cached: [], completed: [], failed: [], locked: [], interrupted: [] };
  const todo: PlannedRun[] = [];
  for (const run of runs) {
    const dir = runDir(c.resultsDir, run.key);
    if (!c.options.force && await runState(dir, run.key) === "complete") result.cached.push(run);
    else {
      if (c.options.force) await clearRunForRerun(dir);
      todo.push(run);
    }
  }
  if (todo.length === 0) return result;
  const { maxParallel, ...resources } = slurmResources(plan, flags);
  const { cmd, args } = workerCommand("");
  const specOf = (run: PlannedRun) =>
    runSpec(run, {
      resultsDir: c.resultsDir,
      registry: c.registryUrls,
      backend: c.backend as "wasm" | "webgpu" | "cpu",
      datasets: c.datasets,
    });
  const { submissions, outcomes } = await runOnSlurm(todo, specOf, {
    profileDir: profileDir(c.resultsDir, plan.pipeline.data.name, plan.profile),
    resultsDir: c.resultsDir,
    worker: [cmd, ...args.slice(0, -1)],
    name: `${plan.pipeline.data.name}-${plan.profile}`,
    progress: c.progress,
    log: c.out,
  }, {
    resources,
    maxParallel,
    retries: flags.retries ?? 2,
    detach: flags.detach ?? false,
    pollIntervalS: flags.pollIntervalS ?? Number(Deno.env.get("REPRO_SLURM_POLL_S") ?? 2),
    signal: c.options.signal,
  });
  if (flags.detach) {
    c.out(
      `Job ${submissions[0].jobId} runs ${count(todo.length, "task")}. Check with 'squeue -j ${
        submissions[0].jobId
      }'; ` +
        `run the same reproduce command again (without --detach) to aggregate when they are done.`,
    );
    return "detached";
  }
  for (const o of outcomes) {
    if (o.status === "complete") result.completed.push(o.run);
    else if (o.status === "interrupted") result.interrupted.push(o.run);
    else {
      result.failed.push({
        run: o.run,
        error: `${o.reason} (after ${count(o.attempts, "submission")})`,
        step: null,
        log: o.log ?? "",
        logTail: o.logTail ?? "",
      });
    }
  }
  return result;
}

/** The dry run: stages with what each reads and writes, and every run with its state (and, explained, its key). */
async function printPlan(
  plan: Plan,
  selected: PlannedRun[],
  states: RunState[],
  options: ReproduceOptions,
  dirs: { resultsDir: string; cacheDir: string },
  out: (l: string) => void,
): Promise<void> {
  const name = plan.pipeline.data.name;
  const pdir = profileDir(dirs.resultsDir, name, plan.profile);
  out("Stages:");
  for (const d of plan.experiment.datasets) {
    out(
      `  prep       reads ${describeSource(datasetSource(plan, d, options.datasetDirs))} (${d}), writes ${
        join(dirs.cacheDir, "datasets")
      }/${d}-<digest>/`,
    );
  }
  out(
    `  train      runs ${plan.experiment.id} (version ${plan.experiment.version}), writes ${
      join(dirs.resultsDir, RUNS_DIR)
    }/<run-key>/{${plan.tables.map((t) => `${t.name}.csv`).join(", ")}, params.safetensors, run.json}`,
  );
  out(
    `  summarize  reads the runs' tables, writes ${pdir}/{hashes.csv, ${
      plan.tables.filter((t) => t.summarize !== false).map((t) =>
        t.name === "metrics" ? "summary.csv" : `summary.${t.name}.csv`
      ).join(", ")
    }}`,
  );
  if (plan.pipeline.data.plots.length) {
    out(
      `  plot       reads summary files, writes ${pdir}/figures/{${
        plan.pipeline.data.plots.map((p) => p.id).join(", ")
      }}.{svg,png,vl.json}`,
    );
  }
  if (plan.pipeline.data.claims.length) out(`  claims     reads the runs' tables, writes ${pdir}/claims.csv`);
  out("Runs:");
  const w = Math.max(4, ...selected.map((r) => r.cell.length));
  out(`  ${"run key".padEnd(14)}${"cell".padEnd(w + 2)}${"seed".padEnd(6)}state`);
  const stateText: Record<RunState, string> = {
    complete: options.force ? "rerun (--force)" : "cached",
    new: "to run",
    resumable: "to resume from checkpoint",
    failed: "failed before; to retry",
  };
  for (let i = 0; i < selected.length; i++) {
    const r = selected[i];
    out(`  ${r.key.slice(0, 12).padEnd(14)}${r.cell.padEnd(w + 2)}${String(r.seed).padEnd(6)}${stateText[states[i]]}`);
    if (options.explain) {
      out(`    key = sha256(canonical JSON of): ${canonicalJson(r.parts)}`);
      if (states[i] !== "complete") out(`    cache miss: ${await explainMiss(plan, dirs.resultsDir, r.key)}`);
    }
  }
  if (options.explain) out(`Source files in the experiment digest: ${plan.sourceFiles.join(", ")}`);
}

/** What happened to the runs: counts, then each failed run with its error, config and log tail. */
function printSchedule(schedule: ScheduleResult, out: (l: string) => void, err: (l: string) => void): void {
  out(
    `Runs: ${schedule.completed.length} completed, ${schedule.cached.length} cached, ${schedule.failed.length} failed` +
      `${schedule.locked.length ? `, ${schedule.locked.length} held by another process` : ""}` +
      `${schedule.interrupted.length ? `, ${schedule.interrupted.length} interrupted` : ""}.`,
  );
  for (const f of schedule.failed) {
    err("");
    err(
      `FAILED run ${f.run.key.slice(0, 12)} (cell ${f.run.cell}, seed ${f.run.seed})${
        f.step ? ` at ${f.step.column} ${f.step.value}` : ""
      }: ${f.error}`,
    );
    err(`  config: ${JSON.stringify(f.run.config)}`);
    err(`  log: ${f.log}`);
    if (f.logTail) err(f.logTail.split("\n").map((l) => `    | ${l}`).join("\n"));
  }
  for (const l of schedule.locked) {
    err(`SKIPPED run ${l.run.key.slice(0, 12)} (cell ${l.run.cell}, seed ${l.run.seed}): ${l.error}`);
  }
}

/** With --aggregate-only: how many runs finished, and each other run with its state and how to finish it. */
async function printUnfinished(
  runs: PlannedRun[],
  states: RunState[],
  elsewhere: Map<string, string>,
  resultsDir: string,
  out: (l: string) => void,
): Promise<void> {
  const done = states.filter((s) => s === "complete").length;
  out(`Aggregated ${done} of ${count(runs.length, "run")}; nothing was trained (--aggregate-only).`);
  if (done === runs.length) return;
  const text: Record<RunState, string> = {
    complete: "complete",
    new: "not started",
    resumable: "stopped; resumes from its checkpoint",
    failed: "failed",
  };
  const w = Math.max(4, ...runs.map((r) => r.cell.length));
  out(`Not finished:`);
  out(`  ${"run key".padEnd(14)}${"cell".padEnd(w + 2)}${"seed".padEnd(6)}state`);
  for (const [i, r] of runs.entries()) {
    if (states[i] === "complete") continue;
    const job = elsewhere.get(r.key);
    const holder = job ? null : await lockHolder(join(runDir(resultsDir, r.key), ".lock"));
    const state = job
      ? `running under Slurm job ${job}`
      : holder
      ? `running (process ${holder.pid} on ${holder.hostname}${holder.slurm_job ? `, Slurm ${holder.slurm_job}` : ""})`
      : text[states[i]];
    out(`  ${r.key.slice(0, 12).padEnd(14)}${r.cell.padEnd(w + 2)}${String(r.seed).padEnd(6)}${state}`);
  }
  out("Claims read INCOMPLETE until these finish (with what the finished runs say); run reproduce to finish them.");
}

/** The results for people: final values per cell, the claims' verdicts, skipped figures, files written. */
function printResults(plan: Plan, result: Awaited<ReturnType<typeof aggregate>>, out: (l: string) => void): void {
  const report = reportedMetrics(plan);
  if (report.length && result.summary.length) {
    out("");
    out(reportTable(plan, result.summary, report));
  }
  if (plan.selection && result.selection.length) {
    const s = plan.selection;
    const groups = [...new Set(result.selection.map((r) => r.group))];
    out("");
    out(
      `Selection: the top ${s.top} settings of '${s.axis}' by final ${s.table}.${s.metric} (${s.direction}), the runs claims and figures read (selection.csv):`,
    );
    for (const g of groups) {
      const kept = result.selection.filter((r) => r.group === g && r.selected);
      const all = result.selection.filter((r) => r.group === g).length;
      out(
        `  ${g === "default" ? "" : `${g}: `}${kept.map((r) => `${r.setting} ${fmt(r.value)}`).join(", ")} (of ${all})`,
      );
    }
  }
  out("");
  out(`Claims (${plan.pipeline.data.name}, profile ${plan.profile}): ${verdictCounts(result.claims)}`);
  out(claimsTable(result.claims));
  for (const s of result.skipped) out(`Skipped figure ${s.id}: ${s.reason}`);
  out("");
  out(`Wrote ${result.files.map((f) => relative(Deno.cwd(), f)).join(", ")}`);
}

/** Takes the profile's lock; an exit code when it cannot (held elsewhere, or the folder cannot be written). */
async function lockProfile(
  plan: Plan,
  resultsDir: string,
  err: (l: string) => void,
): Promise<Lock | { exitCode: number }> {
  const name = plan.pipeline.data.name;
  try {
    return await acquireLock(
      join(profileDir(resultsDir, name, plan.profile), ".lock"),
      `Pipeline ${name} (profile ${plan.profile})`,
    );
  } catch (e) {
    if (e instanceof LockedError) {
      err(`${e.message}. Wait for it to finish; if that process is gone from another machine, delete the lock file.`);
      return { exitCode: 3 };
    }
    if (isWriteDenied(e)) {
      err(`Cannot write to the results folder ${resultsDir}: ${(e as Error).message}`);
      return { exitCode: 2 };
    }
    throw e;
  }
}

/** The exit code of a finished reproduce (see the module doc). */
function exitCodeOf(schedule: ScheduleResult, claims: ClaimResult[], options: ReproduceOptions): number {
  if (schedule.interrupted.length > 0 || options.signal?.aborted) return 130;
  if (schedule.failed.length > 0) return 1;
  if (schedule.locked.length > 0) return 3;
  if (options.strictClaims && claims.some((c) => c.status === "FAIL")) return 4;
  return 0;
}

/** Runs the whole reproduce command. Never throws for user errors: they become exit codes. */
export async function reproduce(options: ReproduceOptions): Promise<ReproduceResult> {
  const out = options.out ?? ((l: string) => console.log(l));
  const err = options.err ?? ((l: string) => console.error(l));
  const resultsDir = resolve(options.resultsDir ?? join(repoRoot(), "results"));
  const cacheDir = resolve(options.cacheDir ?? Deno.env.get("REPRO_CACHE_DIR") ?? join(repoRoot(), ".cache"));
  let lock: Lock | null = null;
  try {
    // Plan: every run of the profile, and where each stands.
    const { plan, selected, backend, registry, registryUrls } = await loadAndPlan(options);
    const states = await Promise.all(selected.map((r) => runState(runDir(resultsDir, r.key), r.key)));
    const cells = new Set(plan.runs.map((r) => r.cell)).size;
    const seeds = new Set(plan.runs.map((r) => r.seed)).size;
    out(
      `Pipeline ${plan.pipeline.data.name}, profile ${plan.profile}: ${count(plan.runs.length, "run")} (${
        count(cells, "cell")
      } x ${count(seeds, "seed")})` +
        `${selected.length < plan.runs.length ? `, ${selected.length} selected by --only` : ""}, backend ${backend}`,
    );
    if (options.dryRun || options.explain) {
      await printPlan(plan, selected, states, options, { resultsDir, cacheDir }, out);
      return { exitCode: 0, plan };
    }
    const locked = await lockProfile(plan, resultsDir, err);
    if ("exitCode" in locked) return { exitCode: locked.exitCode, plan };
    lock = locked;
    // Runs that a Slurm job submitted earlier (--detach) still runs are left to it.
    const pdir = profileDir(resultsDir, plan.pipeline.data.name, plan.profile);
    const elsewhere = (await exists(jobsFile(pdir))) ? await activeElsewhere(pdir) : new Map<string, string>();
    if (options.aggregateOnly) {
      const all = await Promise.all(plan.runs.map((r) => runState(runDir(resultsDir, r.key), r.key)));
      const result = await aggregate(plan, resultsDir, {
        noPlots: options.noPlots,
        complete: all.every((st) => st === "complete"),
      });
      await printUnfinished(plan.runs, all, elsewhere, resultsDir, out);
      printResults(plan, result, out);
      return { exitCode: 0, plan, claims: result.claims };
    }

    // Prepare the datasets and train what is not cached.
    const pending = selected.filter((_, i) => states[i] !== "complete" || options.force);
    let datasets: Record<string, string> = {};
    if (pending.length > 0) {
      try {
        datasets = await prepareDatasets(plan, registry, {
          cacheDir,
          baseDir: repoRoot(),
          overrides: options.datasetDirs,
          log: (l) => err(l),
        });
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        err(e.message);
        return { exitCode: 2, plan };
      }
    }
    const cached = selected.length - pending.length;
    if (cached > 0) out(`${count(cached, "run")} cached${pending.length ? `, ${pending.length} to run` : ""}.`);
    const terminal = options.progress === "bars" || (options.progress !== "lines" && Deno.stderr.isTerminal());
    const progress = createProgress({
      total: pending.length,
      terminal,
      intervalS: options.progressIntervalS ?? 10,
      write: err,
    });
    const here = selected.filter((r) => !elsewhere.has(r.key));
    let schedule: ScheduleResult;
    if (options.executor === "slurm") {
      const sl = await runOnCluster(plan, here, {
        resultsDir,
        registryUrls,
        backend,
        datasets,
        progress,
        options,
        out: err,
      });
      if (sl === "detached") {
        progress.stop();
        return { exitCode: 0, plan };
      }
      schedule = sl;
    } else {
      schedule = await executeRuns(here, {
        resultsDir,
        jobs: Math.max(1, options.jobs ?? navigator.hardwareConcurrency),
        force: options.force ?? false,
        registry: registryUrls,
        backend: backend as "wasm" | "webgpu" | "cpu",
        datasets,
        progress,
        signal: options.signal,
        env: options.env,
      });
    }
    for (const r of selected.filter((r) => elsewhere.has(r.key))) {
      schedule.locked.push({ run: r, error: `still running under Slurm job ${elsewhere.get(r.key)}` });
    }
    progress.stop();

    // Aggregate every complete run of the profile (not only those --only selected), then report.
    const allStates = await Promise.all(plan.runs.map((r) => runState(runDir(resultsDir, r.key), r.key)));
    const result = await aggregate(plan, resultsDir, {
      noPlots: options.noPlots,
      complete: allStates.every((s) => s === "complete"),
    });
    printSchedule(schedule, out, err);
    printResults(plan, result, out);
    const exitCode = exitCodeOf(schedule, result.claims, options);
    if (exitCode === 130) {
      err(
        schedule.interrupted.length > 0
          ? `Interrupted: ${
            count(schedule.interrupted.length, "run")
          } did not finish. Run the same command again to resume from their checkpoints.`
          : "Interrupted after every run had finished: the results above are complete.",
      );
    }
    return { exitCode, plan, schedule, claims: result.claims };
  } catch (e) {
    if (e instanceof PipelineError || e instanceof UserError) {
      err(e.message);
      return { exitCode: e instanceof UserError ? e.exitCode : 2 };
    }
    if (isWriteDenied(e)) {
      err(`Cannot write to the results folder ${resultsDir}: ${(e as Error).message}`);
      return { exitCode: 2 };
    }
    throw e;
  } finally {
    await lock?.release();
  }
}
