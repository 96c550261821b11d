/**
 * Runs a PyTorch baseline script (lib/bench/pytorch/*.py) with Debian's /usr/bin/python3 on one
 * thread and returns the JSON object its last stdout line prints: the strongest alternative on this
 * machine, measured in the same `deno task bench` window as the project's own path. Fails, saying
 * why, where python3-torch is not installed.
 *
 * @example
 * ```ts
 * import { runPytorchScript } from "./pytorch.ts";
 * import { rejects as assertRejects } from "node:assert";
 * await assertRejects(runPytorchScript("no_such_script.py", []), /PyTorch baseline/);
 * // pytorchBenchmark("angc_dqn.py", ["200"], "update", "...") times 200 DQN updates: updates/s
 * ```
 * @module
 */
import type { BenchResult } from "./mod.ts";

/** Runs lib/bench/pytorch/`name` with `args` (OMP and OpenBLAS on one thread); returns its JSON line. */
export async function runPytorchScript(name: string, args: string[]): Promise<Record<string, unknown>> {
  const script = new URL(`./pytorch/${name}`, import.meta.url).pathname;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("/usr/bin/python3", {
      args: [script, ...args],
      env: { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new Error(`PyTorch baseline: /usr/bin/python3 could not be run (${(e as Error).message})`);
  }
  if (!out.success) {
    throw new Error(
      `PyTorch baseline: ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()} ` +
        "(apt-get install python3-torch libopenblas0-pthread)",
    );
  }
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

/**
 * A baseline script's rate as a benchmark result: `unit` is what one step is ("update", "iteration"),
 * reported as `<unit>s/s` from the script's `<unit>s_per_s`; `note` says what it measures.
 */
export async function pytorchBenchmark(name: string, args: string[], unit: string, note: string): Promise<BenchResult> {
  const r = await runPytorchScript(name, args);
  return {
    value: r[`${unit}s_per_s`] as number,
    unit: `${unit}s/s`,
    better: "higher",
    details: { ...r, note: `PyTorch eager, one thread: ${note}` },
  };
}
