/**
 * A neural generative coding (NGC) circuit as the project's specification
 * writes it (the seed document, the README of emptydiagram/pcrl, in its
 * row-vector notation), not as the released ANGC code runs it
 * (lib/models/ngc.ts, whose update is backpropagation). Layers run from the
 * bottom, z^0 (clamped to the circuit's output: Q-values, or the next state),
 * to the top, z^L (clamped to its input); W^l [J_{l+1}, J_l] predicts layer l
 * from layer l + 1 and separate error synapses E^l [J_l, J_{l+1}] carry
 * layer l's error up. For T settling steps from z = 0 (hidden), e = 0:
 *
 *   d^l  = e^{l-1} E^{l-1} - e^l                          (l = 1 .. L-1)
 *   z^l <- z^l + beta (-gamma_v z^l + d^l)
 *   zbar^l = g(phi(z^{l+1}) W^l)                          (g the identity)
 *   e^l  = (phi^l(z^l) - zbar^l) / (2 beta_e)             (phi^0 the identity: z^0 is the clamped output)
 *
 * and then, for every l, with the settled states:
 *
 *   dW^l = -(1/N) phi(z^{l+1})^T e^l (.) M_W^l
 *   dE^l = gamma_e (dW^l)^T (.) M_E^l
 *
 * handed to the optimizer as descent directions; after each step the columns
 * of every W and E are rescaled to norm at most `maxColumnNorm` (pcrl's
 * clip_weights). The first step's bottom error is the clamped output itself
 * (no prediction yet: e^0 = z^0 / (2 beta_e)), as pcrl starts it. Nothing here
 * computes a gradient: error synapses E, not W^T, carry errors up, and no
 * derivative of phi appears (tests/lib/models/ngc_equations_test.ts checks
 * both the equations, against a float64 transcription of the lines above,
 * and that the updates are not backpropagation's).
 *
 * Values and where they come from (`NgcEquationsConfig`): T, beta, gamma_v,
 * gamma_e, phi = ReLU and the column clip are pcrl's run settings; beta_e is
 * accepted and unused by pcrl ("TODO: use this"): its 0.5 makes the factor
 * 1/(2 beta_e) one, which is pcrl's behaviour; M_W / M_E are absent from pcrl
 * ("TODO: modulation matrices") and from the released code, whose
 * calc_syn_adjust multiplies by (w_b - |W|) with w_b = 0 (off), as ngc-learn's
 * HebbianSynapse does with its w_bound: `modulation: "soft-bound"` is that
 * factor, `"none"` is all ones.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { Rng } from "../rng/mod.ts";
 * import { initNgcEquations, NGC_EQUATIONS_DEFAULTS, ngcEquationsProject, ngcEquationsUpdates } from "./ngc_equations.ts";
 * const p = initNgcEquations(Rng.fromSeed(0), { inputs: 2, hidden: [8, 6], outputs: 3 }, NGC_EQUATIONS_DEFAULTS);
 * const x = tf.tensor2d([[0.1, -0.2]]);
 * assertEquals(ngcEquationsProject(p, x).shape, [1, 3]);
 * const u = ngcEquationsUpdates(p, x, tf.tensor2d([[1, 0, 0]]), NGC_EQUATIONS_DEFAULTS);
 * assertEquals(Object.keys(u).sort(), ["e0", "e1", "e2", "w0", "w1", "w2"]);
 * assertEquals(u.e1.shape, [8, 6]); // E^1: [J_1, J_2]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng/mod.ts";

/** Layer sizes: `hidden` lists the hidden layers from the output up (pcrl's dims order: [J_1, ..., J_{L-1}]). */
export interface NgcEquationsSpec {
  inputs: number;
  hidden: number[];
  outputs: number;
}

/** The circuit's settings (the defaults, NGC_EQUATIONS_DEFAULTS, are pcrl's run.py). */
export interface NgcEquationsConfig {
  /** T: settling steps (the paper's K, "10 to 20"; pcrl runs 20). */
  steps: number;
  /** beta: the state update rate (pcrl 0.1). */
  beta: number;
  /** gamma_v: the state leak (pcrl 0.001). */
  leak: number;
  /** beta_e: errors are scaled by 1 / (2 beta_e) (pcrl 0.5, unused there, which is this factor at one). */
  betaE: number;
  /** gamma_e: the error synapses' rate relative to the generative ones, in [0.9, 1.0] (pcrl 0.95). */
  gammaE: number;
  /** M_W and M_E: all ones ("none"; pcrl), or w_bound - |W| and w_bound - |E| ("soft-bound"; ngc-learn). */
  modulation: "none" | "soft-bound";
  /** The soft bound's w_bound (ngc-learn's default 1). */
  wBound: number;
  /** Columns of W and E are rescaled to at most this norm after each step (pcrl 1; 0: never). */
  maxColumnNorm: number;
  /** The standard deviation of the initial weights (pcrl 0.025). */
  initStd: number;
}

/** pcrl's run settings (pcrl/angc/run.py and ngc.py). */
export const NGC_EQUATIONS_DEFAULTS: Readonly<NgcEquationsConfig> = {
  steps: 20,
  beta: 0.1,
  leak: 0.001,
  betaE: 0.5,
  gammaE: 0.95,
  modulation: "none",
  wBound: 1,
  maxColumnNorm: 1,
  initStd: 0.025,
};

/** Parameters by name: w0 .. w{L-1} (W^l: [J_{l+1}, J_l]) and e0 .. e{L-1} (E^l: [J_l, J_{l+1}]). */
export type NgcEquationsParams = Record<string, tf.Tensor2D>;

/** Layer sizes from the bottom (the output) to the top (the input): [J_0, ..., J_L]. */
export function ngcEquationsDims(spec: NgcEquationsSpec): number[] {
  const dims = [spec.outputs, ...spec.hidden, spec.inputs];
  for (const n of dims) {
    if (!(Number.isInteger(n) && n > 0)) {
      throw new Error(`ngcEquations: layer sizes must be positive integers, got ${JSON.stringify(spec)}`);
    }
  }
  if (spec.hidden.length < 1) throw new Error(`ngcEquations: at least one hidden layer, got ${JSON.stringify(spec)}`);
  return dims;
}

/** The number of weight layers L of a parameter set. */
function layers(p: NgcEquationsParams): number {
  let L = 0;
  while (p[`w${L}`]) L++;
  return L;
}

const relu = (x: tf.Tensor) => tf.relu(x);

/** Columns rescaled to norm at most `max` (x / max(|column| / max, 1)); unchanged when max is 0. */
export function clipColumnNorms(w: tf.Tensor2D, max: number): tf.Tensor2D {
  if (max <= 0) return tf.clone(w);
  return tf.tidy(() => tf.div(w, tf.maximum(tf.div(tf.norm(w, "euclidean", 0, true), max), 1)) as tf.Tensor2D);
}

/** Initial parameters: every W, then every E, drawn N(0, initStd) in that order, columns clipped. */
export function initNgcEquations(
  rng: Rng,
  spec: NgcEquationsSpec,
  cfg: Pick<NgcEquationsConfig, "initStd" | "maxColumnNorm">,
): NgcEquationsParams {
  const dims = ngcEquationsDims(spec);
  const L = dims.length - 1;
  const draw = (r: number, c: number) => {
    const raw = tf.tensor2d(Float32Array.from({ length: r * c }, () => cfg.initStd * rng.normal()), [r, c]);
    const out = clipColumnNorms(raw, cfg.maxColumnNorm);
    raw.dispose();
    return out;
  };
  const p: NgcEquationsParams = {};
  for (let l = 0; l < L; l++) p[`w${l}`] = draw(dims[l + 1], dims[l]);
  for (let l = 0; l < L; l++) p[`e${l}`] = draw(dims[l], dims[l + 1]);
  return p;
}

function checkBatch(who: string, p: NgcEquationsParams, x: tf.Tensor2D, y?: tf.Tensor2D): void {
  const L = layers(p);
  const inputs = p[`w${L - 1}`].shape[0], outputs = p.w0.shape[1];
  if (x.rank !== 2 || x.shape[1] !== inputs) throw new Error(`${who}: x is [${x.shape}], expected [N, ${inputs}]`);
  if (y && (y.rank !== 2 || y.shape[0] !== x.shape[0] || y.shape[1] !== outputs)) {
    throw new Error(`${who}: y is [${y.shape}], expected [${x.shape[0]}, ${outputs}]`);
  }
}

/** The top-down projection from the input x [N, J_L] to the output [N, J_0] (pcrl's `project`). */
export function ngcEquationsProject(p: NgcEquationsParams, x: tf.Tensor2D): tf.Tensor2D {
  checkBatch("ngcEquationsProject()", p, x);
  return tf.tidy(() => {
    let zbar: tf.Tensor2D = x;
    for (let l = layers(p) - 1; l >= 0; l--) zbar = tf.matMul(relu(zbar) as tf.Tensor2D, p[`w${l}`]);
    return zbar;
  });
}

/** The settled states z^0 .. z^L and errors e^0 .. e^{L-1} for input x [N, J_L] and clamped output y [N, J_0]. */
export function ngcEquationsSettle(
  p: NgcEquationsParams,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  cfg: NgcEquationsConfig,
): { z: tf.Tensor2D[]; e: tf.Tensor2D[] } {
  checkBatch("ngcEquationsSettle()", p, x, y);
  const L = layers(p), n = x.shape[0], scale = 1 / (2 * cfg.betaE);
  const z: tf.Tensor2D[] = [y], e: tf.Tensor2D[] = [tf.mul(y, scale) as tf.Tensor2D];
  for (let l = 1; l < L; l++) {
    const J = p[`w${l}`].shape[1];
    z.push(tf.zeros([n, J]));
    e.push(tf.zeros([n, J]));
  }
  z.push(x);
  for (let t = 0; t < cfg.steps; t++) {
    const next = tf.tidy(() => {
      const zs = [...z];
      for (let l = 1; l < L; l++) {
        const d = tf.sub(tf.matMul(e[l - 1], p[`e${l - 1}`]), e[l]);
        zs[l] = tf.add(z[l], tf.mul(tf.sub(d, tf.mul(z[l], cfg.leak)), cfg.beta)) as tf.Tensor2D;
      }
      const es: tf.Tensor2D[] = [];
      for (let l = 0; l < L; l++) {
        const zbar = tf.matMul(relu(zs[l + 1]) as tf.Tensor2D, p[`w${l}`]);
        const own = l === 0 ? zs[0] : relu(zs[l]);
        es.push(tf.mul(tf.sub(own, zbar), scale) as tf.Tensor2D);
      }
      return { zs: zs.slice(1, L), es };
    });
    for (let l = 1; l < L; l++) z[l].dispose();
    for (const t of e) t.dispose();
    z.splice(1, L - 1, ...next.zs);
    e.splice(0, L, ...next.es);
  }
  return { z, e };
}

/**
 * The settled circuit's adjustments on (x [N, J_L], y [N, J_0]): dW^l and dE^l
 * for every layer (module doc), descent directions for an optimizer.
 */
export function ngcEquationsUpdates(
  p: NgcEquationsParams,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  cfg: NgcEquationsConfig,
): NgcEquationsParams {
  const { z, e } = ngcEquationsSettle(p, x, y, cfg);
  const L = layers(p), n = x.shape[0];
  const out = tf.tidy(() => {
    const u: NgcEquationsParams = {};
    for (let l = 0; l < L; l++) {
      let dW = tf.div(tf.neg(tf.matMul(tf.transpose(relu(z[l + 1]) as tf.Tensor2D), e[l])), n) as tf.Tensor2D;
      if (cfg.modulation === "soft-bound") dW = tf.mul(dW, tf.sub(cfg.wBound, tf.abs(p[`w${l}`]))) as tf.Tensor2D;
      let dE = tf.mul(tf.transpose(dW), cfg.gammaE) as tf.Tensor2D;
      if (cfg.modulation === "soft-bound") dE = tf.mul(dE, tf.sub(cfg.wBound, tf.abs(p[`e${l}`]))) as tf.Tensor2D;
      u[`w${l}`] = dW;
      u[`e${l}`] = dE;
    }
    return u;
  });
  // z[0] is y and z[L] is x: the caller's tensors.
  for (let l = 1; l < L; l++) z[l].dispose();
  for (const t of e) t.dispose();
  return out;
}

/** The parameters with every column of W and E rescaled to norm at most `max` (new tensors). */
export function clipNgcEquations(p: NgcEquationsParams, max: number): NgcEquationsParams {
  return Object.fromEntries(Object.entries(p).map(([k, w]) => [k, clipColumnNorms(w, max)]));
}
