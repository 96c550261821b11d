/**
 * The recurrent networks of Backpropamine (Miconi et al. 2019,
 * uber-research/backpropamine maze/batch.py): a plain RNN, a plastic RNN, and
 * two neuromodulated plastic RNNs, with a hand-written forward pass and
 * backpropagation through time over plain typed arrays (the fused path), and
 * the same forward pass in tfjs ops (the path it is checked against).
 *
 * For one episode (batch element), x_t: [I] input, h_t: [H] (h_{-1} = 0),
 * trace_{-1} = 0; rows of the [H, H] matrices are a neuron's inputs:
 *
 *   rnn:       h_t = tanh(Wi x_t + bi + W h_{t-1})
 *   plastic:   h_t = tanh(Wi x_t + bi + (W + alpha . hebb_{t-1}) h_{t-1})
 *              hebb_t = clip(hebb_{t-1} + eta h_t h_{t-1}^T, -c, c)      (eta: one learned scalar)
 *   modplast:  as plastic with eta replaced by m_t = tanh(wm . h_t + bm)  (simple neuromodulation)
 *   modplast-fanout: as modplast, with the modulator fanned out to one eta per receiving neuron,
 *              eta_t,i = m_t wf_i + bf_i (simplemaze/maze.py's `modfanout = Linear(1, hsize)`):
 *              hebb_t = clip(hebb_{t-1} + diag(eta_t) h_t h_{t-1}^T, -c, c)
 *   modul:     h_t = tanh(Wi x_t + bi + (W + alpha . pw_{t-1}) h_{t-1})
 *              m_t = tanh(wm . h_t + bm)
 *              pw_t = clip(pw_{t-1} + m_t et_{t-1}, -c, c)                (retroactive modulation)
 *              et_t = (1 - k) et_{t-1} + k h_t h_{t-1}^T                   (eligibility trace, k learned)
 *   heads:     logits_t = Wo h_t + bo,  v_t = wv . h_t + bv
 *
 * c is 1 in batch.py (`--addpw 3`, hard clip; simplemaze/maze.py clips at 2).
 * Initialisation as batch.py: W and alpha 0.01 U(0, 1), eta and k 0.01, the
 * linear layers as PyTorch's nn.Linear, U(-1/sqrt(fan_in), 1/sqrt(fan_in));
 * modplast-fanout as simplemaze/maze.py: W and alpha 0.001 U(0, 1), the
 * fan-out (fan_in 1) U(-1, 1). The paper's sizes are parameter matched: 100
 * hidden units for modplast and modul, 101 for plastic, 139 for rnn (about
 * 22,500 parameters each); simplemaze's network has 100.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { initPlasticRnn, parameterCount, plasticRnnBackward, unroll } from "./plastic_rnn.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const spec = { variant: "modplast" as const, inputs: 17, hidden: 100, actions: 4, traceClip: 1 };
 * const p = initPlasticRnn(Rng.fromSeed(0).stream("init"), spec);
 * assertEquals(parameterCount(spec), 22406);
 * const x = new Float32Array(2 * 3 * 17).fill(0.5);
 * const traj = unroll(p, spec, 2, 3, {
 *   observe: (t, xt) => xt.set(x.subarray(t * 2 * 17, (t + 1) * 2 * 17)),
 *   act: (_t, _probs, actions) => actions.fill(1),
 * });
 * const grads = plasticRnnBackward(p, traj, new Float64Array(3 * 2 * 4).fill(0.1), new Float64Array(3 * 2));
 * assertEquals(grads["alpha"].length, 10000);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng/mod.ts";

/** The four networks of the paper's maze experiment. */
export type PlasticVariant = "rnn" | "plastic" | "modplast" | "modul" | "modplast-fanout";
/** Every variant: batch.py's four, then simplemaze's network. */
export const PLASTIC_VARIANTS: readonly PlasticVariant[] = ["modplast", "modul", "plastic", "rnn", "modplast-fanout"];
/**
 * Hidden sizes of the paper's runs (maze/request_*.json): parameter matched;
 * simplemaze's network at its default `--hs 100`.
 */
export const PAPER_HIDDEN: Readonly<Record<PlasticVariant, number>> = {
  modplast: 100,
  modul: 100,
  plastic: 101,
  rnn: 139,
  "modplast-fanout": 100,
};

/** Whether a variant's plasticity is gated by a learned modulator m_t. */
export function isModulated(variant: PlasticVariant): boolean {
  return variant === "modplast" || variant === "modul" || variant === "modplast-fanout";
}

/** Whether a variant adds m_t h_t h_{t-1}^T (scaled per receiving neuron with the fan-out) to a Hebbian trace. */
function isHebbian(variant: PlasticVariant): boolean {
  return variant === "plastic" || variant === "modplast" || variant === "modplast-fanout";
}

/** Sizes and the trace clip. */
export interface PlasticRnnSpec {
  variant: PlasticVariant;
  inputs: number;
  hidden: number;
  actions: number;
  /** Traces (hebb, pw) are clipped to [-traceClip, traceClip]. */
  traceClip: number;
}

/** A typed array of floats. */
export type Floats = Float32Array | Float64Array;
/** Parameters by name (row-major). */
export type PlasticRnnParams = Record<string, Floats>;

/** The parameters of a variant and their shapes, in initialisation order. */
export function plasticRnnShapes(spec: PlasticRnnSpec): [string, number[]][] {
  const { inputs: I, hidden: H, actions: A, variant } = spec;
  const out: [string, number[]][] = [["i2h.w", [H, I]], ["i2h.b", [H]], ["w", [H, H]]];
  if (variant !== "rnn") out.push(["alpha", [H, H]]);
  if (variant === "plastic") out.push(["eta", [1]]);
  if (variant === "modul") out.push(["etaet", [1]]);
  if (isModulated(variant)) out.push(["h2mod.w", [1, H]], ["h2mod.b", [1]]);
  if (variant === "modplast-fanout") out.push(["modfanout.w", [H, 1]], ["modfanout.b", [H]]);
  out.push(["h2o.w", [A, H]], ["h2o.b", [A]], ["h2v.w", [1, H]], ["h2v.b", [1]]);
  return out;
}

/** Number of trained parameters. */
export function parameterCount(spec: PlasticRnnSpec): number {
  return plasticRnnShapes(spec).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
}

/**
 * The hidden size of `variant` that matches the parameter count of simple
 * modulation (modplast) with `hidden` units: the smallest size with at least
 * as many parameters. modplast and modul keep `hidden`. At 100 this gives the
 * paper's sizes: plastic 101, rnn 139.
 */
export function matchedHidden(
  variant: PlasticVariant,
  hidden: number,
  base: Omit<PlasticRnnSpec, "variant" | "hidden">,
): number {
  if (isModulated(variant)) return hidden;
  const target = parameterCount({ ...base, variant: "modplast", hidden });
  let h = 1;
  while (parameterCount({ ...base, variant, hidden: h }) < target) h++;
  return h;
}

/** Initial parameters as batch.py, or simplemaze for its network (see the module doc), drawn in `plasticRnnShapes` order. */
export function initPlasticRnn(rng: Rng, spec: PlasticRnnSpec): PlasticRnnParams {
  checkSpec(spec);
  const p: PlasticRnnParams = {};
  const linear = (n: number, fanIn: number) => {
    const a = 1 / Math.sqrt(fanIn);
    return Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * a);
  };
  const plasticScale = spec.variant === "modplast-fanout" ? 0.001 : 0.01;
  for (const [name, shape] of plasticRnnShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (name === "w" || name === "alpha") {
      p[name] = Float32Array.from({ length: n }, () => plasticScale * rng.uniform());
    } else if (name === "eta" || name === "etaet") p[name] = Float32Array.of(0.01);
    else if (name.startsWith("i2h")) p[name] = linear(n, spec.inputs);
    else if (name.startsWith("modfanout")) p[name] = linear(n, 1);
    else p[name] = linear(n, spec.hidden);
  }
  return p;
}

function checkSpec(spec: PlasticRnnSpec): void {
  for (const k of ["inputs", "hidden", "actions"] as const) {
    if (!(Number.isInteger(spec[k]) && spec[k] > 0)) {
      throw new Error(`plastic RNN: ${k} must be a positive integer, got ${spec[k]}`);
    }
  }
  if (!PLASTIC_VARIANTS.includes(spec.variant)) throw new Error(`plastic RNN: unknown variant '${spec.variant}'`);
  if (!(spec.traceClip > 0)) throw new Error(`plastic RNN: traceClip must be positive, got ${spec.traceClip}`);
}

function checkParams(p: PlasticRnnParams, spec: PlasticRnnSpec, who: string): void {
  for (const [name, shape] of plasticRnnShapes(spec)) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (!p[name]) throw new Error(`${who}: parameter '${name}' is missing`);
    if (p[name].length !== n) {
      throw new Error(`${who}: parameter '${name}' has ${p[name].length} values, expected [${shape}]`);
    }
  }
}

/** What the forward pass needs from the environment at each step. */
export interface UnrollDriver {
  /** Writes the inputs of step t into x: [B, I]. */
  observe(t: number, x: Floats): void;
  /** Chooses the actions of step t ([B], written into `actions`) from the policy's probabilities [B, A]. */
  act(t: number, probs: Floats, actions: Int32Array): void;
}

/** A recorded forward pass: what backpropagation through time reads. */
export interface Trajectory {
  spec: PlasticRnnSpec;
  B: number;
  T: number;
  /** Inputs, [T, B, I]. */
  x: Floats;
  /** Hidden states, [T + 1, B, H]: slot 0 is h_{-1} = 0, slot t + 1 is h_t. */
  h: Floats;
  /** hebb (plastic, modplast) or pw (modul), [T + 1, B, H, H]: slot t is the trace before step t. Empty for rnn. */
  trace: Floats;
  /** Eligibility traces of modul, [T + 1, B, H, H] as trace; empty otherwise. */
  et: Floats;
  /** The modulation m_t (eta for plastic), [T, B]. */
  m: Floats;
  /** Policy logits [T, B, A], probabilities [T, B, A], values [T, B], actions [T, B]. */
  logits: Floats;
  probs: Floats;
  values: Floats;
  actions: Int32Array;
}

/**
 * Runs the network for T steps over B episodes from zero state, asking the
 * driver for inputs and actions, and records everything backpropagation
 * needs. `float64` stores every value in double precision (for
 * finite-difference checks); otherwise values are rounded to float32 as
 * they are stored, as PyTorch's float32 tensors. `reuse` hands back the
 * previous trajectory to overwrite its arrays when they fit.
 */
export function unroll(
  p: PlasticRnnParams,
  spec: PlasticRnnSpec,
  B: number,
  T: number,
  driver: UnrollDriver,
  opts: { float64?: boolean; reuse?: Trajectory | null } = {},
): Trajectory {
  checkSpec(spec);
  checkParams(p, spec, "unroll()");
  const { inputs: I, hidden: H, actions: A, variant } = spec;
  const HH = H * H;
  const F = opts.float64 ? Float64Array : Float32Array;
  const plastic = variant !== "rnn";
  const traj: Trajectory = reusable(opts.reuse, spec, B, T, F) ?? {
    spec,
    B,
    T,
    x: new F(T * B * I),
    h: new F((T + 1) * B * H),
    trace: new F(plastic ? (T + 1) * B * HH : 0),
    et: new F(variant === "modul" ? (T + 1) * B * HH : 0),
    m: new F(T * B),
    logits: new F(T * B * A),
    probs: new F(T * B * A),
    values: new F(T * B),
    actions: new Int32Array(T * B),
  };
  // Every slot after the first is overwritten below; the initial state is zero.
  traj.h.fill(0, 0, B * H);
  traj.trace.fill(0, 0, plastic ? B * HH : 0);
  traj.et.fill(0, 0, variant === "modul" ? B * HH : 0);
  for (let t = 0; t < T; t++) {
    const xt = traj.x.subarray(t * B * I, (t + 1) * B * I);
    driver.observe(t, xt);
    for (let b = 0; b < B; b++) {
      hiddenStep(p, traj, t, b);
      headsStep(p, traj, t, b);
      tracesStep(p, traj, t, b);
    }
    driver.act(t, traj.probs.subarray(t * B * A, (t + 1) * B * A), traj.actions.subarray(t * B, (t + 1) * B));
  }
  return traj;
}

/** h_t of episode b: tanh of the input layer plus the recurrent product through w (+ alpha . trace). */
function hiddenStep(p: PlasticRnnParams, traj: Trajectory, t: number, b: number): void {
  const { spec, B, x, h, trace } = traj, { inputs: I, hidden: H } = spec, HH = H * H;
  const Wi = p["i2h.w"], bi = p["i2h.b"], W = p["w"], alpha = p["alpha"], plastic = spec.variant !== "rnn";
  const xo = (t * B + b) * I, hp = (t * B + b) * H, hn = ((t + 1) * B + b) * H, trP = (t * B + b) * HH;
  for (let i = 0; i < H; i++) {
    let acc = bi[i];
    for (let q = 0; q < I; q++) acc += Wi[i * I + q] * x[xo + q];
    const row = i * H;
    if (plastic) {
      for (let j = 0; j < H; j++) acc += (W[row + j] + alpha[row + j] * trace[trP + row + j]) * h[hp + j];
    } else {
      for (let j = 0; j < H; j++) acc += W[row + j] * h[hp + j];
    }
    h[hn + i] = Math.tanh(acc);
  }
}

/** The policy (logits, softmax), the value and the modulation m_t of episode b at step t, from h_t. */
function headsStep(p: PlasticRnnParams, traj: Trajectory, t: number, b: number): void {
  policyHeads(p, traj.spec, traj.h, ((t + 1) * traj.B + b) * traj.spec.hidden, traj, t * traj.B + b);
}

/**
 * The heads of one episode at one step, shared by the fused and the kernel paths: from the hidden state
 * h[hAt .. hAt + H), writes the policy logits and softmax probabilities (out.logits, out.probs at row `row` of
 * [., A]), the value (out.values[row]) and the modulation m_t (out.m[row]: eta for plastic, tanh of the
 * modulator for the modulated variants, 0 for rnn).
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { initPlasticRnn, policyHeads } from "./plastic_rnn.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const spec = { variant: "rnn" as const, inputs: 3, hidden: 4, actions: 2, traceClip: 1 };
 * const out = { logits: new Float64Array(2), probs: new Float64Array(2), values: new Float64Array(1), m: new Float64Array(1) };
 * policyHeads(initPlasticRnn(Rng.fromSeed(0).stream("init"), spec), spec, new Float64Array(4), 0, out, 0);
 * assertEquals(out.probs[0] + out.probs[1], 1);
 * ```
 */
export function policyHeads(
  p: PlasticRnnParams,
  spec: PlasticRnnSpec,
  h: ArrayLike<number>,
  hAt: number,
  out: { logits: Floats; probs: Floats; values: Floats; m: Floats },
  row: number,
): void {
  const { hidden: H, actions: A, variant } = spec;
  const Wo = p["h2o.w"], bo = p["h2o.b"], wv = p["h2v.w"], ob = row * A;
  let mx = -Infinity;
  for (let a = 0; a < A; a++) {
    let z = bo[a];
    for (let i = 0; i < H; i++) z += Wo[a * H + i] * h[hAt + i];
    out.logits[ob + a] = z;
    mx = Math.max(mx, out.logits[ob + a]);
  }
  let sum = 0;
  for (let a = 0; a < A; a++) sum += out.probs[ob + a] = Math.exp(out.logits[ob + a] - mx);
  for (let a = 0; a < A; a++) out.probs[ob + a] /= sum;
  let v = p["h2v.b"][0];
  for (let i = 0; i < H; i++) v += wv[i] * h[hAt + i];
  out.values[row] = v;
  let m = 0;
  if (variant === "plastic") m = p["eta"][0];
  else if (isModulated(variant)) {
    const wm = p["h2mod.w"];
    let z = p["h2mod.b"][0];
    for (let i = 0; i < H; i++) z += wm[i] * h[hAt + i];
    m = Math.tanh(z);
  }
  out.m[row] = m;
}

/** The traces after step t of episode b: the Hebbian update with its clip, or modul's two traces. */
function tracesStep(p: PlasticRnnParams, traj: Trajectory, t: number, b: number): void {
  const { spec, B, h, trace, et } = traj, { hidden: H, variant } = spec, HH = H * H, c = spec.traceClip;
  const hp = (t * B + b) * H, hn = ((t + 1) * B + b) * H, trP = (t * B + b) * HH, trN = ((t + 1) * B + b) * HH;
  const m = traj.m[t * B + b]; // the stored (possibly float32) value, which backpropagation reads
  if (isHebbian(variant)) {
    const wf = p["modfanout.w"], bf = p["modfanout.b"];
    for (let i = 0; i < H; i++) {
      const mh = (wf ? m * wf[i] + bf[i] : m) * h[hn + i], row = i * H;
      for (let j = 0; j < H; j++) {
        const u = trace[trP + row + j] + mh * h[hp + j];
        trace[trN + row + j] = u > c ? c : u < -c ? -c : u;
      }
    }
  } else if (variant === "modul") {
    const k = p["etaet"][0];
    for (let q = 0; q < HH; q++) {
      const u = trace[trP + q] + m * et[trP + q];
      trace[trN + q] = u > c ? c : u < -c ? -c : u;
    }
    for (let i = 0; i < H; i++) {
      const kh = k * h[hn + i], row = i * H;
      for (let j = 0; j < H; j++) et[trN + row + j] = (1 - k) * et[trP + row + j] + kh * h[hp + j];
    }
  }
}

/**
 * A previous trajectory whose arrays fit (same sizes and precision), to be
 * overwritten: a paper-sized trajectory holds 240 MB of traces, too much to
 * allocate and zero at every iteration.
 */
function reusable(
  t: Trajectory | null | undefined,
  spec: PlasticRnnSpec,
  B: number,
  T: number,
  F: Float32ArrayConstructor | Float64ArrayConstructor,
): Trajectory | null {
  if (!t || t.B !== B || t.T !== T || !(t.h instanceof F)) return null;
  const a = t.spec, b = spec;
  if (a.variant !== b.variant || a.inputs !== b.inputs || a.hidden !== b.hidden || a.actions !== b.actions) return null;
  return { ...t, spec };
}

/**
 * Backpropagation through time: the gradients of a loss with respect to
 * every parameter, given its gradients with respect to the logits
 * (gLogits: [T, B, A]) and values (gValues: [T, B]) of a trajectory. Float64.
 * Clipping passes gradient where the unclipped value lies within [-c, c]
 * (bounds included), as torch.clamp.
 */
export function plasticRnnBackward(
  p: PlasticRnnParams,
  traj: Trajectory,
  gLogits: ArrayLike<number>,
  gValues: ArrayLike<number>,
): Record<string, Float64Array> {
  const { spec, B, T } = traj;
  checkParams(p, spec, "plasticRnnBackward()");
  const { hidden: H, actions: A, variant } = spec;
  if (gLogits.length !== T * B * A) {
    throw new Error(`plasticRnnBackward(): gLogits has ${gLogits.length} values, expected [T=${T}, B=${B}, A=${A}]`);
  }
  if (gValues.length !== T * B) {
    throw new Error(`plasticRnnBackward(): gValues has ${gValues.length} values, expected [T=${T}, B=${B}]`);
  }
  const HH = H * H, plastic = variant !== "rnn";
  const g: Record<string, Float64Array> = {};
  for (const [name, shape] of plasticRnnShapes(spec)) g[name] = new Float64Array(shape.reduce((a, b) => a * b, 1));
  const st: BackState = {
    g,
    ghNext: new Float64Array(B * H),
    gTr: new Float64Array(plastic ? B * HH : 0),
    gEt: new Float64Array(variant === "modul" ? B * HH : 0),
    gh: new Float64Array(H),
    ga: new Float64Array(H),
    ghp: new Float64Array(H),
  };
  for (let t = T - 1; t >= 0; t--) {
    for (let b = 0; b < B; b++) {
      headsBack(p, traj, st, t, b, gLogits, gValues);
      st.ghp.fill(0);
      let gm = 0;
      if (isHebbian(variant)) gm = hebbianBack(p, traj, st, t, b);
      else if (variant === "modul") gm = modulBack(p, traj, st, t, b);
      if (variant === "plastic") g["eta"][0] += gm;
      else if (isModulated(variant)) modulatorBack(p, traj, st, t, b, gm);
      inputBack(traj, st, t, b);
      recurrentBack(p, traj, st, t, b);
      st.ghNext.set(st.ghp, b * H);
    }
  }
  return g;
}

/**
 * What backpropagation carries: the gradients g; per episode dL/dh from later steps (ghNext, [B, H]) and
 * dL/d(trace after step t) (gTr, gEt, [B, H, H]); and one step's dL/dh (gh), dL/d pre-activation (ga) and
 * dL/dh_{t-1} (ghp), each [H].
 */
interface BackState {
  g: Record<string, Float64Array>;
  ghNext: Float64Array;
  gTr: Float64Array;
  gEt: Float64Array;
  gh: Float64Array;
  ga: Float64Array;
  ghp: Float64Array;
}

/** dL/dh_t of episode b (into gh) from the heads and the later steps; the heads' gradients are accumulated. */
function headsBack(
  p: PlasticRnnParams,
  traj: Trajectory,
  st: BackState,
  t: number,
  b: number,
  gLogits: ArrayLike<number>,
  gValues: ArrayLike<number>,
): void {
  const { spec, B, h } = traj, { hidden: H, actions: A } = spec, { g, gh, ghNext } = st;
  const Wo = p["h2o.w"], wv = p["h2v.w"], gWo = g["h2o.w"], gwv = g["h2v.w"];
  const hn = ((t + 1) * B + b) * H, ob = (t * B + b) * A, gv = gValues[t * B + b];
  for (let i = 0; i < H; i++) {
    let s = ghNext[b * H + i] + wv[i] * gv;
    for (let a = 0; a < A; a++) s += Wo[a * H + i] * gLogits[ob + a];
    gh[i] = s;
    gwv[i] += gv * h[hn + i];
    for (let a = 0; a < A; a++) gWo[a * H + i] += gLogits[ob + a] * h[hn + i];
  }
  g["h2v.b"][0] += gv;
  for (let a = 0; a < A; a++) g["h2o.b"][a] += gLogits[ob + a];
}

/** Back through the Hebbian update of step t (gTr to before it, through the clip); returns dL/dm_t. */
function hebbianBack(p: PlasticRnnParams, traj: Trajectory, st: BackState, t: number, b: number): number {
  const { spec, B, h, trace } = traj, { hidden: H } = spec, HH = H * H, c = spec.traceClip;
  const { g, gTr, gh, ghp } = st, wf = p["modfanout.w"], bf = p["modfanout.b"];
  const hp = (t * B + b) * H, hn = ((t + 1) * B + b) * H, trP = (t * B + b) * HH, G = b * HH;
  const m = traj.m[t * B + b];
  let gm = 0;
  for (let i = 0; i < H; i++) {
    // With the fan-out, neuron i's rate is eta_i = m wf_i + bf_i; without it, m.
    const hi = h[hn + i], etaI = wf ? m * wf[i] + bf[i] : m, mh = etaI * hi, row = i * H;
    let rowAcc = 0;
    for (let j = 0; j < H; j++) {
      const u = trace[trP + row + j] + mh * h[hp + j];
      const gu = u >= -c && u <= c ? gTr[G + row + j] : 0;
      gTr[G + row + j] = gu;
      rowAcc += gu * h[hp + j];
      ghp[j] += mh * gu;
    }
    const gEta = hi * rowAcc;
    if (wf) {
      g["modfanout.w"][i] += gEta * m;
      g["modfanout.b"][i] += gEta;
      gm += gEta * wf[i];
    } else gm += gEta;
    gh[i] += etaI * rowAcc;
  }
  return gm;
}

/** Back through modul's traces of step t (gTr and gEt to before it); returns dL/dm_t. */
function modulBack(p: PlasticRnnParams, traj: Trajectory, st: BackState, t: number, b: number): number {
  const { spec, B, h, trace, et } = traj, { hidden: H } = spec, HH = H * H, c = spec.traceClip;
  const { g, gTr, gEt, gh, ghp } = st, k = p["etaet"][0];
  const hp = (t * B + b) * H, hn = ((t + 1) * B + b) * H, trP = (t * B + b) * HH, G = b * HH;
  const m = traj.m[t * B + b];
  let gm = 0, gk = 0;
  for (let i = 0; i < H; i++) {
    const hi = h[hn + i], kh = k * hi, row = i * H;
    let rowE = 0;
    for (let j = 0; j < H; j++) {
      const q = row + j, e = gEt[G + q], etp = et[trP + q];
      rowE += e * h[hp + j];
      ghp[j] += kh * e;
      gk -= e * etp;
      const u = trace[trP + q] + m * etp;
      const gu = u >= -c && u <= c ? gTr[G + q] : 0;
      gm += gu * etp;
      gEt[G + q] = (1 - k) * e + m * gu;
      gTr[G + q] = gu;
    }
    gk += hi * rowE;
    gh[i] += k * rowE;
  }
  g["etaet"][0] += gk;
  return gm;
}

/** Through m_t = tanh(h2mod(h_t)): the modulator's gradients, and its part of gh. */
function modulatorBack(p: PlasticRnnParams, traj: Trajectory, st: BackState, t: number, b: number, gm: number): void {
  const { spec, B, h } = traj, H = spec.hidden, { g, gh } = st, wm = p["h2mod.w"];
  const hn = ((t + 1) * B + b) * H, m = traj.m[t * B + b], gz = gm * (1 - m * m);
  g["h2mod.b"][0] += gz;
  for (let i = 0; i < H; i++) {
    g["h2mod.w"][i] += gz * h[hn + i];
    gh[i] += gz * wm[i];
  }
}

/** Through tanh (gh to ga) and the input layer's gradients. */
function inputBack(traj: Trajectory, st: BackState, t: number, b: number): void {
  const { spec, B, h, x } = traj, { inputs: I, hidden: H } = spec, { g, gh, ga } = st;
  const gWi = g["i2h.w"], gbi = g["i2h.b"], hn = ((t + 1) * B + b) * H, xo = (t * B + b) * I;
  for (let i = 0; i < H; i++) {
    const hi = h[hn + i];
    ga[i] = gh[i] * (1 - hi * hi);
    gbi[i] += ga[i];
    for (let q = 0; q < I; q++) gWi[i * I + q] += ga[i] * x[xo + q];
  }
}

/** Through the recurrent weights of step t (and the traces they read): gW, gAlpha, gTr and ghp. */
function recurrentBack(p: PlasticRnnParams, traj: Trajectory, st: BackState, t: number, b: number): void {
  const { spec, B, h, trace } = traj, { hidden: H, variant } = spec, HH = H * H;
  const { g, gTr, ga, ghp } = st, W = p["w"], alpha = p["alpha"], gW = g["w"], gAlpha = g["alpha"];
  const hp = (t * B + b) * H, trP = (t * B + b) * HH, G = b * HH;
  for (let i = 0; i < H; i++) {
    const gai = ga[i], row = i * H;
    if (gai === 0) continue;
    if (variant !== "rnn") {
      for (let j = 0; j < H; j++) {
        const q = row + j, o = gai * h[hp + j], tr = trace[trP + q];
        gW[q] += o;
        gAlpha[q] += o * tr;
        gTr[G + q] += alpha[q] * o;
        ghp[j] += (W[q] + alpha[q] * tr) * gai;
      }
    } else {
      for (let j = 0; j < H; j++) {
        gW[row + j] += gai * h[hp + j];
        ghp[j] += W[row + j] * gai;
      }
    }
  }
}

/**
 * The same forward pass in tfjs ops, on recorded inputs (x: [T, B, I]):
 * logits [T, B, A] and values [T, B] as differentiable functions of the
 * parameters (tensors by name, shapes as `plasticRnnShapes`).
 */
export function plasticRnnForwardTf(
  p: Record<string, tf.Tensor>,
  spec: PlasticRnnSpec,
  x: tf.Tensor3D,
): { logits: tf.Tensor3D; values: tf.Tensor2D } {
  checkSpec(spec);
  const [T, B, I] = x.shape;
  const { hidden: H, variant } = spec;
  if (I !== spec.inputs) throw new Error(`plasticRnnForwardTf(): x is [${x.shape}], expected [T, B, ${spec.inputs}]`);
  for (const [name, shape] of plasticRnnShapes(spec)) {
    if (!p[name] || p[name].shape.join() !== shape.join()) {
      throw new Error(`plasticRnnForwardTf(): parameter '${name}' is [${p[name]?.shape}], expected [${shape}]`);
    }
  }
  return tf.tidy(() => {
    let h: tf.Tensor2D = tf.zeros([B, H]);
    let tr: tf.Tensor3D = tf.zeros([B, H, H]), et: tf.Tensor3D = tf.zeros([B, H, H]);
    const logits: tf.Tensor2D[] = [], values: tf.Tensor2D[] = [];
    const c = spec.traceClip;
    for (let t = 0; t < T; t++) {
      const xt = tf.reshape(tf.slice(x, [t, 0, 0], [1, B, I]), [B, I]) as tf.Tensor2D;
      const input = tf.add(tf.matMul(xt, p["i2h.w"] as tf.Tensor2D, false, true), p["i2h.b"]);
      const weff = variant === "rnn"
        ? tf.tile(tf.expandDims(p["w"], 0), [B, 1, 1])
        : tf.add(p["w"], tf.mul(p["alpha"], tr));
      const rec = tf.reshape(tf.matMul(weff as tf.Tensor3D, tf.reshape(h, [B, H, 1]) as tf.Tensor3D), [B, H]);
      const hn = tf.tanh(tf.add(input, rec)) as tf.Tensor2D;
      logits.push(tf.add(tf.matMul(hn, p["h2o.w"] as tf.Tensor2D, false, true), p["h2o.b"]) as tf.Tensor2D);
      values.push(tf.add(tf.matMul(hn, p["h2v.w"] as tf.Tensor2D, false, true), p["h2v.b"]) as tf.Tensor2D);
      const outer = tf.matMul(tf.reshape(hn, [B, H, 1]) as tf.Tensor3D, tf.reshape(h, [B, 1, H]) as tf.Tensor3D);
      if (variant === "plastic") {
        tr = tf.clipByValue(tf.add(tr, tf.mul(p["eta"], outer)), -c, c) as tf.Tensor3D;
      } else if (isModulated(variant)) {
        const m = tf.reshape(tf.tanh(tf.add(tf.matMul(hn, p["h2mod.w"] as tf.Tensor2D, false, true), p["h2mod.b"])), [
          B,
          1,
          1,
        ]);
        if (variant === "modplast") tr = tf.clipByValue(tf.add(tr, tf.mul(m, outer)), -c, c) as tf.Tensor3D;
        else if (variant === "modplast-fanout") {
          // [B, H, 1]: one rate per receiving neuron (a row of the trace).
          const rate = tf.add(
            tf.mul(m, tf.reshape(p["modfanout.w"], [1, H, 1])),
            tf.reshape(p["modfanout.b"], [1, H, 1]),
          );
          tr = tf.clipByValue(tf.add(tr, tf.mul(rate, outer)), -c, c) as tf.Tensor3D;
        } else {
          tr = tf.clipByValue(tf.add(tr, tf.mul(m, et)), -c, c) as tf.Tensor3D;
          const k = p["etaet"];
          et = tf.add(tf.mul(tf.sub(1, k), et), tf.mul(k, outer)) as tf.Tensor3D;
        }
      }
      h = hn;
    }
    return {
      logits: tf.stack(logits) as tf.Tensor3D,
      values: tf.reshape(tf.stack(values), [T, B]) as tf.Tensor2D,
    };
  });
}
