/**
 * Running a grid on a Slurm cluster: the runs that are not complete go into
 * one job array (one run per task, read from a manifest in the results
 * folder, which the cluster's nodes share), each task runs the same worker a
 * local run uses, and this process waits, showing each task's state and
 * epoch, until every task has ended. Tasks that end without a complete run
 * (cancelled, timed out, pre-empted, killed for memory) are submitted again,
 * up to `retries` times, and resume from their checkpoints, so that the
 * results are those of an uninterrupted run. A task that fails for a reason
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
 * const script = batchScript({ manifest: "m.txt", outDir: "out", tasks: 3, maxParallel: 2, resources: { cpus: 1, mem: "2G", time: "01:00:00" }, name: "repro" }, ["deno", "run", "-A", "worker.ts"]);
 * script.includes("#SBATCH --array=0-2%2"); // true
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
  status: "complete" | "failed";
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

/**
 * Submits the pending runs and waits for them (unless detached), resubmitting
 * tasks that were cut short. Returns each run's outcome (none when detached).
 */
export async function runOnSlurm(
  runs: PlannedRun[],
  specOf: (run: PlannedRun) => RunSpec,
  o: {
    profileDir: string;
    resultsDir: string;
    worker: string[];
    name: string;
    progress: ProgressSink;
    log: (l: string) => void;
  },
  options: SlurmOptions,
): Promise<{ submissions: Submission[]; outcomes: SlurmRunOutcome[] }> {
  const submissions: Submission[] = [];
  const attempts = new Map<string, number>();
  const oomSteps = new Map<string, number | null>();
  const outcomes: SlurmRunOutcome[] = [];
  let todo = runs;
  while (todo.length > 0) {
    const sub = await submit(todo, specOf, {
      ...o,
      resources: options.resources,
      maxParallel: options.maxParallel,
      env: options.env,
    });
    submissions.push(sub);
    for (const r of todo) attempts.set(r.key, (attempts.get(r.key) ?? 0) + 1);
    o.log(`Submitted job array ${sub.jobId}: ${todo.length} task${todo.length === 1 ? "" : "s"} (${sub.dir})`);
    if (options.detach) return { submissions, outcomes };
    const byIndex = todo;
    const started = new Set<number>(), ended = new Set<number>();
    const retry: PlannedRun[] = [];
    while (ended.size < byIndex.length) {
      await new Promise((r) => setTimeout(r, (options.pollIntervalS ?? 2) * 1000));
      const states = await queueStates([sub.jobId], options.env);
      for (let i = 0; i < byIndex.length; i++) {
        if (ended.has(i)) continue;
        const run = byIndex[i];
        const task = `${sub.jobId}_${i}`;
        const state = states.get(task);
        const outFile = join(sub.dir, `${task}.out`);
        if (state === "RUNNING" || state === "COMPLETING") {
          if (!started.has(i)) {
            started.add(i);
            o.progress.runStarted(run.key, `${run.cell} seed ${run.seed} (task ${task})`);
          }
          const { progress } = await taskOutput(outFile);
          if (progress) o.progress.runProgress(run.key, progress.done, progress.total, progress.note);
          continue;
        }
        if (state !== undefined) continue; // pending, configuring, suspended
        // Gone from the queue: it ended. The run folder says whether it completed.
        ended.add(i);
        if (!started.has(i)) o.progress.runStarted(run.key, `${run.cell} seed ${run.seed} (task ${task})`);
        const dir = runDir(o.resultsDir, run.key);
        if (await runState(dir, run.key) === "complete") {
          o.progress.runEnded(run.key, "complete");
          outcomes.push({ run, status: "complete", slurmState: "COMPLETED", attempts: attempts.get(run.key)! });
          continue;
        }
        const slurmState = await finalState(task, outFile, options.env);
        const { outcome } = await taskOutput(outFile);
        const failure = await readJsonIfExists<FailureRecord>(join(dir, "failure.json"));
        const step = await checkpointStep(dir, run.key);
        let reason = `Slurm state ${slurmState}`;
        let retryable = RETRYABLE.has(slurmState) || (slurmState === "FAILED" && !outcome && !failure);
        if (outcome?.type === "failed" || (failure && !RETRYABLE.has(slurmState))) {
          retryable = false; // the experiment's own error: the same input fails the same way
          reason = `the run failed: ${String(outcome?.error ?? failure?.error ?? "")}`;
        }
        if (slurmState === "OUT_OF_MEMORY" || /oom/i.test(slurmState)) {
          if (oomSteps.has(run.key) && oomSteps.get(run.key) === step) {
            retryable = false;
            reason = `out of memory twice at the same step (${step ?? "before the first checkpoint"}); raise --mem`;
          }
          oomSteps.set(run.key, step);
        }
        if (retryable && attempts.get(run.key)! <= options.retries) {
          o.log(
            `Task ${task} (${run.cell} seed ${run.seed}) ended ${slurmState}${
              step !== null ? ` at step ${step}` : ""
            }: submitting it again`,
          );
          retry.push(run);
          o.progress.runEnded(run.key, "interrupted");
          continue;
        }
        o.progress.runEnded(run.key, "failed");
        outcomes.push({
          run,
          status: "failed",
          slurmState,
          attempts: attempts.get(run.key)!,
          reason: retryable ? `${reason}; no retries left (--retries ${options.retries})` : reason,
          log: outFile,
          logTail: await tail(outFile, 12),
        });
      }
    }
    todo = retry;
  }
  return { submissions, outcomes };
}
