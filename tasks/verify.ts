/**
 * `deno task verify`: see lib/engine/commands/verify.ts.
 * @module
 */
import { runMain } from "../lib/engine/commands/cli.ts";
import { verifyCommand } from "../lib/engine/commands/verify.ts";

if (import.meta.main) await runMain(() => verifyCommand(Deno.args));
