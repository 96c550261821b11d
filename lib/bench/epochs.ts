/**
 * Throughput of a training benchmark from the timing rows of a run: the
 * epochs after the warm-up ones (JIT compilation, kernel tier-up), summarized
 * by their median, with the spread, because a shared 2-core machine varies by
 * tens of percent from one second to the next.
 *
 * @example
 * ```ts
 * import { measuredEpochs } from "./epochs.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const rows = [{ examples_per_second: 50 }, { examples_per_second: 90 }, { examples_per_second: 100 }, { examples_per_second: 95 }];
 * assertEquals(measuredEpochs(rows, 1), { median: 95, min: 90, max: 100, epochs: 3 });
 * ```
 * @module
 */

/** Median, smallest and largest examples/s of the epochs after the first `warmup`. */
export function measuredEpochs(
  timing: Record<string, unknown>[],
  warmup = 1,
): { median: number; min: number; max: number; epochs: number } {
  const rates = timing.slice(warmup).map((r) => r.examples_per_second as number).sort((a, b) => a - b);
  if (rates.length === 0) throw new Error(`measuredEpochs(): no epochs after ${warmup} warm-up epoch(s)`);
  const mid = rates.length >> 1;
  const median = rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
  return { median, min: rates[0], max: rates[rates.length - 1], epochs: rates.length };
}
