/**
 * Command-line parsing shared by the tasks (node:util parseArgs).
 *
 * @example
 * ```ts
 * import { parseReproduceArgs } from "./cli.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const opts = parseReproduceArgs(["hnca-bandit", "--profile", "smoke", "--only", "seed=0"]);
 * assertEquals(opts.only, { seed: ["0"] });
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { UserError } from "../../util/errors.ts";
import { didYouMean } from "../../util/suggest.ts";
import { type ReproduceOptions } from "./options.ts";

/** Flags of reproduce, ablations, plot and run. */
export const REPRODUCE_USAGE = `Usage: deno task reproduce <pipeline> [options]

  <pipeline>            a name under pipelines/ (hnca-bandit) or a path to a YAML file
  --profile P           smoke | quick | paper | ... (default: the pipeline's default_profile)
  --backend B           auto | wasm | webgpu | cpu (default auto: webgpu on a real GPU, else wasm)
  --jobs N              runs in parallel, one process each (default: number of CPU cores)
  --dry-run             print the stages and every run with its key and state; run nothing
  --aggregate-only      train nothing: write hashes, summaries, claims and figures from the runs
                        that finished and list the others (also: deno task aggregate)
  --explain             like --dry-run, plus each run's key parts and why a run is not cached
  --force               rerun runs that are complete
  --only KEY=VALUE      only runs whose axis (or seed) has this value; repeatable
  --set PATH=VALUE      override a config value for every run (YAML value); repeatable
  --results DIR         results folder (default results/)
  --dataset-dir N=DIR   dataset N from this folder instead of the pipeline's source; repeatable
  --mnist-dir DIR       the same as --dataset-dir mnist=DIR (IDX files, raw or .gz)
  --registry MODULE     also load experiments from this registry module (plugins)
  --progress MODE       auto | bars | lines (default auto: bars on a terminal)
  --emit-commands       print one command per run that is not complete (for cluster job arrays)
  --strict-claims       exit with code 4 when a checked claim fails
  --no-plots            skip figures
  --executor E          local (default: processes on this machine) | slurm (a job array; see docs/cluster.md)
  --detach              with slurm: submit, print the job id and return
  --partition P, --account A, --qos Q, --time T, --mem M
                        with slurm: override the pipeline's slurm: resources
  --max-parallel N      with slurm: at most N tasks at once (the array's %N)
  --retries N           with slurm: resubmit a task cut short (cancelled, timed out, pre-empted,
                        out of memory) up to N times, resuming its checkpoint (default 2)
  -h, --help            this text

Exit codes: 0 ok, 1 a run failed, 2 bad input, 3 locked by another process,
4 a claim failed (--strict-claims), 130 interrupted (run again to resume).`;

/** The long flags reproduce-style tasks take. */
const REPRODUCE_FLAGS = [
  "profile",
  "backend",
  "jobs",
  "dry-run",
  "aggregate-only",
  "explain",
  "force",
  "only",
  "set",
  "results",
  "mnist-dir",
  "dataset-dir",
  "registry",
  "progress",
  "emit-commands",
  "strict-claims",
  "no-plots",
  "executor",
  "detach",
  "partition",
  "account",
  "qos",
  "time",
  "mem",
  "max-parallel",
  "retries",
  "help",
];

/**
 * A parseArgs error as a user should read it: an unknown flag with the
 * closest known ones (instead of node's hint about positional arguments).
 */
export function argsErrorText(e: Error, flags: string[]): string {
  const m = e.message.match(/Unknown option '(-{1,2})([^']+)'/);
  if (m) {
    return `Unknown option '${m[1]}${m[2]}'.${didYouMean(m[2], flags.map((f) => f)).replace(/'([^']+)'/g, "'--$1'")}`;
  }
  return e.message;
}

/** Parsed flags plus the task-specific extras. */
export interface ParsedReproduceArgs extends ReproduceOptions {
  help: boolean;
  emitCommands: boolean;
  positionals: string[];
}

function keyValues(list: string[] | undefined, flag: string): [string, string][] {
  return (list ?? []).map((kv) => {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UserError(`${flag} expects KEY=VALUE, got '${kv}'`);
    return [kv.slice(0, i), kv.slice(i + 1)];
  });
}

/** The flags of reproduce-style commands, for node:util's parseArgs. */
const REPRODUCE_OPTIONS = {
  profile: { type: "string" },
  backend: { type: "string" },
  jobs: { type: "string" },
  "dry-run": { type: "boolean" },
  "aggregate-only": { type: "boolean" },
  explain: { type: "boolean" },
  force: { type: "boolean" },
  only: { type: "string", multiple: true },
  set: { type: "string", multiple: true },
  results: { type: "string" },
  "mnist-dir": { type: "string" },
  "dataset-dir": { type: "string", multiple: true },
  registry: { type: "string", multiple: true },
  progress: { type: "string" },
  "emit-commands": { type: "boolean" },
  "strict-claims": { type: "boolean" },
  "no-plots": { type: "boolean" },
  executor: { type: "string" },
  detach: { type: "boolean" },
  partition: { type: "string" },
  account: { type: "string" },
  qos: { type: "string" },
  time: { type: "string" },
  mem: { type: "string" },
  "max-parallel": { type: "string" },
  retries: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type ReproduceValues = ReturnType<
  typeof parseArgs<{ options: typeof REPRODUCE_OPTIONS; allowPositionals: true }>
>["values"];

/** A flag's value, one of `allowed` (the default when absent). */
function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  const v = (value ?? fallback) as T;
  if (!allowed.includes(v)) {
    throw new UserError(
      `${flag} must be ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}, got '${value}'.${
        didYouMean(String(value), [...allowed])
      }`,
    );
  }
  return v;
}

/** An integer flag of at least `min`, or undefined when absent. */
function integerAtLeast(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UserError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

/** --set PATH=VALUE: YAML values, nested by the dots of PATH. */
function parseSet(list: string[] | undefined): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [k, val] of keyValues(list, "--set")) {
    let value: unknown;
    try {
      value = parseYaml(val);
    } catch {
      value = val;
    }
    const parts = k.split(".");
    let target = set;
    for (const p of parts.slice(0, -1)) target = (target[p] ??= {}) as Record<string, unknown>;
    target[parts[parts.length - 1]] = value;
  }
  return set;
}

/** --dataset-dir N=DIR and --mnist-dir DIR, which must not name two folders for MNIST. */
function parseDatasetDirs(v: ReproduceValues): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const [k, val] of keyValues(v["dataset-dir"], "--dataset-dir")) dirs[k] = val;
  if (v["mnist-dir"] !== undefined) {
    if (dirs.mnist !== undefined && dirs.mnist !== v["mnist-dir"]) {
      throw new UserError("--mnist-dir and --dataset-dir mnist=... name different folders; give one");
    }
    dirs.mnist = v["mnist-dir"];
  }
  return dirs;
}

/** The executor and its Slurm flags, refusing Slurm flags without --executor slurm and training flags with --aggregate-only. */
function parseExecution(v: ReproduceValues): Pick<ParsedReproduceArgs, "executor" | "slurm"> {
  const executor = oneOf("--executor", v.executor, ["local", "slurm"] as const, "local");
  if (v["aggregate-only"]) {
    const training = ["force", "dry-run", "explain", "emit-commands", "executor"].filter((f) => v[f as keyof typeof v]);
    if (training.length) throw new UserError(`--aggregate-only trains nothing: drop --${training[0]}`);
  }
  const slurmFlags = ["detach", "partition", "account", "qos", "time", "mem", "max-parallel", "retries"]
    .filter((f) => v[f as keyof typeof v] !== undefined);
  if (executor !== "slurm" && slurmFlags.length) {
    throw new UserError(`--${slurmFlags[0]} is a Slurm option: add --executor slurm`);
  }
  const slurm = {
    partition: v.partition,
    account: v.account,
    qos: v.qos,
    time: v.time,
    mem: v.mem,
    maxParallel: integerAtLeast("--max-parallel", v["max-parallel"], 1),
    retries: integerAtLeast("--retries", v.retries, 0),
    detach: v.detach ?? false,
  };
  return { executor, slurm };
}

/** Parses reproduce-style arguments. Throws UserError on unknown flags or bad values. */
export function parseReproduceArgs(args: string[]): ParsedReproduceArgs {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: REPRODUCE_OPTIONS });
  } catch (e) {
    throw new UserError(`${argsErrorText(e as Error, REPRODUCE_FLAGS)}\n\n${REPRODUCE_USAGE}`);
  }
  const v = parsed.values;
  const only: Record<string, string[]> = {};
  for (const [k, val] of keyValues(v.only, "--only")) (only[k] ??= []).push(val);
  return {
    pipeline: parsed.positionals[0] ?? "",
    positionals: parsed.positionals,
    profile: v.profile,
    backend: oneOf("--backend", v.backend, ["auto", "wasm", "webgpu", "cpu"] as const, "auto"),
    jobs: v.jobs === undefined ? undefined : positiveJobs(v.jobs),
    dryRun: v["dry-run"] ?? false,
    aggregateOnly: v["aggregate-only"] ?? false,
    explain: v.explain ?? false,
    force: v.force ?? false,
    only,
    set: parseSet(v.set),
    resultsDir: v.results,
    datasetDirs: parseDatasetDirs(v),
    registry: v.registry,
    progress: oneOf("--progress", v.progress, ["auto", "bars", "lines"] as const, "auto"),
    emitCommands: v["emit-commands"] ?? false,
    strictClaims: v["strict-claims"] ?? false,
    noPlots: v["no-plots"] ?? false,
    ...parseExecution(v),
    help: v.help ?? false,
  };
}

function positiveJobs(value: string): number {
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs must be a positive integer, got '${value}'`);
  return jobs;
}

/** Runs a task's main function: prints UserErrors without a stack and exits with their code. */
export async function runMain(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof UserError) {
      console.error(e.message);
      Deno.exit(e.exitCode);
    }
    console.error(e);
    Deno.exit(1);
  }
}
