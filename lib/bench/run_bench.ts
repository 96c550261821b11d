/**
 * Runs one benchmark in this process and prints its result as JSON:
 * `deno run -A lib/bench/run_bench.ts <id> <backend>`.
 * @module
 */
import { peakRssBytes } from "../util/machine.ts";
import { BENCHMARKS } from "./mod.ts";

if (import.meta.main) {
  const [id, backend] = Deno.args;
  const entry = BENCHMARKS.find((b) => b.id === id);
  if (!entry) {
    console.error(`Unknown benchmark '${id}'`);
    Deno.exit(2);
  }
  const mod = await import(entry.module);
  const t0 = performance.now();
  const result = await mod.benchmarks[id].run(backend);
  console.log(
    JSON.stringify({ ...result, wall_time_s: (performance.now() - t0) / 1000, peak_rss_bytes: await peakRssBytes() }),
  );
}
