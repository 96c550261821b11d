/**
 * `deno task reproduce <pipeline> [options]`: runs a pipeline profile.
 * See `--help` and README.
 * @module
 */
import { parseReproduceArgs, REPRODUCE_USAGE, runMain } from "../lib/engine/commands/cli.ts";
import { emitCommands } from "../lib/engine/commands/run_commands.ts";
import { pipelineNames, reproduce } from "../lib/engine/commands/reproduce.ts";

/** Entry point shared with `ablations` (which fixes the pipeline). */
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
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      console.error(
        "\nInterrupt: stopping runs (they keep their last checkpoint). Press Ctrl-C again to quit at once.",
      );
      controller.abort();
    } else Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSigint);
  Deno.addSignalListener("SIGTERM", onSigint);
  try {
    const { exitCode } = await reproduce({ ...opts, signal: controller.signal });
    return exitCode;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    Deno.removeSignalListener("SIGTERM", onSigint);
  }
}

if (import.meta.main) await runMain(() => reproduceMain(Deno.args));
