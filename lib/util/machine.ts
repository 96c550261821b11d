/**
 * Facts about the machine, recorded with runs and benchmarks.
 *
 * @example
 * ```ts
 * import { machineInfo } from "./machine.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const m = await machineInfo();
 * assertEquals(typeof m.cpu, "string"); // "Intel(R) Xeon(R) ...", or "unknown" off Linux
 * ```
 * @module
 */

/** CPU model, logical cores, memory, OS, hostname and runtime versions. */
export async function machineInfo(): Promise<Record<string, unknown>> {
  let cpu = "unknown";
  try {
    const text = await Deno.readTextFile("/proc/cpuinfo");
    cpu = text.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  let memory: number | null = null;
  try {
    memory = Deno.systemMemoryInfo().total;
  } catch {
    memory = null;
  }
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memory_bytes: memory,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    hostname: Deno.hostname(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/** Peak resident memory of this process (VmHWM on Linux; current RSS elsewhere). */
export async function peakRssBytes(): Promise<number | null> {
  try {
    const status = await Deno.readTextFile("/proc/self/status");
    const kb = status.match(/^VmHWM:\s*(\d+)\s*kB$/m)?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  try {
    return Deno.memoryUsage().rss;
  } catch {
    return null;
  }
}
