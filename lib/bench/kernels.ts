/**
 * Benchmarks of the fused counterfactual kernels (lib/kernels) at the paper
 * sizes, batch 50: the bandit's 200 -> 200 layer pair, and the VAE's
 * 784-pixel decoder layer and 200-unit encoder layer as HNCA's children, on
 * the counterfactual kernel (its own memory, which the linear bandit uses) and
 * on tfjs_ops' flipTerms (in tfjs-wasm's memory, which the VAE uses).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Benchmark, BenchResult } from "./mod.ts";
import { initBackend } from "../engine/run/backend.ts";
import { loadCounterfactualKernel } from "../kernels/counterfactual.ts";
import { tfjsOps } from "../kernels/tfjs_ops.ts";
import { Rng } from "../rng/mod.ts";

/** Shape of one kernel call: child units K of J parents, centered (+-1) or 0/1 parents, entropy terms or not. */
interface KernelCase {
  K: number;
  J: number;
  centered: boolean;
  entropy: boolean;
}

function kernelBench(id: string, description: string, c: KernelCase): Benchmark {
  return {
    id,
    description,
    backends: ["any"],
    async run() {
      const k = await loadCounterfactualKernel();
      const rng = Rng.fromSeed(1);
      const B = 50, { K, J } = c;
      const args = {
        B,
        K,
        J,
        centered: c.centered,
        theta: new Float32Array(K * J).map(() => 0.1 * rng.normal()),
        logits: new Float32Array(B * K).map(() => rng.normal()),
        sample: new Float32Array(B * K).map(() => (rng.uniform() < 0.5 ? 1 : 0)),
        parent: new Float32Array(B * J).map(() => (rng.uniform() < 0.5 ? 1 : c.centered ? -1 : 0)),
      };
      return timeCalls(() => (c.entropy ? k.bernoulliFlipTerms(args) : k.bernoulliDelta(args)), B * K * J);
    },
  };
}

/** Milliseconds per call (200 calls after 20 warm-up calls), and nanoseconds per (batch, child, parent) element. */
function timeCalls(call: () => void, elements: number): BenchResult {
  for (let i = 0; i < 20; i++) call();
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) call();
  const ms = (performance.now() - t0) / n;
  return {
    value: ms,
    unit: "ms",
    better: "lower",
    details: { elements_per_call: elements, ns_per_element: (ms * 1e6) / elements },
  };
}

/** tfjs_ops' flipTerms on tensors in tfjs-wasm's memory (what the VAE calls). */
function tfjsOpsBench(id: string, description: string, c: KernelCase): Benchmark {
  return {
    id,
    description,
    backends: ["wasm"],
    async run() {
      await initBackend("wasm");
      const ops = tfjsOps()!;
      const rng = Rng.fromSeed(1);
      const B = 50, { K, J } = c;
      const theta = tf.tensor2d(new Float32Array(K * J).map(() => 0.1 * rng.normal()), [K, J]);
      const logits = tf.tensor2d(new Float32Array(B * K).map(() => rng.normal()), [B, K]);
      const sample = tf.tensor2d(new Float32Array(B * K).map(() => (rng.uniform() < 0.5 ? 1 : 0)), [B, K]);
      const parent = tf.tensor2d(new Float32Array(B * J).map(() => (rng.uniform() < 0.5 ? 1 : 0)), [B, J]);
      return timeCalls(() => {
        const r = ops.flipTerms(theta, logits, sample, parent, false, c.entropy);
        tf.dispose([r.ll, ...(r.entropy ? [r.entropy] : [])]);
      }, B * K * J);
    },
  };
}

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = {
  "kernel/bernoulli-delta-paper": kernelBench(
    "kernel/bernoulli-delta-paper",
    "The fused counterfactual kernel for one 200 -> 200 layer pair of the bandit (centered units), batch 50",
    { K: 200, J: 200, centered: true, entropy: false },
  ),
  "kernel/vae-decoder-delta-paper": kernelBench(
    "kernel/vae-decoder-delta-paper",
    "The fused kernel, likelihood terms of the VAE's 784-unit decoder layer over 200 0/1 parents, batch 50",
    { K: 784, J: 200, centered: false, entropy: false },
  ),
  "kernel/vae-encoder-flip-terms-paper": kernelBench(
    "kernel/vae-encoder-flip-terms-paper",
    "The fused kernel, likelihood and entropy terms of a 200-unit VAE encoder layer over 200 0/1 parents, batch 50",
    { K: 200, J: 200, centered: false, entropy: true },
  ),
  "kernel/vae-decoder-flip-ll-tfjs-ops": tfjsOpsBench(
    "kernel/vae-decoder-flip-ll-tfjs-ops",
    "tfjs_ops flipTerms, likelihood terms of the VAE's 784-unit decoder layer over 200 0/1 parents, batch 50",
    { K: 784, J: 200, centered: false, entropy: false },
  ),
  "kernel/vae-encoder-flip-terms-tfjs-ops": tfjsOpsBench(
    "kernel/vae-encoder-flip-terms-tfjs-ops",
    "tfjs_ops flipTerms, likelihood and entropy terms of a 200-unit VAE encoder layer over 200 0/1 parents, batch 50",
    { K: 200, J: 200, centered: false, entropy: true },
  ),
};
