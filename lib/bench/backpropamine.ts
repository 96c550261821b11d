/**
 * Benchmarks of the Backpropamine maze at the paper's sizes (maze 13, 200-step
 * episodes, batch 30, the variant's parameter-matched hidden size): training
 * iterations/s (one iteration = 30 episodes forward, backpropagation through
 * 200 steps, an Adam step), with the fused typed-array path (`impl: fused`,
 * the default) or tf.grads on the chosen tfjs backend (`impl: tfjs`). Peak
 * memory is the process's (run_bench.ts), at the paper's sizes. The comparison:
 * the same network's iteration in PyTorch eager on one thread (without the maze).
 * @module
 */
import type { Benchmark, BenchResult } from "./mod.ts";
import { initBackend } from "../engine/run/backend.ts";
import { runInProcess } from "../engine/run/in_memory.ts";
import { backpropamineMaze } from "../experiments/backpropamine_maze.ts";
import { pytorchBenchmark } from "./pytorch.ts";

const PAPER_ITERATIONS = 200000;
const PAPER_RUNS = 40;

async function measure(
  backend: "wasm" | "webgpu",
  variant: string,
  impl: "fused" | "kernels" | "tfjs",
  iterations: number,
  extra: Record<string, unknown> = {},
): Promise<BenchResult> {
  const info = await initBackend(backend);
  // burn_in 0: every iteration takes an optimizer step, as nearly all of a paper run's do.
  const config = { variant, impl, iterations, burn_in: 0, log_every: iterations, checkpoint_every: 1e9, ...extra };
  await runInProcess(backpropamineMaze, { ...config, iterations: 1, log_every: 1 }, {}, { backend: info });
  const t0 = performance.now();
  await runInProcess(backpropamineMaze, config, {}, { backend: info });
  const s = (performance.now() - t0) / 1000;
  const perIteration = s / iterations;
  return {
    value: iterations / s,
    unit: "iterations/s",
    better: "higher",
    // The target: the 40-run paper grid in 5 days of one 2-core machine (2 runs at a time).
    target: (PAPER_ITERATIONS * PAPER_RUNS) / (5 * 86400 * 2),
    details: {
      variant,
      impl,
      iterations,
      seconds: s,
      paper_run_hours: (PAPER_ITERATIONS * perIteration) / 3600,
      paper_grid_days_on_2_cores: (PAPER_ITERATIONS * perIteration * PAPER_RUNS) / 2 / 86400,
    },
  };
}

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = Object.fromEntries([
  ...["modplast", "modul", "plastic", "rnn"].map((variant): [string, Benchmark] => [
    `backpropamine-maze/train-${variant}-paper`,
    {
      id: `backpropamine-maze/train-${variant}-paper`,
      description: `Training iterations/s of ${variant} at the paper's sizes (fused path), 5 iterations`,
      backends: ["wasm"],
      run: (backend) => measure(backend, variant, "fused", 5),
    },
  ]),
  ...["modplast", "modul", "plastic", "rnn"].map((variant): [string, Benchmark] => [
    `backpropamine-maze/train-${variant}-paper-kernels`,
    {
      id: `backpropamine-maze/train-${variant}-paper-kernels`,
      description:
        `Training iterations/s of ${variant} at the paper's sizes on the SIMD kernels (impl kernels), 5 iterations`,
      backends: ["wasm"],
      run: (backend) => measure(backend, variant, "kernels", 5),
    },
  ]),
  [
    "backpropamine-maze/train-modplast-fanout-simplemaze-kernels",
    {
      id: "backpropamine-maze/train-modplast-fanout-simplemaze-kernels",
      description: "As train-modplast-fanout-simplemaze, on the SIMD kernels (impl kernels), 5 iterations",
      backends: ["wasm"],
      run: (backend) => measure(backend, "modplast-fanout", "kernels", 5, { maze_size: 11, trace_clip: 2 }),
    },
  ],
  [
    "backpropamine-maze/train-modplast-fanout-simplemaze",
    {
      id: "backpropamine-maze/train-modplast-fanout-simplemaze",
      description:
        "Training iterations/s of simplemaze's network (modplast-fanout, 100 units) at maze.py's defaults (11 x 11, clip 2), 5 iterations",
      backends: ["wasm"],
      run: (backend) => measure(backend, "modplast-fanout", "fused", 5, { maze_size: 11, trace_clip: 2 }),
    },
  ],
  [
    "backpropamine-maze/train-modplast-paper-tfjs",
    {
      id: "backpropamine-maze/train-modplast-paper-tfjs",
      description:
        "Training iterations/s of modplast at the paper's sizes with tf.grads on the backend (impl tfjs), 2 iterations",
      backends: ["wasm", "webgpu"],
      run: (backend) => measure(backend, "modplast", "tfjs", 2),
    },
  ],
]);

benchmarks["backpropamine-maze/pytorch-modplast-paper"] = {
  id: "backpropamine-maze/pytorch-modplast-paper",
  description: "modplast's training iteration at the paper's sizes in PyTorch eager, one thread (the comparison)",
  backends: ["any"],
  run: () =>
    pytorchBenchmark(
      "backpropamine_modplast.py",
      ["5"],
      "iteration",
      "modplast at the paper's sizes without the maze (inputs and rewards drawn)",
    ),
};
