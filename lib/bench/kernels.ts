/**
 * Benchmarks of the fused counterfactual kernel (lib/kernels) at the paper
 * sizes, batch 50: the bandit's 200 -> 200 layer pair, and the VAE's
 * 784-pixel decoder layer and 200-unit encoder layer as HNCA's children.
 * @module
 */
import type { Benchmark } from "./mod.ts";
import { loadCounterfactualKernel } from "../kernels/counterfactual.ts";
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
      const call = () => (c.entropy ? k.bernoulliFlipTerms(args) : k.bernoulliDelta(args));
      for (let i = 0; i < 20; i++) call();
      const n = 200;
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
};
