/**
 * `deno task bench [--filter TEXT] [--backend auto|wasm|webgpu] [--out FILE]`:
 * runs the registered benchmarks, each in its own process, prints a table and
 * writes JSON (machine, backend, versions, every result) to
 * results/bench/<date>-<host>.json, so numbers can be compared over time.
 *
 * @example
 * ```ts
 * import { benchCommand } from "./command.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(await benchCommand(["--help"]), 0);
 * ```
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeJsonAtomic } from "../util/atomic.ts";
import { chooseBackend, gpuAdapter, isSoftwareAdapter, runtimeVersions } from "../engine/run/backend.ts";
import { UserError } from "../util/errors.ts";
import { machineInfo } from "../util/machine.ts";
import { repoRoot } from "../util/repo.ts";
import { BENCHMARKS } from "./mod.ts";

async function gitCommit(): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args: ["rev-parse", "HEAD"],
      cwd: repoRoot(),
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** The `deno task bench` command: its exit code. */
export async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args: args,
    options: {
      filter: { type: "string" },
      backend: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("Usage: deno task bench [--filter TEXT] [--backend auto|wasm|webgpu] [--out FILE]");
    console.log(`Benchmarks: ${BENCHMARKS.map((b) => b.id).join(", ")}`);
    return 0;
  }
  const choice = values.backend ?? "auto";
  if (!["auto", "wasm", "webgpu"].includes(choice)) {
    throw new UserError(`--backend must be auto, wasm or webgpu, got '${choice}'`);
  }
  const adapter = await gpuAdapter();
  const realGpu = adapter !== null && !isSoftwareAdapter(adapter);
  const backends: ("wasm" | "webgpu")[] = choice === "auto"
    ? (realGpu ? ["wasm", "webgpu"] : ["wasm"])
    : [await chooseBackend(choice as "wasm" | "webgpu") as "wasm" | "webgpu"];
  const selected = BENCHMARKS.filter((b) => !values.filter || b.id.includes(values.filter));
  if (selected.length === 0) throw new UserError(`No benchmark matches '${values.filter}'`);
  const results = [];
  let failed = 0;
  for (const b of selected) {
    for (
      const backend of b.backends.includes("any") ? ["wasm" as const] : backends.filter((x) => b.backends.includes(x))
    ) {
      const label = `${b.id}${b.backends.includes("any") ? "" : ` [${backend}]`}`;
      console.error(`running ${label} ...`);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", join(repoRoot(), "lib/bench/run_bench.ts"), b.id, backend],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
      if (!out.success) {
        failed++;
        console.error(`  FAILED: ${new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ")}`);
        results.push({ id: b.id, backend, error: new TextDecoder().decode(out.stderr).slice(-2000) });
        continue;
      }
      const r = JSON.parse(text);
      results.push({ id: b.id, backend: b.backends.includes("any") ? "n/a" : backend, ...r });
      const meets = r.target === undefined
        ? ""
        : (r.better === "higher" ? r.value >= r.target : r.value <= r.target)
        ? " (meets target)"
        : " (BELOW TARGET)";
      console.log(
        `${label.padEnd(44)} ${Number(r.value.toPrecision(4))} ${r.unit}${
          r.target !== undefined ? `, target ${r.target}` : ""
        }${meets}, peak ${(r.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB`,
      );
    }
  }
  const report = {
    created: new Date().toISOString(),
    commit: await gitCommit(),
    machine: await machineInfo(),
    versions: runtimeVersions(),
    gpu_adapter: adapter ? { ...adapter.info, software: isSoftwareAdapter(adapter) } : null,
    results,
  };
  const host = Deno.hostname().replace(/[^A-Za-z0-9_.-]/g, "_");
  const file = values.out ??
    join(repoRoot(), "results", "bench", `${report.created.replace(/[:.]/g, "-")}-${host}.json`);
  await writeJsonAtomic(file, report);
  console.log(`Wrote ${file}`);
  return failed ? 1 : 0;
}
