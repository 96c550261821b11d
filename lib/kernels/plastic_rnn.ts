/**
 * The plastic RNN's H x H kernels (WebAssembly SIMD, built from
 * `assembly/plastic_rnn.ts`): the recurrent product through plastic weights,
 * the Hebbian and eligibility traces with their clip, and their backward
 * passes, for every batch element of one step. The module has its own memory;
 * `PlasticKernel.floats()` hands out float32 views of regions the caller lays
 * out with `reserve()`. Call sites pass arguments by name (`KernelArgs`).
 *
 * @example
 * ```ts
 * import { plasticKernel } from "./plastic_rnn.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const k = plasticKernel();
 * const [W, hPrev, pre] = k.reserve([4, 4, 4]); // H = 1 padded to P = 4
 * k.floats(W, 4).set([0.5, 0, 0, 0]);
 * k.floats(hPrev, 4).set([2, 0, 0, 0]);
 * k.floats(pre, 4).fill(0);
 * k.call.recurrent({ B: 1, H: 1, P: 4, plastic: 0, W, alpha: 0, tr: 0, hPrev, pre });
 * assertEquals(k.floats(pre, 1)[0], 1); // 0.5 x 2
 * ```
 * @module
 */

/** Each kernel's parameters in the order of its AssemblyScript signature (tests/lib/kernels checks them). */
export const PLASTIC_KERNEL_PARAMS = {
  recurrent: ["B", "H", "P", "plastic", "W", "alpha", "tr", "hPrev", "pre"],
  recurrentHebb: ["B", "H", "P", "c", "W", "alpha", "eta", "hNow", "hBefore", "trBefore", "trNow", "pre"],
  hebb: ["B", "H", "P", "c", "eta", "hNew", "hPrev", "trPrev", "trNew"],
  modulTraces: ["B", "H", "P", "c", "k", "m", "hNew", "hPrev", "trPrev", "trNew", "etPrev", "etNew"],
  hebbBack: ["B", "H", "P", "c", "eta", "hNew", "hPrev", "trPrev", "gTr", "rowAcc", "ghp"],
  modulBack: [
    "B",
    "H",
    "P",
    "c",
    "k",
    "m",
    "hNew",
    "hPrev",
    "trPrev",
    "etPrev",
    "gTr",
    "gEt",
    "rowE",
    "ghp",
    "gm",
    "gk",
  ],
  recurrentBack: ["B", "H", "P", "plastic", "W", "alpha", "tr", "hPrev", "ga", "gW", "gAlpha", "gTr", "ghp"],
} as const;

type Name = keyof typeof PLASTIC_KERNEL_PARAMS;
/** A kernel's arguments by name: sizes, flags, float32 scalars and byte offsets into the module's memory. */
export type PlasticKernelArgs<K extends Name> = { [P in (typeof PLASTIC_KERNEL_PARAMS)[K][number]]: number };

/** The loaded module. */
export interface PlasticKernel {
  call: { [K in Name]: (args: PlasticKernelArgs<K>) => void };
  /**
   * Lays out regions of the given float counts from the start of the heap, each 16-byte aligned, growing
   * the memory as needed; returns their byte offsets. A later call reuses the same space.
   */
  reserve(counts: number[]): number[];
  /** A float32 view of `n` floats at byte offset `at` (valid until the next `reserve`). */
  floats(at: number, n: number): Float32Array;
}

let cached: PlasticKernel | null = null;

/** The kernel module, instantiated once per process. */
export function plasticKernel(): PlasticKernel {
  if (cached) return cached;
  const module = new WebAssembly.Module(Deno.readFileSync(new URL("./plastic_rnn.wasm", import.meta.url)));
  const exports = new WebAssembly.Instance(module, {}).exports as Record<string, unknown>;
  const memory = exports.memory as WebAssembly.Memory;
  const call = Object.fromEntries(
    Object.entries(PLASTIC_KERNEL_PARAMS).map(([name, params]) => {
      const fn = exports[name];
      if (typeof fn !== "function") throw new Error(`plastic_rnn.wasm has no kernel '${name}'`);
      return [name, (args: Record<string, number>) => fn(...params.map((p) => args[p]))];
    }),
  ) as unknown as PlasticKernel["call"];
  // The stub runtime keeps no heap of its own past its data: the layout starts at 64 KiB.
  const base = 65536;
  cached = {
    call,
    reserve(counts) {
      let next = base;
      const offsets = counts.map((n) => {
        const at = next;
        next += Math.ceil((n * 4) / 16) * 16;
        return at;
      });
      const pages = Math.ceil(next / 65536) - memory.buffer.byteLength / 65536;
      if (pages > 0) memory.grow(pages);
      return offsets;
    },
    floats: (at, n) => new Float32Array(memory.buffer, at, n),
  };
  return cached;
}
