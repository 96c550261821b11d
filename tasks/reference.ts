/**
 * `deno task reference [pipeline ...] [--profile P[,P...]] [--jobs N] [--results DIR] [--aggregate-only]`:
 * regenerates results/reference/, the committed results of each pipeline's
 * reference profiles (its `references:`, by default smoke and quick) on the
 * wasm backend: hashes, summaries, claims, figures and each run's small
 * result tables. Run it after a change that is meant to change results and
 * commit what it writes. tests/reference_test.ts checks a fresh smoke run
 * against the smoke references; `deno task verify` checks a user's run of
 * any reference profile. With --aggregate-only it trains nothing: it writes
 * the committed references' summaries and claims.csv again from their
 * committed runs (after a change to a claim's wording, profiles or test).
 * @module
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { runMain } from "../lib/engine/commands/cli.ts";
import { reaggregateReference, writeReference } from "../lib/engine/commands/reference.ts";
import { loadAndPlan } from "../lib/engine/commands/load_plan.ts";
import { pipelineNames } from "../lib/engine/pipeline/load.ts";
import { UserError } from "../lib/util/errors.ts";
import { referenceProfiles } from "../lib/engine/pipeline/schema.ts";

const USAGE =
  `Usage: deno task reference [pipeline ...] [--profile P[,P...]] [--jobs N] [--results DIR] [--aggregate-only]

  pipeline          pipelines to regenerate (default: all)
  --profile         profiles to regenerate (default: each pipeline's references, smoke and quick unless it says)
  --jobs N          runs in parallel (default: number of CPU cores)
  --results DIR     run into DIR and keep it (default: a temporary folder, removed after): an interrupted
                    long profile resumes from its checkpoints when asked again with the same DIR
  --aggregate-only  train nothing: write each reference's summaries and claims.csv again from its
                    committed runs (paired by cell and seed, checked by config and file hashes)`;

if (import.meta.main) {
  await runMain(async () => {
    let parsed;
    try {
      parsed = parseArgs({
        args: Deno.args,
        allowPositionals: true,
        options: {
          profile: { type: "string" },
          jobs: { type: "string" },
          results: { type: "string" },
          "aggregate-only": { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
      });
    } catch (e) {
      throw new UserError(`${(e as Error).message}\n\n${USAGE}`);
    }
    if (parsed.values.help) {
      console.log(USAGE);
      return 0;
    }
    const jobs = parsed.values.jobs ? Number(parsed.values.jobs) : undefined;
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0)) {
      throw new UserError(`--jobs must be a positive integer`);
    }
    const names = parsed.positionals.length ? parsed.positionals : await pipelineNames();
    for (const name of names) {
      const { pipeline } = await loadAndPlan({ pipeline: name, profile: "smoke", backend: "wasm" });
      const profiles = parsed.values.profile ? parsed.values.profile.split(",") : referenceProfiles(pipeline.data);
      for (const profile of profiles) {
        if (!referenceProfiles(pipeline.data).includes(profile)) {
          throw new UserError(
            `${name}: '${profile}' is not one of its reference profiles (${
              referenceProfiles(pipeline.data).join(", ")
            })`,
          );
        }
        if (parsed.values["aggregate-only"]) {
          const changed = await reaggregateReference(name, profile);
          console.log(`${name} ${profile}: ${changed.length ? `rewrote ${changed.join(", ")}` : "unchanged"}`);
          continue;
        }
        console.log(`== ${name} ${profile}`);
        const code = await writeReference(name, profile, {
          jobs,
          ...(parsed.values.results ? { resultsDir: resolve(parsed.values.results) } : {}),
        });
        if (code !== 0) {
          console.error(`${name} ${profile}: the reproduction failed (exit ${code}); the old reference is kept`);
          return code;
        }
      }
    }
    return 0;
  });
}
