/**
 * Committed references: a profile's results as the project's own machine
 * produced them (wasm backend), kept in git under
 * `results/reference/<pipeline>/<profile>/` for users to check their runs
 * against, run by run (`deno task verify`).
 *
 * ```
 * results/reference/<pipeline>/<profile>/
 *   hashes.csv, summary*.csv (but those over REFERENCE_SUMMARY_LIMIT), claims.csv, environment.json
 *   figures/<plot>.png
 *   runs/<cell>-seed<k>/run.json, metrics.csv and the other small result tables
 * ```
 *
 * @example
 * ```ts
 * import { referenceDir } from "./reference.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(referenceDir("hnca-bandit", "quick").endsWith("results/reference/hnca-bandit/quick"), true);
 * // await writeReference("hnca-bandit", "quick", { jobs: 2 }); // trains the profile: minutes
 * ```
 * @module
 */
import { basename, join } from "node:path";
import { machineInfo } from "../../util/machine.ts";
import { repoRoot } from "../../util/repo.ts";
import { runtimeVersions } from "../run/backend.ts";
import { profileDir, referenceRunDir, runDir } from "../results/layout.ts";
import { loadReferenceRunTables, loadRunTables } from "../results/summary.ts";
import { summariesAndClaims } from "./aggregate.ts";
import { copyFileAtomic, exists, writeFileAtomic, writeJsonAtomic } from "../../util/atomic.ts";
import { loadAndPlan } from "./load_plan.ts";
import { reproduce } from "./reproduce.ts";

/** Result tables larger than this are left out of a reference's run folders (metrics.csv never is). */
export const REFERENCE_TABLE_LIMIT = 256 * 1024;

/**
 * Summaries of other tables than metrics larger than this (a random search's per-setting summaries) are left
 * out of a reference: the runs' own tables it keeps are what they are computed from.
 */
export const REFERENCE_SUMMARY_LIMIT = 4 * 1024 * 1024;

/** Whether a profile file of this name and size stays out of a reference: a summary over REFERENCE_SUMMARY_LIMIT. */
function leftOutOfReference(name: string, bytes: number): boolean {
  return name.startsWith("summary.") && bytes > REFERENCE_SUMMARY_LIMIT;
}

/** The folder of a pipeline profile's committed reference. */
export function referenceDir(pipeline: string, profile: string): string {
  return join(repoRoot(), "results", "reference", pipeline, profile);
}

/**
 * Runs a profile from scratch on the wasm backend in a temporary results
 * folder and writes its reference folder (replacing the old one). Returns the
 * reproduce exit code; nothing is written unless it is 0. With `resultsDir`
 * the runs go there instead and stay: a long reference profile interrupted
 * midway resumes from its checkpoints when asked again with the same folder.
 */
export async function writeReference(
  pipeline: string,
  profile: string,
  options: { jobs?: number; out?: (l: string) => void; resultsDir?: string } = {},
): Promise<number> {
  const out = options.out ?? ((l: string) => console.log(l));
  const tmp = options.resultsDir ?? await Deno.makeTempDir({ prefix: `reference-${pipeline}-${profile}-` });
  try {
    const { exitCode } = await reproduce({
      pipeline,
      profile,
      backend: "wasm",
      resultsDir: tmp,
      jobs: options.jobs,
      progress: "lines",
      out,
    });
    if (exitCode !== 0) return exitCode;
    const { plan } = await loadAndPlan({ pipeline, profile, backend: "wasm", resultsDir: tmp });
    const target = referenceDir(pipeline, profile);
    const staging = `${target}.tmp-${Deno.pid}`;
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    const src = profileDir(tmp, plan.pipeline.data.name, profile);
    for await (const e of Deno.readDir(src)) {
      if (!e.isFile || !e.name.endsWith(".csv")) continue;
      const large = leftOutOfReference(e.name, (await Deno.stat(join(src, e.name))).size);
      if (large) out(`${e.name} is over ${REFERENCE_SUMMARY_LIMIT / 2 ** 20} MiB: left out of the reference`);
      else await copyFileAtomic(join(src, e.name), join(staging, e.name));
    }
    if (await exists(join(src, "figures"))) {
      for await (const e of Deno.readDir(join(src, "figures"))) {
        if (e.isFile && e.name.endsWith(".png")) {
          await copyFileAtomic(join(src, "figures", e.name), join(staging, "figures", e.name));
        }
      }
    }
    for (const run of await loadRunTables(plan, tmp)) {
      const from = runDir(tmp, run.run.key), to = referenceRunDir(staging, run.cell, run.seed);
      await copyFileAtomic(join(from, "run.json"), join(to, "run.json"));
      for (const file of Object.keys(run.record.outputs)) {
        if (!file.endsWith(".csv")) continue;
        const size = (await Deno.stat(join(from, file))).size;
        if (file === "metrics.csv" || size <= REFERENCE_TABLE_LIMIT) {
          await copyFileAtomic(join(from, file), join(to, file));
        }
      }
    }
    await writeJsonAtomic(join(staging, "environment.json"), {
      machine: await machineInfo(),
      versions: runtimeVersions(),
      backend: "wasm",
    });
    // Swap the finished folder in whole.
    const old = `${target}.old-${Deno.pid}`;
    if (await exists(target)) await Deno.rename(target, old);
    await Deno.rename(staging, target);
    await Deno.remove(old, { recursive: true }).catch(() => {});
    out(`Wrote ${target} (${basename(target)})`);
    return 0;
  } finally {
    if (!options.resultsDir) await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * The summaries and claims.csv a committed reference's own run tables give
 * under the current pipeline file and code, training nothing, by file name
 * (summaries over REFERENCE_SUMMARY_LIMIT left out, as writeReference leaves
 * them out): each committed run is paired with the plan's by cell and seed,
 * checked by config hash, and its tables by the hashes its run.json records.
 * tests/reference_test.ts checks that every committed reference's files equal
 * them (a verdict follows from the bytes of the runs beside it);
 * `deno task reference --aggregate-only` writes them after a change to a
 * claim's wording, profiles or test.
 */
export async function aggregateReference(pipeline: string, profile: string): Promise<Map<string, string>> {
  const { plan } = await loadAndPlan({ pipeline, profile, backend: "wasm" });
  const runs = await loadReferenceRunTables(plan, referenceDir(pipeline, profile));
  // Tables the reference left out (over its size limit) are summarized by no one; no claim may read them.
  const view = { ...plan, tables: plan.tables.filter((t) => runs.every((r) => t.name in r.tables)) };
  const { texts } = summariesAndClaims(view, runs, true);
  const files = new Map<string, string>();
  for (const [name, text] of texts) {
    if (!leftOutOfReference(name, new TextEncoder().encode(text).length)) files.set(name, text);
  }
  return files;
}

/** Rewrites a committed reference's summaries and claims.csv from its committed runs (aggregateReference); the files changed. */
export async function reaggregateReference(pipeline: string, profile: string): Promise<string[]> {
  const changed: string[] = [];
  for (const [name, text] of await aggregateReference(pipeline, profile)) {
    const file = join(referenceDir(pipeline, profile), name);
    if (await exists(file) && await Deno.readTextFile(file) === text) continue;
    await writeFileAtomic(file, text);
    changed.push(name);
  }
  return changed;
}
