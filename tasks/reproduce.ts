/**
 * `deno task reproduce <pipeline> [options]`: runs a pipeline profile.
 * See `--help` and README.
 * @module
 */
import { parseReproduceArgs, REPRODUCE_USAGE, runMain } from "../lib/engine/commands/cli.ts";
import { withInterrupts } from "../lib/engine/commands/interrupt.ts";
import { emitCommands } from "../lib/engine/commands/run_commands.ts";
import { reproduce } from "../lib/engine/commands/reproduce.ts";
import { pipelineNames } from "../lib/engine/pipeline/load.ts";

/** Entry point shared with `ablations` (which fixes the pipeline) and `aggregate` (which never trains). */
export async function reproduceMain(args: string[], fixedPipeline?: string): Promise<number> {
  const opts = parseReproduceArgs(fixedPipeline ? [fixedPipeline, ...args] : args);
  if (opts.help || !opts.pipeline) {
    console.log(REPRODUCE_USAGE);
    console.log(`\nPipelines: ${(await pipelineNames()).join(", ")}`);
    return opts.help ? 0 : 2;
  }
  if (opts.positionals.length > 1) {
    console.error(`Expected one pipeline, got ${opts.positionals.join(" ")}`);
    return 2;
  }
  if (opts.emitCommands) return await emitCommands(opts);
  const stopping = opts.executor === "slurm"
    ? "cancelling the job array (runs keep their last checkpoint)"
    : "stopping runs (they keep their last checkpoint)";
  return await withInterrupts(
    { onFirst: () => console.error(`\nInterrupt: ${stopping}. Press Ctrl-C again to quit at once.`) },
    async (signal) => (await reproduce({ ...opts, signal })).exitCode,
  );
}

if (import.meta.main) await runMain(() => reproduceMain(Deno.args));
