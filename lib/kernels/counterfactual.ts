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

/** Each kernel's parameters in the order of its AssemblyScript signature (tests/lib/kernels checks them). */
export const COUNTERFACTUAL_KERNEL_PARAMS = {
  bernoulliDelta: [
    "B",
    "K",
    "J",
    "Jp",
    "centered",
    "theta",
    "logits",
    "sample",
    "parent",
    "delta",
    "t",
    "tables",
    "rec",
    "sd",
  ],
  softmaxDelta: ["B", "A", "J", "centered", "theta", "logits", "action", "parent", "delta", "p", "ep", "em"],
  bernoulliFlipTerms: [
    "B",
    "K",
    "J",
    "Jp",
    "centered",
    "theta",
    "logits",
    "sample",
    "parent",
    "ll",
    "ent",
    "t",
    "tables",
    "rec",
    "sd",
  ],
} as const;

type Name = keyof typeof COUNTERFACTUAL_KERNEL_PARAMS;
type Kernels = { [K in Name]: (args: { [P in (typeof COUNTERFACTUAL_KERNEL_PARAMS)[K][number]]: number }) => void };

function check(name: string, a: ArrayLike<number>, n: number, shape: string): void {
  if (a.length !== n) throw new Error(`${name} must have shape ${shape} (${n} values), got ${a.length} values`);
}

/** The module's memory above its static data, handed out in 16-byte aligned regions and reset per call. */
class Heap {
  static readonly BASE = 65536;
  private top = Heap.BASE;
  constructor(readonly memory: WebAssembly.Memory) {}
  reset(): void {
    this.top = Heap.BASE;
  }
  alloc(bytes: number): number {
    const at = this.top;
    this.top += Math.ceil(bytes / 16) * 16;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    return at;
  }
  put(a: Float32Array | Int32Array): number {
    const at = this.alloc(a.byteLength);
    new Uint8Array(this.memory.buffer, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return at;
  }
  floats(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer.slice(at, at + n * 4));
  }
}

function checkBernoulli(a: BernoulliDeltaArgs): void {
  const { B, K, J } = a;
  check("theta", a.theta, K * J, "[K, J]");
  check("logits", a.logits, B * K, "[B, K]");
  check("sample", a.sample, B * K, "[B, K]");
  check("parent", a.parent, B * J, "[B, J]");
}

/** The inputs of a Bernoulli child layer in the heap, with the kernels' shared scratch (`recBytes` per [B, K] entry). */
function bernoulliInputs(heap: Heap, a: BernoulliDeltaArgs, recBytes: number) {
  const { B, K, J } = a, Jp = Math.ceil(J / 16) * 16;
  heap.reset();
  const inputs = {
    theta: heap.put(a.theta),
    logits: heap.put(a.logits),
    sample: heap.put(a.sample),
    parent: heap.put(a.parent),
  };
  return {
    B,
    K,
    J,
    Jp,
    centered: a.centered ? 1 : 0,
    ...inputs,
    outputs: () => ({
      t: heap.alloc(K * Jp * 4),
      tables: heap.alloc(4 * K * Jp * 4),
      rec: heap.alloc(B * K * recBytes),
      sd: heap.alloc(B * Jp * 4),
    }),
  };
}

function bernoulliDelta(kernels: Kernels, heap: Heap, a: BernoulliDeltaArgs): Float32Array {
  checkBernoulli(a);
  const { outputs, ...inputs } = bernoulliInputs(heap, a, 16);
  const delta = heap.alloc(a.B * a.J * 4);
  kernels.bernoulliDelta({ ...inputs, delta, ...outputs() });
  return heap.floats(delta, a.B * a.J);
}

function bernoulliFlipTerms(
  kernels: Kernels,
  heap: Heap,
  a: BernoulliDeltaArgs,
): { ll: Float32Array; entropy: Float32Array } {
  checkBernoulli(a);
  const { outputs, ...inputs } = bernoulliInputs(heap, a, 32);
  const ll = heap.alloc(a.B * a.J * 4), ent = heap.alloc(a.B * a.J * 4);
  kernels.bernoulliFlipTerms({ ...inputs, ll, ent, ...outputs() });
  return { ll: heap.floats(ll, a.B * a.J), entropy: heap.floats(ent, a.B * a.J) };
}

function softmaxDelta(kernels: Kernels, heap: Heap, a: SoftmaxDeltaArgs): Float32Array {
  const { B, A, J } = a;
  check("theta", a.theta, A * J, "[A, J]");
  check("logits", a.logits, B * A, "[B, A]");
  check("action", a.action, B, "[B]");
  check("parent", a.parent, B * J, "[B, J]");
  heap.reset();
  const theta = heap.put(a.theta),
    logits = heap.put(a.logits),
    action = heap.put(a.action),
    parent = heap.put(a.parent);
  const delta = heap.alloc(B * J * 4), p = heap.alloc(A * 4), ep = heap.alloc(A * J * 4), em = heap.alloc(A * J * 4);
  kernels.softmaxDelta({ B, A, J, centered: a.centered ? 1 : 0, theta, logits, action, parent, delta, p, ep, em });
  return heap.floats(delta, B * J);
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
    const ex = instance.exports as Record<string, unknown>;
    const kernels = Object.fromEntries(
      Object.entries(COUNTERFACTUAL_KERNEL_PARAMS).map(([name, params]) => {
        const fn = ex[name] as (...a: number[]) => void;
        return [name, (args: Record<string, number>) => fn(...params.map((p) => args[p]))];
      }),
    ) as unknown as Kernels;
    const heap = new Heap(ex.memory as WebAssembly.Memory);
    return {
      bernoulliDelta: (a) => bernoulliDelta(kernels, heap, a),
      bernoulliFlipTerms: (a) => bernoulliFlipTerms(kernels, heap, a),
      softmaxDelta: (a) => softmaxDelta(kernels, heap, a),
    };
  })();
  return cached;
}
