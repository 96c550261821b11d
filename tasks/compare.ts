/**
 * `deno task compare`: see lib/engine/commands/compare.ts.
 * @module
 */
import { runMain } from "../lib/engine/commands/cli.ts";
import { compareCommand } from "../lib/engine/commands/compare.ts";

if (import.meta.main) await runMain(() => compareCommand(Deno.args));
