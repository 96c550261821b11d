/**
 * Running a profile's pending runs as a Slurm job array: the resources
 * (defaults, the pipeline's and profile's `slurm:`, the flags), submission,
 * waiting, resubmission of tasks cut short, and the schedule it reports.
 *
 * @example
 * ```ts
 * import { slurmResources } from "./cluster.ts";
 * import { loadAndPlan } from "./load_plan.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { plan } = await loadAndPlan({ pipeline: "value-rnn-td", profile: "smoke", backend: "wasm" });
 * assertEquals(slurmResources(plan, { time: "00:10:00" }).time, "00:10:00");
 * ```
 * @module
 */
import { UserError } from "../../util/errors.ts";
import { type Plan, type PlannedRun } from "../pipeline/plan.ts";
import { clearRunForRerun, profileDir, runDir, runState } from "../results/layout.ts";
import { runSpec, type ScheduleResult, workerCommand } from "../run/scheduler.ts";
import { runOnSlurm, slurmAvailable, type SlurmResources } from "../run/slurm.ts";
import type { ProgressSink } from "../run/progress.ts";
import { count } from "../../util/format.ts";
import type { ReproduceOptions, SlurmFlags } from "./options.ts";

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
export async function runOnCluster(
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
