/**
 * The fused counterfactual kernel (WebAssembly SIMD, built from
 * `assembly/counterfactual.ts`): HNCA's (batch, child, parent) term without
 * materializing the (batch, child, parent) tensor.
 *
 * For a parent layer feeding a child layer, `delta[b, j]` is the log
 * likelihood of the child layer's actual outputs with parent unit j off minus
 * with it on (`log_p0 - log_p1` summed over children in the original code).
 *
 * @example
 * ```ts
 * import { loadCounterfactualKernel } from "./counterfactual.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const kernel = await loadCounterfactualKernel();
 * const delta = kernel.bernoulliDelta({
 *   B: 1, K: 1, J: 1, centered: true,
 *   theta: Float32Array.of(0.5), logits: Float32Array.of(0.2), sample: Float32Array.of(1), parent: Float32Array.of(1),
 * });
 * const logSigmoid = (z: number) => -Math.log1p(Math.exp(-z));
 * assert(Math.abs(delta[0] - (logSigmoid(0.2 - 1) - logSigmoid(0.2))) < 1e-6);
 * ```
 * @module
 */

/** Inputs for a Bernoulli child layer. */
export interface BernoulliDeltaArgs {
  /** Batch size, child units, parent units. */
  B: number;
  K: number;
  J: number;
  /** Parent values are -1/+1 (true) or 0/1 (false). */
  centered: boolean;
  /** theta: [K, J] child weights. */
  theta: Float32Array;
  /** logits: [B, K] child pre-activations (unclipped). */
  logits: Float32Array;
  /** sample: [B, K] child outputs, 0 or 1. */
  sample: Float32Array;
  /** parent: [B, J] parent values. */
  parent: Float32Array;
}

/** Inputs for a softmax child (the output layer). */
export interface SoftmaxDeltaArgs {
  B: number;
  /** Number of actions. */
  A: number;
  J: number;
  centered: boolean;
  /** theta: [A, J]. */
  theta: Float32Array;
  /** logits: [B, A]. */
  logits: Float32Array;
  /** action: [B] actions taken. */
  action: Int32Array;
  /** parent: [B, J]. */
  parent: Float32Array;
}

/** The loaded kernel. */
export interface CounterfactualKernel {
  /** delta: [B, J] for a Bernoulli child layer. */
  bernoulliDelta(args: BernoulliDeltaArgs): Float32Array;
  /** delta: [B, J] for a softmax child. */
  softmaxDelta(args: SoftmaxDeltaArgs): Float32Array;
  /**
   * For a Bernoulli child layer: `ll` [B, J], the same values as `bernoulliDelta`, and `entropy` [B, J],
   * the children's summed entropy (of the unclipped sigmoid) with parent j off minus with it on.
   */
  bernoulliFlipTerms(args: BernoulliDeltaArgs): { ll: Float32Array; entropy: Float32Array };
}

interface Exports {
  memory: WebAssembly.Memory;
  bernoulliDelta(...args: number[]): void;
  softmaxDelta(...args: number[]): void;
  bernoulliFlipTerms(...args: number[]): void;
}

function check(name: string, a: ArrayLike<number>, n: number, shape: string): void {
  if (a.length !== n) throw new Error(`${name} must have shape ${shape} (${n} values), got ${a.length} values`);
}

let cached: Promise<CounterfactualKernel> | null = null;

/** Loads (once per process) and returns the kernel. */
export function loadCounterfactualKernel(): Promise<CounterfactualKernel> {
  cached ??= (async () => {
    const bytes = await Deno.readFile(new URL("./counterfactual.wasm", import.meta.url));
    const { instance } = await WebAssembly.instantiate(bytes, {
      env: {
        abort: () => {
          throw new Error("counterfactual kernel aborted");
        },
      },
    });
    const ex = instance.exports as unknown as Exports;
    const BASE = 65536; // above the module's static data
    let top = BASE;
    const alloc = (bytes: number) => {
      const at = top;
      top += Math.ceil(bytes / 16) * 16;
      const need = top - ex.memory.buffer.byteLength;
      if (need > 0) ex.memory.grow(Math.ceil(need / 65536));
      return at;
    };
    const put = (a: Float32Array | Int32Array) => {
      const at = alloc(a.byteLength);
      new Uint8Array(ex.memory.buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      return at;
    };
    const checkBernoulli = (a: BernoulliDeltaArgs) => {
      const { B, K, J } = a;
      check("theta", a.theta, K * J, "[K, J]");
      check("logits", a.logits, B * K, "[B, K]");
      check("sample", a.sample, B * K, "[B, K]");
      check("parent", a.parent, B * J, "[B, J]");
    };
    return {
      bernoulliDelta(a) {
        const { B, K, J } = a;
        checkBernoulli(a);
        const Jp = Math.ceil(J / 16) * 16;
        top = BASE;
        const theta = put(a.theta), logits = put(a.logits), sample = put(a.sample), parent = put(a.parent);
        const delta = alloc(B * J * 4);
        const t = alloc(K * Jp * 4), tables = alloc(4 * K * Jp * 4), rec = alloc(B * K * 16), sd = alloc(B * Jp * 4);
        ex.bernoulliDelta(B, K, J, Jp, a.centered ? 1 : 0, theta, logits, sample, parent, delta, t, tables, rec, sd);
        return new Float32Array(ex.memory.buffer.slice(delta, delta + B * J * 4));
      },
      bernoulliFlipTerms(a) {
        const { B, K, J } = a;
        checkBernoulli(a);
        const Jp = Math.ceil(J / 16) * 16;
        top = BASE;
        const theta = put(a.theta), logits = put(a.logits), sample = put(a.sample), parent = put(a.parent);
        const ll = alloc(B * J * 4), entropy = alloc(B * J * 4);
        const t = alloc(K * Jp * 4), tables = alloc(4 * K * Jp * 4), rec = alloc(B * K * 32), sd = alloc(B * Jp * 4);
        ex.bernoulliFlipTerms(
          B,
          K,
          J,
          Jp,
          a.centered ? 1 : 0,
          theta,
          logits,
          sample,
          parent,
          ll,
          entropy,
          t,
          tables,
          rec,
          sd,
        );
        return {
          ll: new Float32Array(ex.memory.buffer.slice(ll, ll + B * J * 4)),
          entropy: new Float32Array(ex.memory.buffer.slice(entropy, entropy + B * J * 4)),
        };
      },
      softmaxDelta(a) {
        const { B, A, J } = a;
        check("theta", a.theta, A * J, "[A, J]");
        check("logits", a.logits, B * A, "[B, A]");
        check("action", a.action, B, "[B]");
        check("parent", a.parent, B * J, "[B, J]");
        top = BASE;
        const theta = put(a.theta), logits = put(a.logits), action = put(a.action), parent = put(a.parent);
        const delta = alloc(B * J * 4), p = alloc(A * 4), ep = alloc(A * J * 4), em = alloc(A * J * 4);
        ex.softmaxDelta(B, A, J, a.centered ? 1 : 0, theta, logits, action, parent, delta, p, ep, em);
        return new Float32Array(ex.memory.buffer.slice(delta, delta + B * J * 4));
      },
    };
  })();
  return cached;
}
