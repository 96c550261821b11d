/**
 * `deno task plot`: see lib/engine/commands/plot.ts.
 * @module
 */
import { runMain } from "../lib/engine/commands/cli.ts";
import { plotCommand } from "../lib/engine/commands/plot.ts";

if (import.meta.main) await runMain(() => plotCommand(Deno.args));
