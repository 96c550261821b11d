/**
 * Worker process entry point: `deno run -A lib/engine/run/worker.ts <spec.json>`.
 *
 * Runs one run and reports to its parent on stdout, one JSON object per line:
 * `{"type":"progress","done":..,"total":..,"note":..}`, then
 * `{"type":"complete","result_hash":..}` or `{"type":"failed","error":..}`.
 * Exit codes: 0 complete, 1 failed (failure.json written), 2 bad spec,
 * 75 another process holds the run's lock.
 *
 * The test hook `REPRO_TEST_CRASH_AFTER_CHECKPOINTS=n` kills the worker with
 * SIGKILL after its n-th checkpoint, to test resuming.
 *
 * @example
 * ```ts
 * import { EXIT_LOCKED } from "./worker.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // deno run -A lib/engine/run/worker.ts results/runs/<key>/spec.json
 * assertEquals(EXIT_LOCKED, 75); // another process holds the run
 * ```
 * @module
 */
import { LockedError } from "./lock.ts";
import type { RunSpec } from "../results/layout.ts";
import { executeRun } from "./run_one.ts";

/** Exit code when another process holds the run. */
export const EXIT_LOCKED = 75;

function send(message: Record<string, unknown>): void {
  Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(message) + "\n"));
}

async function main(args: string[]): Promise<number> {
  if (args.length !== 1) {
    console.error("Usage: worker.ts <spec.json>");
    return 2;
  }
  let spec: RunSpec;
  try {
    spec = JSON.parse(await Deno.readTextFile(args[0]));
  } catch (e) {
    console.error(`Cannot read run spec ${args[0]}: ${(e as Error).message}`);
    return 2;
  }
  const crash = Deno.env.get("REPRO_TEST_CRASH_AFTER_CHECKPOINTS");
  try {
    const outcome = await executeRun(spec, {
      onProgress: (p) => send({ type: "progress", ...p }),
      crashAfterCheckpoints: crash ? Number(crash) : undefined,
    });
    if (outcome.status === "complete") {
      send({ type: "complete", result_hash: outcome.record.result_hash, wall_time_s: outcome.record.wall_time_s });
      return 0;
    }
    send({ type: "failed", error: outcome.failure.error, step: outcome.failure.step });
    return 1;
  } catch (e) {
    if (e instanceof LockedError) {
      send({ type: "locked", error: e.message });
      return EXIT_LOCKED;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
