/**
 * Running a grid on a Slurm cluster: the runs that are not complete go into
 * one job array (one run per task, read from a manifest in the results
 * folder, which the cluster's nodes share), each task runs the same worker a
 * local run uses, and this process waits, showing each task's state and
 * epoch, until every task has ended. Tasks that end without a complete run
 * (cancelled, timed out, pre-empted, killed for memory) are submitted again
 * as soon as their end is seen, up to `retries` times, and resume from their
 * checkpoints, so that the results are those of an uninterrupted run. An
 * interrupt (Ctrl-C) cancels every array still running and waits for its
 * tasks to stop; their checkpoints stay for the next reproduce. A task that fails for a reason
 * a retry cannot fix (the experiment's own error, a bad spec, out of memory
 * at the same step twice) is reported with its Slurm state, log and last
 * lines instead.
 *
 * Slurm keeps a job's record for a while after it ends (MinJobAge), so the
 * truth is read from the run folders first, then from sacct, scontrol or the
 * task's output file.
 *
 * ```
 * results/<pipeline>/<profile>/slurm/
 *   <n>/manifest.txt   the spec.json of each task, by line
 *   <n>/job.sh         the batch script
 *   <n>/<job>_<task>.out  each task's output (the worker's JSON lines)
 *   jobs.json          every submission: job id and run keys (for --detach and later reproduces)
 * ```
 *
 * @example
 * ```ts
 * import { batchScript } from "./slurm.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const script = batchScript({ manifest: "m.txt", outDir: "out", tasks: 3, maxParallel: 2, resources: { cpus: 1, mem: "2G", time: "01:00:00" }, name: "repro" }, ["deno", "run", "-A", "worker.ts"]);
 * assert(script.includes("#SBATCH --array=0-2%2"));
 * ```
 * @module
 */
import { join } from "node:path";
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from "../../util/atomic.ts";
import type { PlannedRun } from "../pipeline/plan.ts";
import { type FailureRecord, runDir, type RunSpec, runState } from "../results/layout.ts";
import type { ProgressSink } from "./progress.ts";
import { decodeCheckpoint } from "./checkpoint.ts";

/** What each task asks of the cluster. */
export interface SlurmResources {
  cpus: number;
  /** Memory per task, as sbatch takes it (2G, 500M). */
  mem: string;
  /** Time limit per task, as sbatch takes it (HH:MM:SS or D-HH:MM:SS). */
  time: string;
  gpus?: number;
  partition?: string;
  account?: string;
  qos?: string;
}

/** Options of runOnSlurm. */
export interface SlurmOptions {
  resources: SlurmResources;
  /** At most this many tasks at once (the array's %N). */
  maxParallel?: number;
  /** Submissions of a run after its first. */
  retries: number;
  /** Submit and return the job id without waiting. */
  detach: boolean;
  pollIntervalS?: number;
  /** Environment for the Slurm commands (SLURM_CONF, PATH). */
  env?: Record<string, string>;
  /** Aborting cancels the arrays still running and returns once their tasks have stopped. */
  signal?: AbortSignal;
}

/** One submission of a job array. */
export interface Submission {
  jobId: string;
  dir: string;
  /** Run keys by task index. */
  keys: string[];
  submitted: string;
}

/** How a run ended on the cluster. */
export interface SlurmRunOutcome {
  run: PlannedRun;
  /** "interrupted": cancelled by this process's interrupt; the run resumes from its checkpoint when reproduced again. */
  status: "complete" | "failed" | "interrupted";
  /** Slurm's final state of its last task (COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, ...). */
  slurmState: string;
  attempts: number;
  reason?: string;
  log?: string;
  logTail?: string;
}

/** The batch script of a job array whose task i runs the spec on line i + 1 of the manifest. */
export function batchScript(
  s: { manifest: string; outDir: string; tasks: number; maxParallel?: number; resources: SlurmResources; name: string },
  worker: string[],
): string {
  const r = s.resources;
  const q = (x: string) => `'${x.replaceAll("'", "'\\''")}'`;
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${s.name}`,
    `#SBATCH --array=0-${s.tasks - 1}${s.maxParallel ? `%${s.maxParallel}` : ""}`,
    `#SBATCH --cpus-per-task=${r.cpus}`,
    `#SBATCH --mem=${r.mem}`,
    `#SBATCH --time=${r.time}`,
    `#SBATCH --output=${join(s.outDir, "%A_%a.out")}`,
    ...(r.gpus ? [`#SBATCH --gpus=${r.gpus}`] : []),
    ...(r.partition ? [`#SBATCH --partition=${r.partition}`] : []),
    ...(r.account ? [`#SBATCH --account=${r.account}`] : []),
    ...(r.qos ? [`#SBATCH --qos=${r.qos}`] : []),
    "set -euo pipefail",
    `spec=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" ${q(s.manifest)})`,
    'echo "{\\"type\\":\\"task\\",\\"spec\\":\\"$spec\\",\\"host\\":\\"$(hostname)\\",\\"restart\\":\\"${SLURM_RESTART_COUNT:-0}\\"}"',
    `exec ${worker.map(q).join(" ")} "$spec"`,
    "",
  ];
  return lines.join("\n");
}

async function command(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ ok: boolean; out: string; err: string }> {
  try {
    const o = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { ok: o.success, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

/** True when sbatch can be run here. */
export async function slurmAvailable(env?: Record<string, string>): Promise<boolean> {
  return (await command("sbatch", ["--version"], env)).ok;
}

/** The states of a job's array tasks still in the queue: "<job>_<task>" -> state. */
export async function queueStates(jobIds: string[], env?: Record<string, string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (jobIds.length === 0) return out;
  const r = await command("squeue", ["-h", "-r", "-j", jobIds.join(","), "-o", "%i|%T"], env);
  if (!r.ok) return out; // a finished job's id may be unknown to squeue: nothing queued
  for (const line of r.out.trim().split("\n").filter(Boolean)) {
    const [id, state] = line.trim().split("|");
    out.set(id, state);
  }
  return out;
}

/** A finished task's state: sacct, else scontrol (within MinJobAge), else its output file, else UNKNOWN. */
export async function finalState(task: string, outFile: string, env?: Record<string, string>): Promise<string> {
  const text = await Deno.readTextFile(outFile).catch(() => "");
  // Killed for memory: slurmstepd says so in the task's output, whatever state the job ends in (FAILED, CANCELLED).
  if (/exceeded (job )?memory limit|oom[-_ ]kill|out of memory/i.test(text)) return "OUT_OF_MEMORY";
  const acct = await command("sacct", ["-n", "-P", "-X", "-j", task, "--format=State"], env);
  if (acct.ok && acct.out.trim()) return acct.out.trim().split("\n")[0].split(" ")[0];
  const ctl = await command("scontrol", ["show", "job", "-o", task], env);
  const m = ctl.ok ? ctl.out.match(/JobState=(\S+)/) : null;
  if (m) return m[1];
  if (/DUE TO TIME LIMIT/.test(text)) return "TIMEOUT";
  if (/CANCELLED/.test(text)) return "CANCELLED";
  return "UNKNOWN";
}

/** True while Slurm reports the job (or array task) pending, running or completing; false when it has ended. */
export async function jobActive(jobId: string, env?: Record<string, string>): Promise<boolean | null> {
  const r = await command("squeue", ["-h", "-j", jobId, "-o", "%T"], env);
  if (!r.ok) {
    if (/Invalid job id/i.test(r.err)) return false;
    return null; // Slurm cannot be asked
  }
  return r.out.trim().split("\n").some((s) =>
    ["PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED"].includes(s.trim())
  );
}

async function tail(path: string, lines: number): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** The last progress message a task's worker printed, and whether it reported an outcome. */
async function taskOutput(
  outFile: string,
): Promise<
  { progress: { done: number; total: number; note?: string } | null; outcome: Record<string, unknown> | null }
> {
  const text = await Deno.readTextFile(outFile).catch(() => "");
  let progress = null, outcome = null;
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const msg = JSON.parse(line);
      if (msg.type === "progress") progress = msg;
      else if (msg.type === "complete" || msg.type === "failed" || msg.type === "locked") outcome = msg;
    } catch {
      // not a worker line
    }
  }
  return { progress, outcome };
}

/** The step of a run's checkpoint, if it has one. */
async function checkpointStep(dir: string, key: string): Promise<number | null> {
  try {
    return decodeCheckpoint(await Deno.readFile(join(dir, "checkpoint.safetensors")), key).data.step;
  } catch {
    return null;
  }
}

/** The file recording every submission of a profile. */
export function jobsFile(profileDirPath: string): string {
  return join(profileDirPath, "slurm", "jobs.json");
}

/** Submissions recorded for a profile. */
export async function readSubmissions(profileDirPath: string): Promise<Submission[]> {
  return (await readJsonIfExists<Submission[]>(jobsFile(profileDirPath))) ?? [];
}

/** Submits the runs as one job array; their specs must already be written. */
export async function submit(
  runs: PlannedRun[],
  specOf: (run: PlannedRun) => RunSpec,
  o: {
    profileDir: string;
    resultsDir: string;
    worker: string[];
    resources: SlurmResources;
    maxParallel?: number;
    name: string;
    env?: Record<string, string>;
  },
): Promise<Submission> {
  const previous = await readSubmissions(o.profileDir);
  const dir = join(o.profileDir, "slurm", String(previous.length + 1));
  const specPaths: string[] = [];
  for (const run of runs) {
    const spec = specOf(run);
    const path = join(runDir(o.resultsDir, run.key), "spec.json");
    await writeJsonAtomic(path, spec);
    specPaths.push(path);
  }
  const manifest = join(dir, "manifest.txt");
  await writeFileAtomic(manifest, specPaths.join("\n") + "\n");
  const script = join(dir, "job.sh");
  await writeFileAtomic(
    script,
    batchScript({
      manifest,
      outDir: dir,
      tasks: runs.length,
      maxParallel: o.maxParallel,
      resources: o.resources,
      name: o.name,
    }, o.worker),
  );
  const r = await command("sbatch", ["--parsable", script], o.env);
  if (!r.ok) throw new Error(`sbatch refused the job array: ${r.err.trim() || r.out.trim()}`);
  const jobId = r.out.trim().split(";")[0];
  const sub: Submission = { jobId, dir, keys: runs.map((x) => x.key), submitted: new Date().toISOString() };
  await writeJsonAtomic(jobsFile(o.profileDir), [...previous, sub]);
  return sub;
}

/** Runs of the plan that a recorded submission still runs (pending or running in Slurm): key -> job id. */
export async function activeElsewhere(
  profileDirPath: string,
  env?: Record<string, string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const s of await readSubmissions(profileDirPath)) {
    const states = await queueStates([s.jobId], env);
    s.keys.forEach((k, i) => {
      const st = states.get(`${s.jobId}_${i}`);
      if (st && ["PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED"].includes(st)) out.set(k, s.jobId);
    });
  }
  return out;
}

const RETRYABLE = new Set([
  "CANCELLED",
  "TIMEOUT",
  "PREEMPTED",
  "NODE_FAIL",
  "OUT_OF_MEMORY",
  "BOOT_FAIL",
  "DEADLINE",
  "REQUEUED",
]);

/** One task of a submitted array that has not ended yet. */
interface LiveTask {
  run: PlannedRun;
  sub: Submission;
  /** Its index in the array: the task is "<job>_<index>". */
  index: number;
  started: boolean;
}

/** Sleeps, waking early when the signal aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}

/** Why a task that ended without a complete run ended, and whether a resubmission can fix it. */
async function diagnose(
  task: LiveTask,
  o: { resultsDir: string; env?: Record<string, string>; oomSteps: Map<string, number | null> },
): Promise<{ slurmState: string; step: number | null; retryable: boolean; reason: string; outFile: string }> {
  const { run, sub, index } = task;
  const name = `${sub.jobId}_${index}`, outFile = join(sub.dir, `${name}.out`);
  const dir = runDir(o.resultsDir, run.key);
  const slurmState = await finalState(name, outFile, o.env);
  const { outcome } = await taskOutput(outFile);
  const failure = await readJsonIfExists<FailureRecord>(join(dir, "failure.json"));
  const step = await checkpointStep(dir, run.key);
  let retryable = RETRYABLE.has(slurmState) || (slurmState === "FAILED" && !outcome && !failure);
  let why = "";
  if (outcome?.type === "failed" || (failure && !RETRYABLE.has(slurmState))) {
    retryable = false; // the experiment's own error: the same input fails the same way
    why = `: the run failed: ${String(outcome?.error ?? failure?.error ?? "")}`;
  }
  if (slurmState === "OUT_OF_MEMORY" || /oom/i.test(slurmState)) {
    if (o.oomSteps.has(run.key) && o.oomSteps.get(run.key) === step) {
      retryable = false;
      why = `: out of memory twice at the same step (${step ?? "before the first checkpoint"}); raise --mem`;
    }
    o.oomSteps.set(run.key, step);
  }
  return { slurmState, step, retryable, reason: `Slurm state ${slurmState}${why}`, outFile };
}

/**
 * Submits the pending runs and waits for them (unless detached). A task cut
 * short (cancelled, pre-empted, timed out, node failure, out of memory) is
 * submitted again, in an array of its own, as soon as its end is seen, while
 * the rest of the first array still runs; at most `retries` times. When the
 * signal aborts, every array still running is cancelled (scancel), the tasks'
 * end is awaited (their checkpoints stay), and the runs that did not finish
 * come back "interrupted". Returns each run's outcome (none when detached).
 */
export async function runOnSlurm(
  runs: PlannedRun[],
  specOf: (run: PlannedRun) => RunSpec,
  o: WatchTarget,
  options: SlurmOptions,
): Promise<{ submissions: Submission[]; outcomes: SlurmRunOutcome[] }> {
  const signal = options.signal;
  const w: Watch = {
    specOf,
    o,
    options,
    submissions: [],
    attempts: new Map(),
    oomSteps: new Map(),
    outcomes: [],
    live: [],
    notResubmitted: [],
  };
  if (signal?.aborted) w.notResubmitted.push(...runs);
  else await launch(w, runs);
  if (options.detach) return { submissions: w.submissions, outcomes: w.outcomes };
  while (w.live.length > 0 && !signal?.aborted) {
    await pause((options.pollIntervalS ?? 2) * 1000, signal);
    if (signal?.aborted) break;
    const retry = await poll(w);
    if (retry.length > 0 && signal?.aborted) w.notResubmitted.push(...retry);
    else if (retry.length > 0) await launch(w, retry);
  }
  if (signal?.aborted) await cancelLive(w);
  return { submissions: w.submissions, outcomes: w.outcomes };
}

/** Where runOnSlurm submits and reports. */
interface WatchTarget {
  profileDir: string;
  resultsDir: string;
  worker: string[];
  name: string;
  progress: ProgressSink;
  log: (l: string) => void;
}

/** What runOnSlurm keeps while it watches its arrays. */
interface Watch {
  specOf: (run: PlannedRun) => RunSpec;
  o: WatchTarget;
  options: SlurmOptions;
  submissions: Submission[];
  /** Submissions of each run so far, and the step of its last out-of-memory end. */
  attempts: Map<string, number>;
  oomSteps: Map<string, number | null>;
  outcomes: SlurmRunOutcome[];
  /** Tasks still queued or running. */
  live: LiveTask[];
  /** Runs cut short whose resubmission an interrupt stopped. */
  notResubmitted: PlannedRun[];
}

/** Submits one job array of `batch` and adds its tasks to those watched. */
async function launch(w: Watch, batch: PlannedRun[]): Promise<void> {
  const { o, options } = w;
  const sub = await submit(batch, w.specOf, {
    ...o,
    resources: options.resources,
    maxParallel: options.maxParallel,
    env: options.env,
  });
  w.submissions.push(sub);
  for (const r of batch) w.attempts.set(r.key, (w.attempts.get(r.key) ?? 0) + 1);
  o.log(`Submitted job array ${sub.jobId}: ${batch.length} task${batch.length === 1 ? "" : "s"} (${sub.dir})`);
  w.live.push(...batch.map((run, index) => ({ run, sub, index, started: false })));
}

/** Reports a task as started, once. */
function begin(w: Watch, t: LiveTask): void {
  if (t.started) return;
  t.started = true;
  w.o.progress.runStarted(t.run.key, `${t.run.cell} seed ${t.run.seed} (task ${t.sub.jobId}_${t.index})`);
}

const isComplete = async (w: Watch, t: LiveTask) =>
  await runState(runDir(w.o.resultsDir, t.run.key), t.run.key) === "complete";

/** One look at the queue: progress of running tasks, outcomes of ended ones; returns the runs to submit again. */
async function poll(w: Watch): Promise<PlannedRun[]> {
  const states = await queueStates([...new Set(w.live.map((t) => t.sub.jobId))], w.options.env);
  const retry: PlannedRun[] = [];
  const still: LiveTask[] = [];
  for (const t of w.live) {
    const state = states.get(`${t.sub.jobId}_${t.index}`);
    if (state === "RUNNING" || state === "COMPLETING") {
      begin(w, t);
      const { progress } = await taskOutput(join(t.sub.dir, `${t.sub.jobId}_${t.index}.out`));
      if (progress) w.o.progress.runProgress(t.run.key, progress.done, progress.total, progress.note);
    }
    if (state !== undefined) still.push(t); // pending, running, configuring, suspended
    else if (await settleEnded(w, t)) retry.push(t.run);
  }
  w.live = still;
  return retry;
}

/** A task gone from the queue: the run folder says whether it completed; returns whether to submit it again. */
async function settleEnded(w: Watch, t: LiveTask): Promise<boolean> {
  const { o, options } = w;
  begin(w, t);
  const attempt = w.attempts.get(t.run.key)!;
  if (await isComplete(w, t)) {
    o.progress.runEnded(t.run.key, "complete");
    w.outcomes.push({ run: t.run, status: "complete", slurmState: "COMPLETED", attempts: attempt });
    return false;
  }
  const d = await diagnose(t, { resultsDir: o.resultsDir, env: options.env, oomSteps: w.oomSteps });
  if (d.retryable && attempt <= options.retries) {
    const at = d.step !== null ? ` at step ${d.step}` : "";
    o.log(
      `Task ${t.sub.jobId}_${t.index} (${t.run.cell} seed ${t.run.seed}) ended ${d.slurmState}${at}: submitting it again`,
    );
    o.progress.runEnded(t.run.key, "interrupted");
    return true;
  }
  o.progress.runEnded(t.run.key, "failed");
  w.outcomes.push({
    run: t.run,
    status: "failed",
    slurmState: d.slurmState,
    attempts: attempt,
    reason: d.retryable ? `${d.reason}; no retries left (--retries ${options.retries})` : d.reason,
    log: d.outFile,
    logTail: await tail(d.outFile, 12),
  });
  return false;
}

/** After an interrupt: cancels the live tasks, waits for them, and files each run complete or interrupted. */
async function cancelLive(w: Watch): Promise<void> {
  const { o, options } = w;
  await cancelAndWait(w.live, { env: options.env, log: o.log, pollIntervalS: options.pollIntervalS ?? 2 });
  for (const t of w.live) {
    const done = await isComplete(w, t);
    o.progress.runEnded(t.run.key, done ? "complete" : "interrupted");
    w.outcomes.push({
      run: t.run,
      status: done ? "complete" : "interrupted",
      slurmState: done ? "COMPLETED" : "CANCELLED",
      attempts: w.attempts.get(t.run.key)!,
    });
  }
  for (const run of w.notResubmitted) {
    w.outcomes.push({ run, status: "interrupted", slurmState: "CANCELLED", attempts: w.attempts.get(run.key) ?? 0 });
  }
}

/** Cancels the arrays of the live tasks and waits (up to a minute) until Slurm has none of them queued. */
async function cancelAndWait(
  live: LiveTask[],
  o: { env?: Record<string, string>; log: (l: string) => void; pollIntervalS: number },
): Promise<void> {
  const jobs = [...new Set(live.map((t) => t.sub.jobId))];
  if (jobs.length === 0) return;
  const r = await command("scancel", jobs, o.env);
  o.log(
    r.ok
      ? `Cancelled job array${jobs.length === 1 ? "" : "s"} ${jobs.join(", ")}; waiting for the tasks to stop.`
      : `scancel ${jobs.join(" ")} failed: ${r.err.trim()}; check with 'squeue -j ${jobs.join(",")}'.`,
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    // Gone from the queue: squeue lists none of their tasks, or no longer knows the ids. Any other squeue error
    // (a controller busy right after scancel, say) proves nothing: ask again.
    const r = await command("squeue", ["-h", "-r", "-j", jobs.join(","), "-o", "%i"], o.env);
    if (r.ok ? r.out.trim() === "" : /invalid job id/i.test(r.err)) return;
    await pause(Math.min(1000, o.pollIntervalS * 1000));
  }
  o.log(
    `Some tasks of ${jobs.join(", ")} are still in the queue after a minute; check with 'squeue -j ${jobs.join(",")}'.`,
  );
}
