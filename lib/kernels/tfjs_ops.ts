/**
 * Kernels that run inside tfjs-backend-wasm's own memory (built from
 * `assembly/tfjs_ops.ts`): they read and write tensors where the wasm backend
 * keeps them, so a fused operation over millions of parameters costs one pass
 * over memory instead of a dozen tfjs ops or two copies per tensor.
 *
 * - `adamUpdate`: Adam with its learning-rate scaling and the parameter update
 *   in one pass, bit-identical to `lib/optim/adam.ts`'s tfjs ops (same float32
 *   operations in the same order);
 * - `convFilterGradStats`: per-example filter gradients of a 3x3 VALID
 *   convolution (never materialized as im2col patches) and their batch mean
 *   and summed variance;
 * - `denseForward`: x W with the weights read in place (XNNPACK packs a weight
 *   matrix it has not seen, which costs more than the product itself when the
 *   weights change every update): zero inputs skipped where most are zero
 *   (binary units, an untrained network's ReLU outputs), two examples sharing
 *   each load of W where most are not, with the same sums either way;
 * - `denseReluGrads`: a dense layer's batch-mean weight gradient and its input
 *   gradient through the ReLU that produced the input, in one pass, two rows
 *   of W at a time;
 *
 * The gradient kernels skip examples whose output gradient is all zero (a
 * bandit's reward 0 in the HNCA code, which does not subtract a baseline):
 * their terms are +-0 and change no sum, so the results are the bits the full
 * loops give.
 * - `convInputGradRelu`: a convolution's input gradient through the ReLU that
 *   produced its input, from the nonzero entries of the output gradient only;
 * - `denseForwardT`: denseForward for weights stored by output unit;
 * - `flipTerms`: HNCA's flipped-parent log-likelihood and entropy terms of a
 *   Bernoulli child layer, the children in the vector lanes (see the source);
 * - `bernoulliForward`: a Bernoulli layer's logits, clipped fire rates and
 *   sample in one pass (binary inputs with a quarter or more on: by subset
 *   sums of the weights over chunks of four inputs);
 * - `bernoulliLogProbRows`, `bernoulliEntropyRows`: per-example sums of a
 *   Bernoulli layer's log-probabilities or entropies (the VAE's ELBO terms);
 * - `outerGrads`: a layer's batch-mean gradient from per-example logit signals
 *   and its inputs (zero inputs skipped; binary inputs with a quarter or more
 *   on by subset sums over chunks of four examples), with the sums its
 *   per-example variance needs;
 * - `hncaSignal`: HNCA's logit signal for a VAE encoder layer from its flip
 *   terms, elementwise in one pass.
 *
 * `tfjsOps()` returns null on any backend but wasm; callers keep a tfjs path.
 * It relies on the pinned tfjs-backend-wasm (4.22.0) exposing its memory as
 * `wasm.asm.memory` and `makeOutput` / `getMemoryOffset` on the backend, and
 * says so in its error if that changes.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { tfjsOps } from "./tfjs_ops.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const ops = tfjsOps(); // null unless tf.getBackend() === "wasm"
 * if (ops) {
 *   const p = tf.ones([3]), g = tf.ones([3]), m = tf.zeros([3]), v = tf.zeros([3]);
 *   const out = ops.adamUpdate({ p, g, m, v }, { b1: 0.9, b2: 0.999, eps: 1e-8, count: 1, lr: 0.1 });
 * assertEquals(out.p, [0.9, 0.9, 0.9]);
 * }
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Adam's hyperparameters for one step; `count` is the (1-based) step number used for bias correction. */
export interface AdamStepHyper {
  b1: number;
  b2: number;
  eps: number;
  count: number;
  lr: number;
}

/** The kernels, bound to the current wasm backend. */
export interface TfjsOps {
  /**
   * One Adam step on one parameter: new tensors p', m', v' (the inputs are not changed).
   * p, g, m, v: float32 tensors of one shape.
   */
  adamUpdate(
    t: { p: tf.Tensor; g: tf.Tensor; m: tf.Tensor; v: tf.Tensor },
    h: AdamStepHyper,
  ): { p: tf.Tensor; m: tf.Tensor; v: tf.Tensor };
  /**
   * Per-example filter gradients of a 3x3 VALID convolution, summarized.
   * @param a the layer's input: [B, H, W, C]
   * @param delta dL/d(output): [B, H - 2, W - 2, O]
   * @returns mean: [3, 3, C, O] (the batch-mean gradient); varSum: sum over entries of the variance over the
   * batch; biasMean: [O] and biasVarSum, the same for the bias (delta summed over positions)
   */
  convFilterGradStats(
    a: tf.Tensor4D,
    delta: tf.Tensor4D,
  ): { mean: tf.Tensor4D; varSum: number; biasMean: tf.Tensor1D; biasVarSum: number };
  /**
   * x W, summed over f in order, skipping zero entries of x.
   * @param x [B, F]
   * @param W [F, K]
   * @returns [B, K]
   */
  denseForward(x: tf.Tensor2D, W: tf.Tensor2D): tf.Tensor2D;
  /**
   * x W^T for weights stored by output unit (W: [K, J]), as denseForward otherwise.
   * @param x [B, J]
   * @param W [K, J]
   * @returns [B, K]
   */
  denseForwardT(x: tf.Tensor2D, W: tf.Tensor2D): tf.Tensor2D;
  /**
   * For a dense layer x W whose input x is a ReLU output and per-example output gradient g:
   * dW = x^T g / B and dx = (g W^T) where x > 0, else 0.
   * @param x [B, F]
   * @param g [B, K]
   * @param W [F, K]
   * @returns dW: [F, K]; dx: [B, F]; dWSumSq: sum over entries of dW^2; varSum: the per-example weight
   * gradients' (outer products g_b x_b) variance over the batch, summed over entries:
   * sum_b |g_b|^2 |x_b|^2 / B - dWSumSq (no per-example gradient formed)
   */
  denseReluGrads(
    x: tf.Tensor2D,
    g: tf.Tensor2D,
    W: tf.Tensor2D,
  ): { dW: tf.Tensor2D; dx: tf.Tensor2D; dWSumSq: number; varSum: number };
  /**
   * The gradient of a 3x3 VALID convolution with respect to its input, through the ReLU that made the input:
   * (conv of the padded delta with the flipped filter) where z > 0, else 0.
   * @param delta dL/d(output): [B, H - 2, W - 2, O]
   * @param w the filter: [3, 3, C, O]
   * @param z the input's pre-activation: [B, H, W, C]
   * @returns [B, H, W, C]
   */
  convInputGradRelu(delta: tf.Tensor4D, w: tf.Tensor4D, z: tf.Tensor4D): tf.Tensor4D;
  /**
   * HNCA's flipped-parent terms of a Bernoulli child layer (off minus on, summed over the children):
   * `ll` the children's log-likelihood, `entropy` (when asked) their entropy, unclipped sigmoids.
   * @param theta child weights: [K, J]
   * @param logits child logits: [B, K]; sample: the children's 0/1 outputs, [B, K]
   * @param parent [B, J]: 0/1, or -1/+1 when centered
   * @returns ll: [B, J]; entropy: [B, J] or null
   */
  flipTerms(
    theta: tf.Tensor2D,
    logits: tf.Tensor2D,
    sample: tf.Tensor2D,
    parent: tf.Tensor2D,
    centered: boolean,
    withEntropy: boolean,
  ): { ll: tf.Tensor2D; entropy: tf.Tensor2D | null };
  /**
   * A Bernoulli layer in one pass: logits = x W^T + bias, fire rates sigmoid(logits) clipped to
   * [lo, 1 - lo], and with uniforms u the sample (1 where u < fire rate).
   * @param x [B, J]; W [K, J]; bias [K]; u [B, K] or null
   * @returns logits, fireRate: [B, K]; sample: [B, K] or null
   */
  bernoulliForward(
    x: tf.Tensor2D,
    W: tf.Tensor2D,
    bias: tf.Tensor1D,
    u: tf.Tensor2D | null,
    lo: number,
  ): { logits: tf.Tensor2D; fireRate: tf.Tensor2D; sample: tf.Tensor2D | null };
  /**
   * Per example, sum over units of log P(target | fireRate) (clipped fire rates, 0/1 targets).
   * @param fireRate [B, K], or [K] for every example
   * @param target [B, K]
   * @returns B values
   */
  bernoulliLogProbRows(fireRate: tf.Tensor, target: tf.Tensor2D): Float32Array;
  /**
   * Per example, sum over units of the entropy of Bernoulli(fireRate).
   * @param fireRate [B, K], clipped
   * @returns B values
   */
  bernoulliEntropyRows(fireRate: tf.Tensor2D): Float32Array;
  /**
   * dW = g^T x / B and db = mean of g over the batch, for g = signal (- target when given); zero
   * entries of x are skipped. With `withStats`, the float64 sums from which the per-example
   * gradients' variance follows: gx = sum_b |g_b|^2 |x_b|^2, dWSq = |dW|^2, gg = sum_b |g_b|^2,
   * dbSq = |db|^2.
   * @param signal [B, K]; target [B, K] or null; x [B, J]
   * @returns dW: [K, J]; db: [K]; stats or null
   */
  outerGrads(
    signal: tf.Tensor2D,
    target: tf.Tensor2D | null,
    x: tf.Tensor2D,
    withStats: boolean,
  ): { dW: tf.Tensor2D; db: tf.Tensor1D; stats: { gx: number; dWSq: number; gg: number; dbSq: number } | null };
  /**
   * HNCA's logit signal for a VAE encoder layer (all_child off; see lib/estimators/vae/hnca.ts).
   * @param t fr, z: the layer's clipped fire rates and sample, [B, K]; decLl: the paired decoder's flip
   * term, [B, K]; childLl, childEnt: the child encoder's flip terms, [B, K], or null for the top layer;
   * pbar: the fire rates of the layer modelling z, [B, K] or [K]; logPSum: sum_k log P(z | pbar) per example
   * (the ELBO's term of that layer), B values; adv: R - baseline per example, B values
   * @returns [B, K]
   */
  hncaSignal(t: {
    fr: tf.Tensor2D;
    z: tf.Tensor2D;
    decLl: tf.Tensor2D;
    childLl: tf.Tensor2D | null;
    childEnt: tf.Tensor2D | null;
    pbar: tf.Tensor;
    logPSum: ArrayLike<number>;
    adv: ArrayLike<number>;
  }): tf.Tensor2D;
}

/**
 * Each kernel's parameters in the order its AssemblyScript signature takes them
 * (lib/kernels/assembly/tfjs_ops.ts; tests/lib/kernels/tfjs_ops_test.ts checks the
 * two agree): call sites pass an object by these names, so a swapped argument is a
 * type error instead of a silent one.
 */
export const KERNEL_PARAMS = {
  adamUpdate: [
    "n",
    "p",
    "g",
    "m",
    "v",
    "pOut",
    "mOut",
    "vOut",
    "b1",
    "oneMinusB1",
    "b2",
    "oneMinusB2",
    "c1",
    "c2",
    "eps",
    "negLr",
  ],
  convFilterGradStats: ["B", "H", "W", "C", "O", "a", "delta", "per", "mean", "biasPer", "biasMean", "biasVar"],
  denseForward: ["B", "F", "K", "x", "W", "out", "idx", "val", "pos"],
  denseForwardT: ["B", "J", "K", "x", "W", "out", "wt", "idx", "val", "pos"],
  denseReluGrads: ["B", "F", "K", "x", "g", "W", "dW", "dx", "xT", "dxT", "list", "gIdx", "spare", "rowSq"],
  convInputGradRelu: ["B", "H", "W", "C", "O", "delta", "w", "z", "out", "wt", "cnt", "eoff", "evals"],
  flipTerms: [
    "B",
    "K",
    "J",
    "centered",
    "withEntropy",
    "theta",
    "logits",
    "sample",
    "parent",
    "ll",
    "ent",
    "tables",
    "rows",
    "ot",
    "act",
  ],
  bernoulliForward: [
    "B",
    "J",
    "K",
    "x",
    "W",
    "bias",
    "u",
    "lo",
    "logits",
    "fireRate",
    "sample",
    "wt",
    "idx",
    "val",
    "pos",
    "tbl",
  ],
  bernoulliRowSums: ["B", "K", "fr", "frStride", "target", "mode", "out"],
  outerGrads: [
    "B",
    "K",
    "J",
    "signal",
    "target",
    "x",
    "dW",
    "db",
    "dWT",
    "gScratch",
    "lists",
    "vals",
    "withStats",
    "stats",
    "codes",
    "tbl",
  ],
  hncaSignal: ["B", "K", "fr", "z", "decLl", "childLl", "childEnt", "pbar", "pbarStride", "logPSum", "adv", "out"],
} as const;

type KernelName = keyof typeof KERNEL_PARAMS;
/** A kernel's arguments by parameter name: byte offsets into tfjs's wasm memory, sizes, flags and float32 scalars. */
export type KernelArgs<K extends KernelName> = { [P in (typeof KERNEL_PARAMS)[K][number]]: number };
type Kernels = { [K in KernelName]: (args: KernelArgs<K>) => number };

/** The module's exports as functions of named arguments, passed on in the signature's order. */
function bindKernels(exports: Record<string, unknown>): Kernels {
  return Object.fromEntries(
    Object.entries(KERNEL_PARAMS).map(([name, params]) => {
      const fn = exports[name];
      if (typeof fn !== "function") throw new Error(`tfjs_ops.wasm has no kernel '${name}'`);
      return [name, (args: Record<string, number>) => fn(...params.map((p) => args[p]))];
    }),
  ) as unknown as Kernels;
}

interface WasmBackendLike {
  wasm: { asm?: { memory?: WebAssembly.Memory }; _malloc(n: number): number; _free(p: number): void };
  getMemoryOffset(dataId: unknown): number;
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
}

let compiled: WebAssembly.Module | null = null;
const bound = new WeakMap<WebAssembly.Memory, TfjsOps>();

function floatTensor(name: string, t: tf.Tensor, shape?: readonly number[]): void {
  if (t.dtype !== "float32") throw new Error(`${name} must be float32, got ${t.dtype}`);
  if (shape && t.shape.join() !== shape.join()) {
    throw new Error(`${name} must have shape [${shape}], got [${t.shape}]`);
  }
}

/** What every op needs: the bound kernels, tfjs's memory, and helpers over it. */
interface OpsContext {
  kernel: Kernels;
  memory: WebAssembly.Memory;
  /** A tensor's byte offset in tfjs's memory. */
  at(t: tf.Tensor): number;
  /** A new float32 tensor of tfjs's, for a kernel to write. */
  output<T extends tf.Tensor>(shape: number[]): T;
  /** Scratch regions of the given byte sizes in tfjs's heap, each 16-byte aligned, freed after fn. */
  withScratch<R>(sizes: number[], fn: (...at: number[]) => R): R;
  /** denseForward's scratch for B rows of F inputs: column lists (ints, floats), per-row positions, counts, flags. */
  listScratch(B: number, F: number): number[];
  f32(x: number): number;
  /** Per-example sums of log-probabilities (target given) or entropies of clipped fire rates, [B]. */
  rowSums(fireRate: tf.Tensor, target: tf.Tensor | null, B: number, K: number): Float32Array;
}

function adamUpdate(
  ctx: OpsContext,
  ...[{ p, g, m, v }, h]: Parameters<TfjsOps["adamUpdate"]>
): ReturnType<TfjsOps["adamUpdate"]> {
  const { kernel, at, output, f32 } = ctx;
  for (const [n, t] of Object.entries({ g, m, v })) floatTensor(`adamUpdate(): ${n}`, t, p.shape);
  floatTensor("adamUpdate(): p", p);
  const out = { p: output(p.shape), m: output(p.shape), v: output(p.shape) };
  // The scalars tfjs would make of the same JavaScript numbers (float32).
  const c1 = 1 - Math.pow(h.b1, h.count), c2 = 1 - Math.pow(h.b2, h.count);
  kernel.adamUpdate({
    n: p.size,
    p: at(p),
    g: at(g),
    m: at(m),
    v: at(v),
    pOut: at(out.p),
    mOut: at(out.m),
    vOut: at(out.v),
    b1: f32(h.b1),
    oneMinusB1: f32(1 - h.b1),
    b2: f32(h.b2),
    oneMinusB2: f32(1 - h.b2),
    c1: f32(c1),
    c2: f32(c2),
    eps: f32(h.eps),
    negLr: f32(-h.lr),
  });
  return out;
}

function convFilterGradStats(
  ctx: OpsContext,
  ...[a, delta]: Parameters<TfjsOps["convFilterGradStats"]>
): ReturnType<TfjsOps["convFilterGradStats"]> {
  const { kernel, memory, at, output, withScratch } = ctx;
  floatTensor("convFilterGradStats(): a", a);
  const [B, H, W, C] = a.shape;
  const O = delta.shape[3];
  floatTensor("convFilterGradStats(): delta", delta, [B, H - 2, W - 2, O]);
  const mean = output<tf.Tensor4D>([3, 3, C, O]), biasMean = output<tf.Tensor1D>([O]);
  return withScratch([B * 9 * C * O * 4, B * O * 4, 8], (per, biasPer, biasVar) => {
    const varSum = kernel.convFilterGradStats({
      B,
      H,
      W,
      C,
      O,
      a: at(a),
      delta: at(delta),
      per,
      mean: at(mean),
      biasPer,
      biasMean: at(biasMean),
      biasVar,
    });
    const biasVarSum = new DataView(memory.buffer).getFloat64(biasVar, true);
    return { mean, varSum, biasMean, biasVarSum };
  });
}

function denseForward(
  ctx: OpsContext,
  ...[x, W]: Parameters<TfjsOps["denseForward"]>
): ReturnType<TfjsOps["denseForward"]> {
  const { kernel, at, output, withScratch, listScratch } = ctx;
  floatTensor("denseForward(): x", x);
  const [B, F] = x.shape;
  floatTensor("denseForward(): W", W);
  if (W.shape[0] !== F) throw new Error(`denseForward(): W must be [${F}, K] for x [${x.shape}], got [${W.shape}]`);
  const out = output<tf.Tensor2D>([B, W.shape[1]]);
  withScratch(
    listScratch(B, F),
    (idx, val, pos) => kernel.denseForward({ B, F, K: W.shape[1], x: at(x), W: at(W), out: at(out), idx, val, pos }),
  );
  return out;
}

function denseForwardT(
  ctx: OpsContext,
  ...[x, W]: Parameters<TfjsOps["denseForwardT"]>
): ReturnType<TfjsOps["denseForwardT"]> {
  const { kernel, at, output, withScratch, listScratch } = ctx;
  floatTensor("denseForwardT(): x", x);
  const [B, J] = x.shape;
  floatTensor("denseForwardT(): W", W);
  if (W.shape[1] !== J) {
    throw new Error(`denseForwardT(): W must be [K, ${J}] for x [${x.shape}], got [${W.shape}]`);
  }
  const K = W.shape[0];
  const out = output<tf.Tensor2D>([B, K]);
  withScratch(
    [J * K * 4, ...listScratch(B, J)],
    (wt, idx, val, pos) => kernel.denseForwardT({ B, J, K, x: at(x), W: at(W), out: at(out), wt, idx, val, pos }),
  );
  return out;
}

function denseReluGrads(
  ctx: OpsContext,
  ...[x, g, W]: Parameters<TfjsOps["denseReluGrads"]>
): ReturnType<TfjsOps["denseReluGrads"]> {
  const { kernel, memory, at, output, withScratch } = ctx;
  floatTensor("denseReluGrads(): x", x);
  const [B, F] = x.shape;
  const K = g.shape[1];
  floatTensor("denseReluGrads(): g", g, [B, K]);
  floatTensor("denseReluGrads(): W", W, [F, K]);
  const dW = output<tf.Tensor2D>([F, K]), dx = output<tf.Tensor2D>([B, F]);
  const sizes = [F * B * 4, F * B * 4, B * 16, B * 4, K * 4, 2 * B * 4];
  return withScratch(sizes, (xT, dxT, list, gIdx, spare, rowSq) => {
    const dWSumSq = kernel.denseReluGrads({
      B,
      F,
      K,
      x: at(x),
      g: at(g),
      W: at(W),
      dW: at(dW),
      dx: at(dx),
      xT,
      dxT,
      list,
      gIdx,
      spare,
      rowSq,
    });
    const sq = new Float32Array(memory.buffer, rowSq, 2 * B);
    let s = 0;
    for (let b = 0; b < B; b++) s += sq[b] * sq[B + b];
    return { dW, dx, dWSumSq, varSum: s / B - dWSumSq };
  });
}

function convInputGradRelu(
  ctx: OpsContext,
  ...[delta, w, z]: Parameters<TfjsOps["convInputGradRelu"]>
): ReturnType<TfjsOps["convInputGradRelu"]> {
  const { kernel, at, output, withScratch } = ctx;
  floatTensor("convInputGradRelu(): z", z);
  const [B, H, W, C] = z.shape;
  const O = delta.shape[3];
  floatTensor("convInputGradRelu(): delta", delta, [B, H - 2, W - 2, O]);
  floatTensor("convInputGradRelu(): w", w, [3, 3, C, O]);
  const out = output<tf.Tensor4D>([B, H, W, C]);
  const n = B * (H - 2) * (W - 2);
  withScratch(
    [9 * O * C * 4, n * 4, n * O * 4, n * O * 4],
    (wt, cnt, eoff, evals) =>
      kernel.convInputGradRelu({
        B,
        H,
        W,
        C,
        O,
        delta: at(delta),
        w: at(w),
        z: at(z),
        out: at(out),
        wt,
        cnt,
        eoff,
        evals,
      }),
  );
  return out;
}

function flipTerms(
  ctx: OpsContext,
  ...[theta, logits, sample, parent, centered, withEntropy]: Parameters<TfjsOps["flipTerms"]>
): ReturnType<TfjsOps["flipTerms"]> {
  const { kernel, at, output, withScratch } = ctx;
  floatTensor("flipTerms(): logits", logits);
  const [B, K] = logits.shape;
  const J = parent.shape[1];
  floatTensor("flipTerms(): theta", theta, [K, J]);
  floatTensor("flipTerms(): sample", sample, [B, K]);
  floatTensor("flipTerms(): parent", parent, [B, J]);
  const ll = output<tf.Tensor2D>([B, J]);
  const entropy = withEntropy ? output<tf.Tensor2D>([B, J]) : null;
  const Kp = Math.ceil(K / 4) * 4;
  withScratch(
    [(withEntropy ? 6 : 2) * J * Kp * 4, (withEntropy ? 3 : 2) * B * Kp * 4, B * J * 4, K * 4],
    (tables, rows, ot, act) =>
      kernel.flipTerms({
        B,
        K,
        J,
        centered: centered ? 1 : 0,
        withEntropy: withEntropy ? 1 : 0,
        theta: at(theta),
        logits: at(logits),
        sample: at(sample),
        parent: at(parent),
        ll: at(ll),
        ent: entropy ? at(entropy) : 0,
        tables,
        rows,
        ot,
        act,
      }),
  );
  return { ll, entropy };
}

function bernoulliForward(
  ctx: OpsContext,
  ...[x, W, bias, u, lo]: Parameters<TfjsOps["bernoulliForward"]>
): ReturnType<TfjsOps["bernoulliForward"]> {
  const { kernel, at, output, withScratch, listScratch } = ctx;
  floatTensor("bernoulliForward(): x", x);
  const [B, J] = x.shape;
  const K = W.shape[0];
  floatTensor("bernoulliForward(): W", W, [K, J]);
  floatTensor("bernoulliForward(): bias", bias, [K]);
  if (u) floatTensor("bernoulliForward(): u", u, [B, K]);
  const logits = output<tf.Tensor2D>([B, K]), fireRate = output<tf.Tensor2D>([B, K]);
  const sample = u ? output<tf.Tensor2D>([B, K]) : null;
  withScratch(
    [J * K * 4, ...listScratch(B, J), Math.ceil(J / 4) * 1024],
    (wt, idx, val, pos, tbl) =>
      kernel.bernoulliForward({
        B,
        J,
        K,
        x: at(x),
        W: at(W),
        bias: at(bias),
        u: u ? at(u) : 0,
        lo,
        logits: at(logits),
        fireRate: at(fireRate),
        sample: sample ? at(sample) : 0,
        wt,
        idx,
        val,
        pos,
        tbl,
      }),
  );
  return { logits, fireRate, sample };
}

function bernoulliLogProbRows(
  ctx: OpsContext,
  ...[fireRate, target]: Parameters<TfjsOps["bernoulliLogProbRows"]>
): ReturnType<TfjsOps["bernoulliLogProbRows"]> {
  const { rowSums } = ctx;
  floatTensor("bernoulliLogProbRows(): target", target);
  const [B, K] = target.shape;
  floatTensor("bernoulliLogProbRows(): fireRate", fireRate, fireRate.rank === 1 ? [K] : [B, K]);
  return rowSums(fireRate, target, B, K);
}

function bernoulliEntropyRows(
  ctx: OpsContext,
  ...[fireRate]: Parameters<TfjsOps["bernoulliEntropyRows"]>
): ReturnType<TfjsOps["bernoulliEntropyRows"]> {
  const { rowSums } = ctx;
  floatTensor("bernoulliEntropyRows(): fireRate", fireRate);
  const [B, K] = fireRate.shape;
  return rowSums(fireRate, null, B, K);
}

function outerGrads(
  ctx: OpsContext,
  ...[signal, target, x, withStats]: Parameters<TfjsOps["outerGrads"]>
): ReturnType<TfjsOps["outerGrads"]> {
  const { kernel, memory, at, output, withScratch } = ctx;
  floatTensor("outerGrads(): signal", signal);
  const [B, K] = signal.shape;
  if (target) floatTensor("outerGrads(): target", target, [B, K]);
  floatTensor("outerGrads(): x", x);
  if (x.shape[0] !== B) {
    throw new Error(`outerGrads(): x must be [${B}, J] for signal [${signal.shape}], got [${x.shape}]`);
  }
  const J = x.shape[1];
  const dW = output<tf.Tensor2D>([K, J]), db = output<tf.Tensor1D>([K]);
  const C = Math.ceil(B / 4);
  const sizes = [J * K * 4, target ? B * K * 4 : 0, B * 4, B * 4, 32, J * C * 4, C * 1024];
  return withScratch(sizes, (dWT, g, lists, vals, st, codes, tbl) => {
    kernel.outerGrads({
      B,
      K,
      J,
      signal: at(signal),
      target: target ? at(target) : 0,
      x: at(x),
      dW: at(dW),
      db: at(db),
      dWT,
      gScratch: g,
      lists,
      vals,
      withStats: withStats ? 1 : 0,
      stats: st,
      codes,
      tbl,
    });
    if (!withStats) return { dW, db, stats: null };
    const v = new Float64Array(memory.buffer, st, 4);
    return { dW, db, stats: { gx: v[0], dWSq: v[1], gg: v[2], dbSq: v[3] } };
  });
}

function hncaSignal(
  ctx: OpsContext,
  ...[{ fr, z, decLl, childLl, childEnt, pbar, logPSum, adv }]: Parameters<TfjsOps["hncaSignal"]>
): ReturnType<TfjsOps["hncaSignal"]> {
  const { kernel, memory, at, output, withScratch } = ctx;
  floatTensor("hncaSignal(): fr", fr);
  const [B, K] = fr.shape;
  for (const [n, t] of Object.entries({ z, decLl, childLl, childEnt })) {
    if (t) floatTensor(`hncaSignal(): ${n}`, t, [B, K]);
  }
  floatTensor("hncaSignal(): pbar", pbar, pbar.rank === 1 ? [K] : [B, K]);
  for (const [n, v] of Object.entries({ logPSum, adv })) {
    if (v.length !== B) throw new Error(`hncaSignal(): ${n} must have ${B} values, got ${v.length}`);
  }
  const out = output<tf.Tensor2D>([B, K]);
  withScratch([B * 4, B * 4], (l, a) => {
    new Float32Array(memory.buffer, l, B).set(logPSum);
    new Float32Array(memory.buffer, a, B).set(adv);
    kernel.hncaSignal({
      B,
      K,
      fr: at(fr),
      z: at(z),
      decLl: at(decLl),
      childLl: childLl ? at(childLl) : 0,
      childEnt: childEnt ? at(childEnt) : 0,
      pbar: at(pbar),
      pbarStride: pbar.rank === 1 ? 0 : K,
      logPSum: l,
      adv: a,
      out: at(out),
    });
  });
  return out;
}

/** Per-example sums of log-probabilities (target given) or entropies of clipped fire rates. */
function rowSums(
  ctx: Pick<OpsContext, "kernel" | "memory" | "at" | "withScratch">,
  fireRate: tf.Tensor,
  target: tf.Tensor | null,
  B: number,
  K: number,
): Float32Array {
  const { kernel, memory, at, withScratch } = ctx;
  return withScratch([B * 4], (o) => {
    kernel.bernoulliRowSums({
      B,
      K,
      fr: at(fireRate),
      frStride: fireRate.rank === 1 ? 0 : K,
      target: target ? at(target) : 0,
      mode: target ? 0 : 1,
      out: o,
    });
    return new Float32Array(memory.buffer, o, B).slice();
  });
}

/** Every op, by name. */
const OPS = {
  adamUpdate,
  convFilterGradStats,
  denseForward,
  denseForwardT,
  denseReluGrads,
  convInputGradRelu,
  flipTerms,
  bernoulliForward,
  bernoulliLogProbRows,
  bernoulliEntropyRows,
  outerGrads,
  hncaSignal,
};

/** The kernels for the active tfjs backend, or null when it is not wasm. */
export function tfjsOps(): TfjsOps | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as unknown as WasmBackendLike;
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || typeof backend.makeOutput !== "function") {
    throw new Error(
      "tfjsOps(): this tfjs-backend-wasm does not expose its memory as wasm.asm.memory (written for 4.22.0)",
    );
  }
  const known = bound.get(memory);
  if (known) return known;
  compiled ??= new WebAssembly.Module(Deno.readFileSync(new URL("./tfjs_ops.wasm", import.meta.url)));
  const kernel = bindKernels(new WebAssembly.Instance(compiled, { env: { memory } }).exports);
  const at = (t: tf.Tensor) => backend.getMemoryOffset(t.dataId);
  const output = <T extends tf.Tensor>(shape: number[]): T =>
    tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, "float32")) as T;
  // Scratch regions of the given byte sizes in tfjs's heap, each 16-byte aligned, freed after fn.
  const withScratch = <R>(sizes: number[], fn: (...at: number[]) => R): R => {
    const padded = sizes.map((n) => Math.ceil(n / 16) * 16);
    const base = backend.wasm._malloc(padded.reduce((a, b) => a + b, 0) + 16) >>> 0;
    let next = Math.ceil(base / 16) * 16;
    const regions = padded.map((n) => (next += n) - n);
    try {
      return fn(...regions);
    } finally {
      backend.wasm._free(base);
    }
  };
  const base = { kernel, memory, at, withScratch };
  const ctx: OpsContext = {
    ...base,
    output,
    listScratch: (B, F) => [B * F * 4, B * F * 4, B * 12],
    f32: Math.fround,
    rowSums: (fireRate, target, B, K) => rowSums(base, fireRate, target, B, K),
  };
  const ops = Object.fromEntries(
    Object.entries(OPS).map((
      [name, op],
    ) => [name, (...args: never[]) => (op as (c: OpsContext, ...a: never[]) => unknown)(ctx, ...args)]),
  ) as unknown as TfjsOps;
  bound.set(memory, ops);
  return ops;
}
