/**
 * The plastic RNNs' forward pass and backpropagation through time with the
 * H x H work on WebAssembly SIMD kernels (lib/kernels/plastic_rnn.ts): the
 * recurrent product through plastic weights, the traces and their clip, and
 * their backward passes, in float32; the input layer, heads, tanh and the
 * modulator stay in TypeScript. The same equations as `unroll` and
 * `plasticRnnBackward` (lib/models/plastic_rnn.ts), whose results it matches
 * within float32 rounding (sums run in another order); its own results are
 * the same bits on every run and machine.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { initPlasticRnn } from "./plastic_rnn.ts";
 * import { unrollKernel, backwardKernel } from "./plastic_rnn_kernel.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const spec = { variant: "modplast" as const, inputs: 17, hidden: 10, actions: 4, traceClip: 1 };
 * const p = initPlasticRnn(Rng.fromSeed(0).stream("init"), spec);
 * const traj = unrollKernel(p, spec, 2, 3, {
 *   observe: (_t, xt) => xt.fill(0.5),
 *   act: (_t, _probs, actions) => actions.fill(1),
 * });
 * const g = backwardKernel(p, traj, new Float64Array(3 * 2 * 4).fill(0.1), new Float64Array(3 * 2));
 * assertEquals(g["alpha"].length, 100);
 * ```
 * @module
 */
import { plasticKernel } from "../kernels/plastic_rnn.ts";
import {
  type PlasticRnnParams,
  plasticRnnShapes,
  type PlasticRnnSpec,
  policyHeads,
  type UnrollDriver,
} from "./plastic_rnn.ts";

/** A forward pass recorded for `backwardKernel`: the kernel memory's regions and the heads' outputs. */
export interface KernelTrajectory {
  spec: PlasticRnnSpec;
  B: number;
  T: number;
  /** Row stride of every [H, H] matrix and H-vector in kernel memory: H rounded up to 4. */
  P: number;
  /** Inputs [T, B, I]. */
  x: Float32Array;
  /** Byte offsets in kernel memory: see `regions`. */
  at: Regions;
  /** The modulation m_t [T, B] (eta for plastic); policy logits and probabilities [T, B, A], values [T, B], actions. */
  m: Float32Array;
  logits: Float32Array;
  probs: Float32Array;
  values: Float32Array;
  actions: Int32Array;
}

interface Regions {
  W: number;
  alpha: number;
  h: number; // [T + 1, B, P]
  trace: number; // [T + 1, B, H, P]: slot t the trace before step t (the Hebbian variants leave slot T unwritten)
  et: number; // [T + 1, B, H, P] (modul)
  eta: number; // [T, B, P]: each receiving neuron's rate (Hebbian variants)
  m: number; // [T, B]
  pre: number; // [B, P]
  gW: number;
  gAlpha: number;
  gTr: number; // [B, H, P]
  gEt: number;
  ghp: number; // [B, P]
  ga: number; // [B, P]
  rows: number; // [B, P]
  gm: number; // [B]
  gk: number; // [B]
}

function layout(spec: PlasticRnnSpec, B: number, T: number, P: number): Regions {
  const H = spec.hidden, HP = H * P, modul = spec.variant === "modul";
  const names: [keyof Regions, number][] = [
    ["W", HP],
    ["alpha", HP],
    ["h", (T + 1) * B * P],
    ["trace", spec.variant === "rnn" ? 0 : (T + 1) * B * HP],
    ["et", modul ? (T + 1) * B * HP : 0],
    ["eta", T * B * P],
    ["m", T * B],
    ["pre", B * P],
    ["gW", HP],
    ["gAlpha", HP],
    ["gTr", B * HP],
    ["gEt", modul ? B * HP : 0],
    ["ghp", B * P],
    ["ga", B * P],
    ["rows", B * P],
    ["gm", B],
    ["gk", B],
  ];
  const offsets = plasticKernel().reserve(names.map(([, n]) => n));
  return Object.fromEntries(names.map(([k], i) => [k, offsets[i]])) as unknown as Regions;
}

/** Copies an [H, H] row-major matrix into kernel memory with row stride P (padding zero). */
function putPadded(at: number, m: ArrayLike<number>, H: number, P: number): void {
  const dst = plasticKernel().floats(at, H * P);
  dst.fill(0);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) dst[i * P + j] = m[i * H + j];
}

/** Runs the network for T steps over B episodes from zero state, as `unroll` does. */
export function unrollKernel(
  p: PlasticRnnParams,
  spec: PlasticRnnSpec,
  B: number,
  T: number,
  driver: UnrollDriver,
): KernelTrajectory {
  const { inputs: I, hidden: H, actions: A, variant } = spec;
  const P = Math.ceil(H / 4) * 4, k = plasticKernel();
  const at = layout(spec, B, T, P);
  putPadded(at.W, p["w"], H, P);
  if (variant !== "rnn") putPadded(at.alpha, p["alpha"], H, P);
  k.floats(at.h, B * P).fill(0);
  if (variant !== "rnn") k.floats(at.trace, B * H * P).fill(0);
  if (variant === "modul") k.floats(at.et, B * H * P).fill(0);
  const traj: KernelTrajectory = {
    spec,
    B,
    T,
    P,
    at,
    x: new Float32Array(T * B * I),
    m: k.floats(at.m, T * B),
    logits: new Float32Array(T * B * A),
    probs: new Float32Array(T * B * A),
    values: new Float32Array(T * B),
    actions: new Int32Array(T * B),
  };
  for (let t = 0; t < T; t++) {
    const xt = traj.x.subarray(t * B * I, (t + 1) * B * I);
    driver.observe(t, xt);
    forwardStep(p, traj, t, xt);
    driver.act(t, traj.probs.subarray(t * B * A, (t + 1) * B * A), traj.actions.subarray(t * B, (t + 1) * B));
  }
  return traj;
}

/** Input layer of step t into pre: [B, P], skipping zero inputs (most of the maze's are 0). */
function inputLayer(p: PlasticRnnParams, traj: KernelTrajectory, xt: Float32Array, pre: Float32Array): void {
  const { spec, B, P } = traj, { inputs: I, hidden: H } = spec, Wi = p["i2h.w"], bi = p["i2h.b"];
  pre.fill(0);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < H; i++) pre[b * P + i] = bi[i];
    for (let q = 0; q < I; q++) {
      const v = xt[b * I + q];
      if (v === 0) continue;
      for (let i = 0; i < H; i++) pre[b * P + i] += Wi[i * I + q] * v;
    }
  }
}

/**
 * Step t: pre-activations, then the recurrent product (for the Hebbian variants fused with the previous
 * step's trace update, which writes the trace before step t), tanh, heads, modulation, and each
 * receiving neuron's rate eta_t (used by step t + 1's update and by the backward pass).
 */
function forwardStep(p: PlasticRnnParams, traj: KernelTrajectory, t: number, xt: Float32Array): void {
  const { spec, B, P, at } = traj, { hidden: H, variant } = spec, k = plasticKernel();
  const HP = H * P, c = spec.traceClip, pre = k.floats(at.pre, B * P);
  inputLayer(p, traj, xt, pre);
  const hAt = (s: number) => at.h + s * B * P * 4, trAt = (s: number) => at.trace + s * B * HP * 4;
  if (variant === "rnn" || variant === "modul" || t === 0) {
    const plastic = variant === "rnn" ? 0 : 1;
    k.call.recurrent({ B, H, P, plastic, W: at.W, alpha: at.alpha, tr: trAt(t), hPrev: hAt(t), pre: at.pre });
  } else {
    const eta = at.eta + (t - 1) * B * P * 4;
    k.call.recurrentHebb({
      B,
      H,
      P,
      c,
      W: at.W,
      alpha: at.alpha,
      eta,
      hNow: hAt(t),
      hBefore: hAt(t - 1),
      trBefore: trAt(t - 1),
      trNow: trAt(t),
      pre: at.pre,
    });
  }
  const h = k.floats(hAt(t + 1), B * P);
  h.fill(0);
  for (let b = 0; b < B; b++) for (let i = 0; i < H; i++) h[b * P + i] = Math.tanh(pre[b * P + i]);
  heads(p, traj, t, h);
  if (variant === "rnn") return;
  if (variant === "modul") {
    const et = (s: number) => at.et + s * B * HP * 4, m = at.m + t * B * 4, kk = p["etaet"][0];
    const [hNew, hPrev, trPrev, trNew] = [hAt(t + 1), hAt(t), trAt(t), trAt(t + 1)];
    k.call.modulTraces({ B, H, P, c, k: kk, m, hNew, hPrev, trPrev, trNew, etPrev: et(t), etNew: et(t + 1) });
    return;
  }
  const eta = k.floats(at.eta + t * B * P * 4, B * P), wf = p["modfanout.w"], bf = p["modfanout.b"];
  eta.fill(0);
  for (let b = 0; b < B; b++) {
    const m = traj.m[t * B + b];
    for (let i = 0; i < H; i++) eta[b * P + i] = wf ? m * wf[i] + bf[i] : m;
  }
}

/** The policy and value heads and the modulator of step t, from the new hidden states h: [B, P]. */
function heads(p: PlasticRnnParams, traj: KernelTrajectory, t: number, h: Float32Array): void {
  for (let b = 0; b < traj.B; b++) policyHeads(p, traj.spec, h, b * traj.P, traj, t * traj.B + b);
}

/** Gradients of a loss with respect to every parameter, from its gradients at the logits [T, B, A] and values [T, B]. */
export function backwardKernel(
  p: PlasticRnnParams,
  traj: KernelTrajectory,
  gLogits: ArrayLike<number>,
  gValues: ArrayLike<number>,
): Record<string, Float64Array> {
  const { spec, B, T, P, at } = traj, { hidden: H, actions: A } = spec, k = plasticKernel();
  if (gLogits.length !== T * B * A) throw new Error(`backwardKernel(): gLogits must be [T=${T}, B=${B}, A=${A}]`);
  if (gValues.length !== T * B) throw new Error(`backwardKernel(): gValues must be [T=${T}, B=${B}]`);
  const g: Record<string, Float64Array> = {};
  for (const [name, shape] of plasticRnnShapes(spec)) g[name] = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (const r of [at.gW, at.gAlpha]) k.floats(r, H * P).fill(0);
  k.floats(at.gTr, B * H * P).fill(0);
  if (spec.variant === "modul") k.floats(at.gEt, B * H * P).fill(0);
  const st: KernelBackState = { g, gLogits, gValues, ghNext: new Float64Array(B * H) };
  for (let t = T - 1; t >= 0; t--) backwardStep(p, traj, t, st);
  const gW = k.floats(at.gW, H * P), gAlpha = k.floats(at.gAlpha, H * P);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < H; j++) {
      g["w"][i * H + j] = gW[i * P + j];
      if (g["alpha"]) g["alpha"][i * H + j] = gAlpha[i * P + j];
    }
  }
  return g;
}

/**
 * What the backward pass carries from step to step: the gradients g, the loss's gradients at the logits [T, B, A]
 * and values [T, B], and dL/dh from the later steps (ghNext, [B, H]).
 */
interface KernelBackState {
  g: Record<string, Float64Array>;
  gLogits: ArrayLike<number>;
  gValues: ArrayLike<number>;
  ghNext: Float64Array;
}

/** dL/dh of step t from the heads and the later steps, written over ghNext: [B, H]; the heads' gradients are accumulated. */
function headsBack(
  p: PlasticRnnParams,
  traj: KernelTrajectory,
  t: number,
  { g, gLogits, gValues, ghNext }: KernelBackState,
  h: Float32Array,
): Float64Array {
  const { spec, B, P } = traj, { hidden: H, actions: A } = spec;
  const Wo = p["h2o.w"], wv = p["h2v.w"], gh = ghNext; // in place: element i reads its own ghNext first
  const gWo = g["h2o.w"], gbo = g["h2o.b"], gwv = g["h2v.w"], gbv = g["h2v.b"];
  for (let b = 0; b < B; b++) {
    const ob = (t * B + b) * A, gv = gValues[t * B + b];
    for (let i = 0; i < H; i++) {
      const hi = h[b * P + i];
      let s = ghNext[b * H + i] + wv[i] * gv;
      for (let a = 0; a < A; a++) {
        s += Wo[a * H + i] * gLogits[ob + a];
        gWo[a * H + i] += gLogits[ob + a] * hi;
      }
      gh[b * H + i] = s;
      gwv[i] += gv * hi;
    }
    gbv[0] += gv;
    for (let a = 0; a < A; a++) gbo[a] += gLogits[ob + a];
  }
  return gh;
}

/** Backward through the traces of step t (kernels), then the modulator: adds to gh, returns dL/dm [B]. */
function tracesBack(
  p: PlasticRnnParams,
  traj: KernelTrajectory,
  t: number,
  g: Record<string, Float64Array>,
  gh: Float64Array,
): Float64Array {
  const { spec, B, P, at } = traj, { hidden: H, variant } = spec, k = plasticKernel();
  const HP = H * P, c = spec.traceClip, gm = new Float64Array(B);
  const hPrev = at.h + t * B * P * 4, hNew = at.h + (t + 1) * B * P * 4, trPrev = at.trace + t * B * HP * 4;
  const h = k.floats(hNew, B * P), rows = k.floats(at.rows, B * P);
  if (variant === "modul") {
    const kk = p["etaet"][0], m = at.m + t * B * 4, etPrev = at.et + t * B * HP * 4;
    k.call.modulBack({
      B,
      H,
      P,
      c,
      k: kk,
      m,
      hNew,
      hPrev,
      trPrev,
      etPrev,
      gTr: at.gTr,
      gEt: at.gEt,
      rowE: at.rows,
      ghp: at.ghp,
      gm: at.gm,
      gk: at.gk,
    });
    const gmK = k.floats(at.gm, B), gkK = k.floats(at.gk, B);
    for (let b = 0; b < B; b++) {
      gm[b] = gmK[b];
      let gk = gkK[b];
      for (let i = 0; i < H; i++) {
        gk += h[b * P + i] * rows[b * P + i];
        gh[b * H + i] += kk * rows[b * P + i];
      }
      g["etaet"][0] += gk;
    }
    return gm;
  }
  const eta = k.floats(at.eta + t * B * P * 4, B * P), wf = p["modfanout.w"];
  const gwf = g["modfanout.w"], gbf = g["modfanout.b"];
  k.call.hebbBack({
    B,
    H,
    P,
    c,
    eta: at.eta + t * B * P * 4,
    hNew,
    hPrev,
    trPrev,
    gTr: at.gTr,
    rowAcc: at.rows,
    ghp: at.ghp,
  });
  for (let b = 0; b < B; b++) {
    const m = traj.m[t * B + b];
    for (let i = 0; i < H; i++) {
      const r = rows[b * P + i], gEta = h[b * P + i] * r;
      gh[b * H + i] += eta[b * P + i] * r;
      if (wf) {
        gwf[i] += gEta * m;
        gbf[i] += gEta;
        gm[b] += gEta * wf[i];
      } else gm[b] += gEta;
    }
  }
  return gm;
}

/** One step back: heads, traces and modulator, tanh and the input layer, then the recurrent product (kernels). */
function backwardStep(p: PlasticRnnParams, traj: KernelTrajectory, t: number, st: KernelBackState): void {
  const { g, ghNext } = st;
  const { spec, B, P, at } = traj, { inputs: I, hidden: H, variant } = spec, k = plasticKernel();
  const hNewAt = at.h + (t + 1) * B * P * 4, h = k.floats(hNewAt, B * P);
  const gh = headsBack(p, traj, t, st, h);
  k.floats(at.ghp, B * P).fill(0);
  if (variant !== "rnn") {
    const gm = tracesBack(p, traj, t, g, gh);
    if (variant === "plastic") { for (let b = 0; b < B; b++) g["eta"][0] += gm[b]; }
    else modulatorBack(p, traj, t, g, gh, gm, h);
  }
  const ga = k.floats(at.ga, B * P), gbi = g["i2h.b"], gWi = g["i2h.w"], a = new Float64Array(H);
  ga.fill(0);
  for (let b = 0; b < B; b++) {
    const xo = (t * B + b) * I;
    for (let i = 0; i < H; i++) {
      const hi = h[b * P + i];
      a[i] = gh[b * H + i] * (1 - hi * hi);
      ga[b * P + i] = a[i];
      gbi[i] += a[i];
    }
    // Most of the maze's inputs are 0: only the others reach the input weights (each weight's sum keeps its order).
    for (let q = 0; q < I; q++) {
      const v = traj.x[xo + q];
      if (v === 0) continue;
      for (let i = 0; i < H; i++) if (a[i] !== 0) gWi[i * I + q] += a[i] * v;
    }
  }
  const hPrev = at.h + t * B * P * 4, tr = at.trace + t * B * H * P * 4;
  const plastic = variant !== "rnn" ? 1 : 0;
  k.call.recurrentBack({
    B,
    H,
    P,
    plastic,
    W: at.W,
    alpha: at.alpha,
    tr,
    hPrev,
    ga: at.ga,
    gW: at.gW,
    gAlpha: at.gAlpha,
    gTr: at.gTr,
    ghp: at.ghp,
  });
  const ghp = k.floats(at.ghp, B * P);
  for (let b = 0; b < B; b++) for (let i = 0; i < H; i++) ghNext[b * H + i] = ghp[b * P + i];
}

/** Through m_t = tanh(wm . h_t + bm): the modulator's gradients, and its part of gh. */
function modulatorBack(
  p: PlasticRnnParams,
  traj: KernelTrajectory,
  t: number,
  g: Record<string, Float64Array>,
  gh: Float64Array,
  gm: Float64Array,
  h: Float32Array,
): void {
  const { B, P, spec } = traj, H = spec.hidden, wm = p["h2mod.w"], gwm = g["h2mod.w"];
  for (let b = 0; b < B; b++) {
    const m = traj.m[t * B + b], gz = gm[b] * (1 - m * m);
    g["h2mod.b"][0] += gz;
    for (let i = 0; i < H; i++) {
      gwm[i] += gz * h[b * P + i];
      gh[b * H + i] += gz * wm[i];
    }
  }
}
