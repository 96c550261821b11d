/**
 * WebGPU in tests, always in a subprocess's main thread.
 *
 * `deno test --parallel` runs each test module on a thread of its own. On Deno
 * 2.9.6 with Mesa's llvmpipe, a process in which a thread other than the main
 * one has requested a WebGPU adapter aborts at exit when that thread's teardown
 * overlaps the exit ("double free or corruption", or SIGSEGV): 4 of 30 runs of
 * `deno test --parallel` over one module that only requests an adapter, 17 of
 * 40 runs of a script whose Worker requests one; 0 of 80 with the requests on
 * the main thread, and 0 of 30 without `--parallel`. So tests ask for
 * adapters, and run anything on the webgpu backend, in a `deno run`
 * subprocess, as `reproduce` and its job workers (processes) do; the test
 * "no test requests a WebGPU adapter on a test thread" keeps it so.
 *
 * @example
 * ```ts
 * import { webgpuProbe } from "./webgpu.ts";
 * const probe = await webgpuProbe(); // {adapter: true, software: true, auto: "wasm"} on llvmpipe
 * ```
 * @module
 */
import { runScript } from "./cli.ts";

/** What a subprocess saw of WebGPU. */
export interface WebgpuProbe {
  /** Deno offered an adapter. */
  adapter: boolean;
  /** The adapter is a fallback (software) one. */
  software: boolean;
  /** What `chooseBackend("auto")` resolved to. */
  auto: string;
}

/**
 * Runs `tests/fixtures/scripts/<name>.ts` in a subprocess; it prints one JSON object as its last line.
 * Throws with its output when it fails.
 */
export async function runJsonScript<T>(name: string, args: string[] = []): Promise<T> {
  const r = await runScript(`tests/fixtures/scripts/${name}.ts`, args);
  if (r.code !== 0) throw new Error(`${name}.ts exited with ${r.code}:\n${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

let probe: Promise<WebgpuProbe> | undefined;
/** WebGPU as a subprocess sees it (asked once per test module). */
export function webgpuProbe(): Promise<WebgpuProbe> {
  probe ??= runJsonScript<WebgpuProbe>("webgpu_probe");
  return probe;
}
