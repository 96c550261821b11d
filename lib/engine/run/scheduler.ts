/**
 * Runs planned runs in worker processes, `jobs` at a time. Each run is its
 * own process (a crash or a leak in one cannot touch another, and results do
 * not depend on which runs shared a process). One failed run does not stop
 * the others.
 *
 * @example
 * ```ts
 * import { workerCommand } from "./scheduler.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { args } = workerCommand("results/runs/3f2a/spec.json");
 * assertEquals(args.at(-1), "results/runs/3f2a/spec.json"); // one process per run
 * ```
 * @module
 */
import { join } from "node:path";
import { writeJsonAtomic } from "../../util/atomic.ts";
import type { BackendName } from "./backend.ts";
import type { PlannedRun } from "../pipeline/plan.ts";
import type { ProgressSink } from "./progress.ts";
import { repoRoot } from "../../util/repo.ts";
import { clearRunForRerun, type FailureRecord, runDir, type RunSpec, runState } from "../results/layout.ts";

/** Options for executeRuns. */
export interface ScheduleOptions {
  resultsDir: string;
  jobs: number;
  /** Rerun complete runs too. */
  force: boolean;
  registry: string[];
  backend: BackendName;
  datasets: Record<string, string>;
  progress: ProgressSink;
  /** Aborting stops starting runs and terminates the active ones (they resume later). */
  signal?: AbortSignal;
  /** Extra environment for workers (test hooks). */
  env?: Record<string, string>;
}

/** A run that did not complete. */
export interface FailedRun {
  run: PlannedRun;
  error: string;
  step: FailureRecord["step"];
  log: string;
  logTail: string;
}

/** What happened to each run. */
export interface ScheduleResult {
  cached: PlannedRun[];
  completed: PlannedRun[];
  failed: FailedRun[];
  /** Runs another process was running (their lock was held). */
  locked: { run: PlannedRun; error: string }[];
  /** Runs not started or stopped because of an interrupt. */
  interrupted: PlannedRun[];
}

/** The spec file a worker reads. */
export function runSpec(
  run: PlannedRun,
  options: Pick<ScheduleOptions, "resultsDir" | "registry" | "backend" | "datasets">,
): RunSpec {
  return {
    key: run.key,
    parts: run.parts,
    pipeline: run.pipeline,
    profile: run.profile,
    cell: run.cell,
    labels: run.labels,
    seed: run.seed,
    config: run.config,
    registry: options.registry,
    backend: options.backend,
    datasets: options.datasets,
    dir: runDir(options.resultsDir, run.key),
  };
}

/** The command line that runs one spec in its own process. */
export function workerCommand(specPath: string): { cmd: string; args: string[] } {
  const root = repoRoot();
  return {
    cmd: Deno.execPath(),
    args: [
      "run",
      "--allow-all",
      "--quiet",
      "--config",
      join(root, "deno.json"),
      join(root, "lib/engine/run/worker.ts"),
      specPath,
    ],
  };
}

async function tail(path: string, lines: number): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * Reads a worker's stdout: one JSON message per line; progress messages go to `onProgress`, and the last
 * other message (complete, failed, locked) is the outcome. Lines that are not JSON are stray output.
 */
async function workerOutcome(
  stdout: ReadableStream<Uint8Array>,
  onProgress: (done: number, total: number, note?: string) => void,
): Promise<Record<string, unknown> | null> {
  let outcome: Record<string, unknown> | null = null;
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        continue; // stray output
      }
      if (msg.type === "progress") onProgress(msg.done as number, msg.total as number, msg.note as string | undefined);
      else outcome = msg;
    }
  }
  return outcome;
}

/** A stream's whole text. */
async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  return new TextDecoder().decode(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}

/** Spawns the worker process of one run (its spec.json written first) and waits for its outcome. */
async function spawnWorker(run: PlannedRun, options: ScheduleOptions, active: Set<Deno.ChildProcess>) {
  const dir = runDir(options.resultsDir, run.key);
  const specPath = join(dir, "spec.json");
  await Deno.mkdir(dir, { recursive: true });
  if (options.force) await clearRunForRerun(dir);
  await writeJsonAtomic(specPath, runSpec(run, options));
  const { cmd, args } = workerCommand(specPath);
  const child = new Deno.Command(cmd, {
    args,
    cwd: repoRoot(),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: options.env,
  }).spawn();
  active.add(child);
  options.progress.runStarted(run.key, `${run.cell} seed ${run.seed}`);
  const readStdout = workerOutcome(
    child.stdout,
    (done, total, note) => options.progress.runProgress(run.key, done, total, note),
  );
  const stderr = readText(child.stderr);
  const status = await child.status;
  const outcome = (await readStdout) as Record<string, unknown> | null;
  const errText = (await stderr).trim();
  active.delete(child);
  const logPath = join(dir, "run.log");
  if (errText) await Deno.writeTextFile(logPath, `[stderr of worker ${child.pid}]\n${errText}\n`, { append: true });
  return { status, outcome, errText, logPath };
}

/** Files a finished worker's run under completed, locked, interrupted or failed, and reports it. */
async function fileOutcome(
  run: PlannedRun,
  worker: Awaited<ReturnType<typeof spawnWorker>>,
  options: ScheduleOptions,
  result: ScheduleResult,
): Promise<void> {
  const { status, outcome: o, errText, logPath } = worker;
  if (status.code === 0 && o?.type === "complete") {
    result.completed.push(run);
    options.progress.runEnded(run.key, "complete");
  } else if (o?.type === "locked") {
    result.locked.push({ run, error: String(o.error) });
    options.progress.runEnded(run.key, "locked");
  } else if (options.signal?.aborted) {
    result.interrupted.push(run);
    options.progress.runEnded(run.key, "interrupted");
  } else {
    const exit = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
    const error = o?.type === "failed"
      ? String(o.error)
      : `worker exited with ${exit}${errText ? `: ${errText.split("\n").slice(-3).join(" | ")}` : ""}`;
    result.failed.push({
      run,
      error,
      step: (o?.step as FailureRecord["step"]) ?? null,
      log: logPath,
      logTail: await tail(logPath, 15),
    });
    options.progress.runEnded(run.key, "failed");
  }
}

/** Executes the runs that are not complete (all of them with `force`). */
export async function executeRuns(runs: PlannedRun[], options: ScheduleOptions): Promise<ScheduleResult> {
  const result: ScheduleResult = { cached: [], completed: [], failed: [], locked: [], interrupted: [] };
  const todo: PlannedRun[] = [];
  for (const run of runs) {
    const state = await runState(runDir(options.resultsDir, run.key), run.key);
    if (state === "complete" && !options.force) result.cached.push(run);
    else todo.push(run);
  }
  const active = new Set<Deno.ChildProcess>();
  const onAbort = () => {
    for (const child of active) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
  };
  options.signal?.addEventListener("abort", onAbort);
  let next = 0;
  const lane = async () => {
    while (next < todo.length && !options.signal?.aborted) {
      const run = todo[next++];
      await fileOutcome(run, await spawnWorker(run, options, active), options, result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, todo.length)) }, lane));
  options.signal?.removeEventListener("abort", onAbort);
  for (let i = next; i < todo.length; i++) result.interrupted.push(todo[i]);
  // Keep plan order in every list.
  const order = new Map(runs.map((r, i) => [r.key, i]));
  const byOrder = (a: { key: string }, b: { key: string }) => order.get(a.key)! - order.get(b.key)!;
  result.completed.sort(byOrder);
  result.failed.sort((a, b) => byOrder(a.run, b.run));
  result.interrupted.sort(byOrder);
  return result;
}
