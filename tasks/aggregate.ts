/**
 * `deno task aggregate <pipeline> [--profile P] [--results DIR]`: writes a
 * profile's hashes, summaries, claims and figures from the runs that finished
 * and lists the others, training nothing (reproduce --aggregate-only). Safe on
 * a cluster's login node while a job array runs.
 * @module
 */
import { runMain } from "../lib/engine/commands/cli.ts";
import { reproduceMain } from "./reproduce.ts";

if (import.meta.main) await runMain(() => reproduceMain(["--aggregate-only", ...Deno.args]));
