/**
 * Registered benchmarks. Each runs in its own process (`run_bench.ts <id>`),
 * so its peak memory is its own; `deno task bench` collects the results into
 * one JSON file with the machine, backend and versions.
 *
 * @example
 * ```ts
 * import { BENCHMARKS } from "./mod.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * assertEquals(BENCHMARKS[0].id, "engine/plan-1000-runs");
 * ```
 * @module
 */

/** What a benchmark measured. */
export interface BenchResult {
  /** The headline number and its unit (examples/s, s, ms). */
  value: number;
  unit: string;
  /** Higher is better for throughput, lower for times. */
  better: "higher" | "lower";
  /** A target from the issue tracker, if any, in the same unit. */
  target?: number;
  /** Anything else worth keeping (configuration, counts). */
  details?: Record<string, unknown>;
}

/** A benchmark. */
export interface Benchmark {
  id: string;
  description: string;
  /** Backends it runs on; "any" for engine benchmarks. */
  backends: ("wasm" | "webgpu" | "any")[];
  run(backend: "wasm" | "webgpu"): Promise<BenchResult>;
}

/** All benchmarks (modules are imported lazily by run_bench.ts). */
export const BENCHMARKS: { id: string; module: string; backends: ("wasm" | "webgpu" | "any")[] }[] = [
  { id: "engine/plan-1000-runs", module: "./engine.ts", backends: ["any"] },
  { id: "engine/reproduce-all-cached", module: "./engine.ts", backends: ["any"] },
  { id: "kernel/bernoulli-delta-paper", module: "./kernels.ts", backends: ["any"] },
  { id: "hnca-bandit/train-hnca-paper", module: "./hnca.ts", backends: ["wasm", "webgpu"] },
  { id: "hnca-bandit/train-reinforce-paper", module: "./hnca.ts", backends: ["wasm", "webgpu"] },
  { id: "hnca-nonlinear-bandit/train-hnca-paper", module: "./hnca.ts", backends: ["wasm", "webgpu"] },
  { id: "kernel/vae-decoder-delta-paper", module: "./kernels.ts", backends: ["any"] },
  { id: "kernel/vae-encoder-flip-terms-paper", module: "./kernels.ts", backends: ["any"] },
  { id: "kernel/vae-decoder-flip-ll-tfjs-ops", module: "./kernels.ts", backends: ["wasm"] },
  { id: "kernel/vae-encoder-flip-terms-tfjs-ops", module: "./kernels.ts", backends: ["wasm"] },
  { id: "hnca-vae/train-hnca-paper", module: "./vae.ts", backends: ["wasm", "webgpu"] },
  { id: "hnca-vae/train-reinforce-paper", module: "./vae.ts", backends: ["wasm", "webgpu"] },
  { id: "hnca-vae/train-disarm-paper", module: "./vae.ts", backends: ["wasm", "webgpu"] },
  { id: "hnca-vae/train-reinforce_loo-paper", module: "./vae.ts", backends: ["wasm", "webgpu"] },
  { id: "value-rnn-td/train-epochs", module: "./rnn.ts", backends: ["wasm", "webgpu"] },
  { id: "meta-rl-bandit/train-episodes", module: "./rnn.ts", backends: ["wasm", "webgpu"] },
  { id: "meta-rl-bandit/train-episodes-one-thread", module: "./rnn.ts", backends: ["wasm", "webgpu"] },
  ...["modplast", "modul", "plastic", "rnn"].map((v) => ({
    id: `backpropamine-maze/train-${v}-paper`,
    module: "./backpropamine.ts",
    backends: ["wasm" as const],
  })),
  ...["modplast", "modul", "plastic", "rnn"].map((v) => ({
    id: `backpropamine-maze/train-${v}-paper-kernels`,
    module: "./backpropamine.ts",
    backends: ["wasm" as const],
  })),
  { id: "backpropamine-maze/train-modplast-fanout-simplemaze", module: "./backpropamine.ts", backends: ["wasm"] },
  {
    id: "backpropamine-maze/train-modplast-fanout-simplemaze-kernels",
    module: "./backpropamine.ts",
    backends: ["wasm"],
  },
  { id: "backpropamine-maze/train-modplast-paper-tfjs", module: "./backpropamine.ts", backends: ["wasm", "webgpu"] },
  { id: "backpropamine-maze/pytorch-modplast-paper", module: "./backpropamine.ts", backends: ["any"] },
  { id: "angc/train-angc-mountain-car-paper", module: "./angc.ts", backends: ["wasm", "webgpu"] },
  { id: "angc/train-dqn-mountain-car-paper", module: "./angc.ts", backends: ["wasm", "webgpu"] },
  { id: "angc/train-angc-equations-mountain-car-paper", module: "./angc.ts", backends: ["wasm", "webgpu"] },
  { id: "angc/train-angc-equations-cartpole-pcrl", module: "./angc.ts", backends: ["wasm", "webgpu"] },
  { id: "angc/pytorch-dqn-mountain-car-paper", module: "./angc.ts", backends: ["any"] },
];
