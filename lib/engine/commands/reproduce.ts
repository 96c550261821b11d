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
import { join, resolve } from "node:path";
import { exists } from "../../util/atomic.ts";
import { type ClaimResult } from "../report/claims.ts";
import { PipelineError, UserError } from "../../util/errors.ts";
import { acquireLock, type Lock, LockedError } from "../run/lock.ts";
import { type Plan, type PlannedRun } from "../pipeline/plan.ts";
import { createProgress } from "../run/progress.ts";
import { repoRoot } from "../../util/repo.ts";
import { profileDir, runDir, RUNS_DIR, type RunState, runState } from "../results/layout.ts";
import { executeRuns, type ScheduleResult } from "../run/scheduler.ts";
import { activeElsewhere, jobsFile } from "../run/slurm.ts";
import { datasetSource, describeSource, prepareDatasets } from "../run/datasets.ts";
import { canonicalJson } from "../../util/canonical_json.ts";
import { count } from "../../util/format.ts";
import { aggregate, printResults, printUnfinished } from "./aggregate.ts";
import type { ReproduceOptions, ReproduceResult } from "./options.ts";
import { explainMiss, isWriteDenied, loadAndPlan } from "./load_plan.ts";
import { runOnCluster } from "./cluster.ts";

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

/** Where a reproduce call writes and reports: its options, results and cache folders, and its two streams. */
interface Call {
  options: ReproduceOptions;
  out: (l: string) => void;
  err: (l: string) => void;
  resultsDir: string;
  cacheDir: string;
}

/** The plan's first line: pipeline, profile, runs (cells x seeds), the --only selection, the backend. */
function headline(plan: Plan, selected: PlannedRun[], backend: string): string {
  const cells = new Set(plan.runs.map((r) => r.cell)).size, seeds = new Set(plan.runs.map((r) => r.seed)).size;
  const only = selected.length < plan.runs.length ? `, ${selected.length} selected by --only` : "";
  return `Pipeline ${plan.pipeline.data.name}, profile ${plan.profile}: ${count(plan.runs.length, "run")} (${
    count(cells, "cell")
  } x ${count(seeds, "seed")})${only}, backend ${backend}`;
}

/** The datasets the pending runs need (none when nothing is pending); a UserError becomes exit code 2. */
async function datasetsFor(
  call: Call,
  plan: Plan,
  registry: Awaited<ReturnType<typeof loadAndPlan>>["registry"],
  pending: PlannedRun[],
): Promise<{ datasets: Record<string, string> } | { exitCode: number }> {
  if (pending.length === 0) return { datasets: {} };
  try {
    const datasets = await prepareDatasets(plan, registry, {
      cacheDir: call.cacheDir,
      baseDir: repoRoot(),
      overrides: call.options.datasetDirs,
      log: (l) => call.err(l),
    });
    return { datasets };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    call.err(e.message);
    return { exitCode: 2 };
  }
}

/** Trains the runs here (not those a Slurm job still runs) on local workers or a Slurm job array. */
async function train(
  call: Call,
  plan: Plan,
  here: PlannedRun[],
  setup: { registryUrls: string[]; backend: string; datasets: Record<string, string> },
  progress: ReturnType<typeof createProgress>,
): Promise<ScheduleResult | "detached"> {
  const { options, resultsDir } = call, { registryUrls, backend, datasets } = setup;
  if (options.executor === "slurm") {
    return await runOnCluster(plan, here, {
      resultsDir,
      registryUrls,
      backend,
      datasets,
      progress,
      options,
      out: call.err,
    });
  }
  return await executeRuns(here, {
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

/** Summarizes, plots and decides the claims over every complete run of the profile, then reports. */
async function finish(call: Call, plan: Plan, schedule: ScheduleResult): Promise<ReproduceResult> {
  const { options, out, err, resultsDir } = call;
  // Every complete run of the profile, not only those --only selected.
  const allStates = await Promise.all(plan.runs.map((r) => runState(runDir(resultsDir, r.key), r.key)));
  const result = await aggregate(plan, resultsDir, {
    noPlots: options.noPlots,
    complete: allStates.every((s) => s === "complete"),
  });
  printSchedule(schedule, out, err);
  printResults(plan, result, out);
  const exitCode = exitCodeOf(schedule, result.claims, options);
  if (exitCode === 130) {
    const n = schedule.interrupted.length;
    err(
      n > 0
        ? `Interrupted: ${count(n, "run")} did not finish. Run the same command again to resume from their checkpoints.`
        : "Interrupted after every run had finished: the results above are complete.",
    );
  }
  return { exitCode, plan, schedule, claims: result.claims };
}

/** --aggregate-only: summarizes what is complete, lists what is not, trains nothing. */
async function aggregateOnly(call: Call, plan: Plan, elsewhere: Map<string, string>): Promise<ReproduceResult> {
  const { options, out, resultsDir } = call;
  const all = await Promise.all(plan.runs.map((r) => runState(runDir(resultsDir, r.key), r.key)));
  const result = await aggregate(plan, resultsDir, {
    noPlots: options.noPlots,
    complete: all.every((st) => st === "complete"),
  });
  await printUnfinished(plan.runs, all, elsewhere, resultsDir, out);
  printResults(plan, result, out);
  return { exitCode: 0, plan, claims: result.claims };
}

/** Plans, trains what is not cached, aggregates and reports, with the profile locked. */
async function reproduceLocked(call: Call, lockRef: { lock: Lock | null }): Promise<ReproduceResult> {
  const { options, out, err, resultsDir, cacheDir } = call;
  const { plan, selected, backend, registry, registryUrls } = await loadAndPlan(options);
  const states = await Promise.all(selected.map((r) => runState(runDir(resultsDir, r.key), r.key)));
  out(headline(plan, selected, backend));
  if (options.dryRun || options.explain) {
    await printPlan(plan, selected, states, options, { resultsDir, cacheDir }, out);
    return { exitCode: 0, plan };
  }
  const locked = await lockProfile(plan, resultsDir, err);
  if ("exitCode" in locked) return { exitCode: locked.exitCode, plan };
  lockRef.lock = locked;
  // Runs that a Slurm job submitted earlier (--detach) still runs are left to it.
  const pdir = profileDir(resultsDir, plan.pipeline.data.name, plan.profile);
  const elsewhere = (await exists(jobsFile(pdir))) ? await activeElsewhere(pdir) : new Map<string, string>();
  if (options.aggregateOnly) return await aggregateOnly(call, plan, elsewhere);
  const pending = selected.filter((_, i) => states[i] !== "complete" || options.force);
  const prepared = await datasetsFor(call, plan, registry, pending);
  if ("exitCode" in prepared) return { exitCode: prepared.exitCode, plan };
  const datasets = prepared.datasets;
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
  const schedule = await train(call, plan, here, { registryUrls, backend, datasets }, progress);
  progress.stop();
  if (schedule === "detached") return { exitCode: 0, plan };
  for (const r of selected.filter((r) => elsewhere.has(r.key))) {
    schedule.locked.push({ run: r, error: `still running under Slurm job ${elsewhere.get(r.key)}` });
  }
  return await finish(call, plan, schedule);
}

/** Runs the whole reproduce command. Never throws for user errors: they become exit codes. */
export async function reproduce(options: ReproduceOptions): Promise<ReproduceResult> {
  const call: Call = {
    options,
    out: options.out ?? ((l: string) => console.log(l)),
    err: options.err ?? ((l: string) => console.error(l)),
    resultsDir: resolve(options.resultsDir ?? join(repoRoot(), "results")),
    cacheDir: resolve(options.cacheDir ?? Deno.env.get("REPRO_CACHE_DIR") ?? join(repoRoot(), ".cache")),
  };
  const lockRef: { lock: Lock | null } = { lock: null };
  try {
    return await reproduceLocked(call, lockRef);
  } catch (e) {
    if (e instanceof PipelineError || e instanceof UserError) {
      call.err(e.message);
      return { exitCode: e instanceof UserError ? e.exitCode : 2 };
    }
    if (isWriteDenied(e)) {
      call.err(`Cannot write to the results folder ${call.resultsDir}: ${(e as Error).message}`);
      return { exitCode: 2 };
    }
    throw e;
  } finally {
    await lockRef.lock?.release();
  }
}
