/**
 * `deno task bench`: see lib/bench/command.ts.
 * @module
 */
import { runMain } from "../lib/engine/commands/cli.ts";
import { benchCommand } from "../lib/bench/command.ts";

if (import.meta.main) await runMain(() => benchCommand(Deno.args));
