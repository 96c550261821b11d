/**
 * Running runs one at a time, outside `reproduce`: for cluster schedulers.
 * `reproduce --emit-commands` prints one `deno task run ...` line per run that
 * is not complete; each line runs that run alone (in any order, on any node
 * that shares the results folder). A later `reproduce` finds them complete
 * and only aggregates.
 *
 * @example
 * ```ts
 * import { emitCommands } from "./run_commands.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * // Prints one `deno task run value-rnn-td <key> ...` line per run that is not complete (2 in smoke).
 * const code = await emitCommands({ pipeline: "value-rnn-td", profile: "smoke", backend: "wasm", resultsDir: await Deno.makeTempDir() });
 * assertEquals(code, 0);
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { writeJsonAtomic } from "../../util/atomic.ts";
import { UserError } from "../../util/errors.ts";
import { LockedError } from "../run/lock.ts";
import { loadAndPlan } from "./load_plan.ts";
import { type ReproduceOptions } from "./options.ts";
import { repoRoot } from "../../util/repo.ts";
import { clearRunForRerun, runDir, runState } from "../results/layout.ts";
import { executeRun } from "../run/run_one.ts";
import { runSpec } from "../run/scheduler.ts";
import { prepareDatasets } from "../run/datasets.ts";

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}

/** Prints one command per run that is not complete. */
export async function emitCommands(opts: ReproduceOptions): Promise<number> {
  const { plan, selected, backend } = await loadAndPlan(opts);
  const resultsDir = resolve(opts.resultsDir ?? join(repoRoot(), "results"));
  const extra: string[] = ["--profile", plan.profile, "--backend", backend];
  if (opts.resultsDir) extra.push("--results", resultsDir);
  for (const [name, dir] of Object.entries(opts.datasetDirs ?? {})) {
    extra.push("--dataset-dir", `${name}=${resolve(dir)}`);
  }
  for (const r of opts.registry ?? []) extra.push("--registry", resolve(r));
  for (const [k, v] of Object.entries(opts.set ?? {})) extra.push("--set", `${k}=${JSON.stringify(v)}`);
  let n = 0;
  const pipelineArg = opts.pipeline.includes("/") || opts.pipeline.endsWith(".yaml")
    ? resolve(opts.pipeline)
    : opts.pipeline;
  for (const run of selected) {
    if (!opts.force && await runState(runDir(resultsDir, run.key), run.key) === "complete") continue;
    console.log(["deno", "task", "run", pipelineArg, run.key, ...extra].map(shellQuote).join(" "));
    n++;
  }
  console.error(`${n} of ${selected.length} runs to do.`);
  return 0;
}

/** Runs the single run whose key starts with `keyPrefix`, in this process. */
export async function runByKey(opts: ReproduceOptions, keyPrefix: string): Promise<number> {
  const { plan, backend, registry, registryUrls } = await loadAndPlan(opts);
  const matches = plan.runs.filter((r) => r.key.startsWith(keyPrefix));
  if (matches.length !== 1) {
    throw new UserError(
      matches.length === 0
        ? `No run of ${plan.pipeline.data.name} (profile ${plan.profile}, backend ${backend}) has a key starting with '${keyPrefix}'`
        : `Key prefix '${keyPrefix}' matches ${matches.length} runs; give more characters`,
    );
  }
  const run = matches[0];
  const resultsDir = resolve(opts.resultsDir ?? join(repoRoot(), "results"));
  const cacheDir = resolve(opts.cacheDir ?? Deno.env.get("REPRO_CACHE_DIR") ?? join(repoRoot(), ".cache"));
  const dir = runDir(resultsDir, run.key);
  if (!opts.force && await runState(dir, run.key) === "complete") {
    console.log(`Run ${run.key} is already complete.`);
    return 0;
  }
  const datasets = await prepareDatasets(plan, registry, {
    cacheDir,
    baseDir: repoRoot(),
    overrides: opts.datasetDirs,
  });
  const spec = runSpec(run, {
    resultsDir,
    registry: registryUrls,
    backend: backend as "wasm" | "webgpu" | "cpu",
    datasets,
  });
  await Deno.mkdir(dir, { recursive: true });
  if (opts.force) await clearRunForRerun(dir);
  await writeJsonAtomic(join(dir, "spec.json"), spec);
  console.log(`Run ${run.key} (${run.cell}, seed ${run.seed})`);
  let last = 0;
  try {
    const outcome = await executeRun(spec, {
      onProgress: (p) => {
        const now = performance.now();
        if (now - last > 10_000 || p.done === p.total) {
          last = now;
          console.log(`  ${Math.round((100 * p.done) / Math.max(1, p.total))}% ${p.note ?? ""}`);
        }
      },
    });
    if (outcome.status === "complete") {
      console.log(`Complete: result hash ${outcome.record.result_hash}`);
      return 0;
    }
    console.error(
      `Failed${
        outcome.failure.step ? ` at ${outcome.failure.step.column} ${outcome.failure.step.value}` : ""
      }: ${outcome.failure.error}\n  log: ${outcome.failure.log}`,
    );
    return 1;
  } catch (e) {
    if (e instanceof LockedError) {
      console.error(e.message);
      return 3;
    }
    throw e;
  }
}
