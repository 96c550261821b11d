/**
 * Benchmarks of the HNCA binary VAE: training throughput of each encoder
 * estimator at the paper configuration (784-200-200-200 encoder and decoder,
 * batch 50, Adam); the kernel's VAE sizes are in kernels.ts.
 * @module
 */
import type { Benchmark } from "./mod.ts";
import { initBackend } from "../engine/run/backend.ts";
import { benchMnist } from "./mnist.ts";
import { runInProcess } from "../engine/run/in_memory.ts";
import { hncaVae } from "../experiments/hnca_vae.ts";
import { measuredEpochs } from "./epochs.ts";

/** A paper run: 840 epochs of 60,000 images. */
const PAPER_EXAMPLES = 840 * 60000;

function trainBench(name: string, config: Record<string, unknown>): Benchmark {
  return {
    id: `hnca-vae/train-${name}-paper`,
    description:
      `Training examples/s of the VAE encoder estimator ${name} at the paper configuration (median of 3 epochs of 5,000 images after a warm-up epoch)`,
    backends: ["wasm", "webgpu"],
    async run(backend) {
      const info = await initBackend(backend);
      const data = { mnist: await benchMnist() };
      // A first epoch warms up the JIT and the kernels; the median of the next three is reported.
      const r = await runInProcess(
        hncaVae,
        {
          ...config,
          epochs: 4,
          train_examples: 5000,
          test_examples: 500,
          iw_samples: 0,
          digits: 0,
        },
        data,
        { backend: info },
      );
      const m = measuredEpochs(r.rows.timing as Record<string, unknown>[]);
      return {
        value: m.median,
        unit: "examples/s",
        better: "higher",
        target: 5000,
        details: {
          measured_epochs: m.epochs,
          min: m.min,
          max: m.max,
          paper_run_hours: PAPER_EXAMPLES / m.median / 3600,
          adapter: info.adapter,
          backend_details: info.details,
        },
      };
    },
  };
}

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = {
  "hnca-vae/train-hnca-paper": trainBench("hnca", { estimator: "hnca", baseline: true }),
  "hnca-vae/train-reinforce-paper": trainBench("reinforce", { estimator: "reinforce", baseline: true }),
  "hnca-vae/train-disarm-paper": trainBench("disarm", { estimator: "disarm" }),
  "hnca-vae/train-reinforce_loo-paper": trainBench("reinforce_loo", { estimator: "reinforce_loo" }),
};
