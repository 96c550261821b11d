/**
 * `deno task run <pipeline> <run-key-prefix> [--profile P] [--backend B] ...`:
 * runs one run by its key, in this process (what `reproduce --emit-commands`
 * prints for cluster job arrays).
 * @module
 */
import { parseReproduceArgs, REPRODUCE_USAGE, runMain } from "../lib/engine/commands/cli.ts";
import { runByKey } from "../lib/engine/commands/run_commands.ts";

if (import.meta.main) {
  await runMain(async () => {
    const opts = parseReproduceArgs(Deno.args);
    if (opts.help || opts.positionals.length !== 2) {
      console.log("Usage: deno task run <pipeline> <run-key-prefix> [reproduce's options]\n");
      console.log(REPRODUCE_USAGE);
      return opts.help ? 0 : 2;
    }
    return await runByKey(opts, opts.positionals[1]);
  });
}
