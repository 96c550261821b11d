/**
 * `deno task ablations [options]`: the HNCA ablation grid (all_child x
 * full_reward), i.e. `deno task reproduce hnca-ablations [options]`.
 * @module
 */
import { runMain } from "../lib/engine/commands/cli.ts";
import { reproduceMain } from "./reproduce.ts";

if (import.meta.main) await runMain(() => reproduceMain(Deno.args, "hnca-ablations"));
