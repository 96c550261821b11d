/**
 * A neural generative coding (NGC) circuit as the official ANGC code builds
 * it (ago109/active-neural-generative-coding, src/model/ngc.py): an x -> y
 * predictive-coding network with two hidden layers, whose weights learn from
 * local error units after a few steps of state settling. No gradient tape is
 * used: every update is a product of a layer's input and its error.
 *
 * What this rule is: with the released settings (K = 3 scheduled steps,
 * beta = 1, errors fed back through W^T times f', zero initial hidden errors)
 * the settled errors are exactly the backpropagated output error, so the
 * adjustments are the gradient of 1/2 ||Y - h3||^2 / N (tested against
 * tf.grads to 1e-6): backpropagation computed by local updates. The rule the
 * specification writes, with separate error synapses, is
 * lib/models/ngc_equations.ts.
 *
 * With f the leaky ReLU (slope 0.01) and f' its derivative (1, or 0.01 below
 * 0), for a batch X: [N, n_x] and targets Y: [N, n_y]:
 *
 *   projection:  h1 = X W1 + b1, z1 = f(h1); h2 = z1 W2 + b2, z2 = f(h2); h3 = z2 W3 + b3
 *   errors:      e1 = e2 = 0, e3 = Y - h3
 *   for k = 0, 1, 2 (K = 3, beta = 1):
 *     k = 0: dW3 = -z2^T e3 / N, db3 = -sum e3 / N      (scheduled: layer 3 - k)
 *     k = 1: dW2 = -z1^T e2 / N, db2 = -sum e2 / N
 *     k = 2: dW1 = -X^T e1 / N,  db1 = -sum e1 / N
 *     h1 += -e1 + (e2 W2^T) . f'(h1);  h2 += -e2 + (e3 W3^T) . f'(h2)   (with the errors of step k - 1)
 *     e1 = h1 - (X W1 + b1);  e2 = h2 - (f(h1) W2 + b2);  e3 = Y - (f(h2) W3 + b3)
 *   then each dW is clipped to [-clip, clip] and handed to Adam as a descent direction.
 *
 * Initialisation as ngc.py: W1, b1 ~ U(-sqrt(1/n_z1), sqrt(1/n_z1)), W2, b2 with
 * n_z2, W3, b3 with n_y.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { Rng } from "../rng/mod.ts";
 * import { initNgc, ngcProject, ngcUpdates } from "./ngc.ts";
 * const p = initNgc(Rng.fromSeed(0), { inputs: 2, hidden: [8, 8], outputs: 3 });
 * const x = tf.tensor2d([[0.1, -0.2]]);
 * assertEquals(ngcProject(p, x).shape, [1, 3]);
 * const u = ngcUpdates(p, x, tf.tensor2d([[1, 0, 0]]), 100); // dW1 .. db3, for Adam
 * assertEquals(Object.keys(u).sort(), ["b1", "b2", "b3", "w1", "w2", "w3"]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng/mod.ts";

/** Layer sizes. */
export interface NgcSpec {
  inputs: number;
  hidden: [number, number];
  outputs: number;
}

/** Parameter names, in ngc.py's theta order. */
export const NGC_PARAMS = ["w1", "w2", "w3", "b1", "b2", "b3"] as const;
/** Parameters by name: w1 [n_x, n_z1], w2 [n_z1, n_z2], w3 [n_z2, n_y], b1 [1, n_z1], b2 [1, n_z2], b3 [1, n_y]. */
export type NgcParams = Record<(typeof NGC_PARAMS)[number], tf.Tensor2D>;

/** Shapes of the parameters. */
export function ngcShapes(spec: NgcSpec): Record<(typeof NGC_PARAMS)[number], [number, number]> {
  const [a, b] = spec.hidden;
  return { w1: [spec.inputs, a], w2: [a, b], w3: [b, spec.outputs], b1: [1, a], b2: [1, b], b3: [1, spec.outputs] };
}

/** Initial parameters as ngc.py (see the module doc), drawn in NGC_PARAMS order. */
export function initNgc(rng: Rng, spec: NgcSpec): NgcParams {
  for (const n of [spec.inputs, ...spec.hidden, spec.outputs]) {
    if (!(Number.isInteger(n) && n > 0)) {
      throw new Error(`initNgc(): layer sizes must be positive integers, got ${JSON.stringify(spec)}`);
    }
  }
  const shapes = ngcShapes(spec);
  const bound = {
    w1: spec.hidden[0],
    b1: spec.hidden[0],
    w2: spec.hidden[1],
    b2: spec.hidden[1],
    w3: spec.outputs,
    b3: spec.outputs,
  };
  const out = {} as NgcParams;
  for (const name of NGC_PARAMS) {
    const [r, c] = shapes[name], a = Math.sqrt(1 / bound[name]);
    out[name] = tf.tensor2d(Float32Array.from({ length: r * c }, () => (2 * rng.uniform() - 1) * a), [r, c]);
  }
  return out;
}

/** f: the leaky ReLU (slope 0.01). */
export const fx = (x: tf.Tensor): tf.Tensor => tf.leakyRelu(x, 0.01);
/** m . f'(h), with f'(h) 1 where h >= 0, else 0.01 (the same bits as the product with f'(h) written out). */
export const timesDfx = (m: tf.Tensor, h: tf.Tensor): tf.Tensor => tf.where(tf.greaterEqual(h, 0), m, tf.mul(m, 0.01));

function checkBatch(who: string, p: NgcParams, x: tf.Tensor2D, y?: tf.Tensor2D): void {
  if (x.rank !== 2 || x.shape[1] !== p.w1.shape[0]) {
    throw new Error(`${who}: x is [${x.shape}], expected [N, ${p.w1.shape[0]}]`);
  }
  if (y && (y.rank !== 2 || y.shape[0] !== x.shape[0] || y.shape[1] !== p.w3.shape[1])) {
    throw new Error(`${who}: y is [${y.shape}], expected [${x.shape[0]}, ${p.w3.shape[1]}]`);
  }
}

/**
 * The projection of a batch layer by layer: pre-activations h1 [N, n_z1],
 * h2 [N, n_z2], their activities z1 = f(h1), z2 = f(h2), and the output
 * h3 [N, n_y].
 */
export interface NgcForward {
  h1: tf.Tensor2D;
  z1: tf.Tensor2D;
  h2: tf.Tensor2D;
  z2: tf.Tensor2D;
  h3: tf.Tensor2D;
}

/** The projection of x [N, n_x] layer by layer (tensors the caller disposes, or a tidy around it does). */
export function ngcForward(p: NgcParams, x: tf.Tensor2D): NgcForward {
  checkBatch("ngcForward()", p, x);
  const h1 = tf.add(tf.matMul(x, p.w1), p.b1) as tf.Tensor2D;
  const z1 = fx(h1) as tf.Tensor2D;
  const h2 = tf.add(tf.matMul(z1, p.w2), p.b2) as tf.Tensor2D;
  const z2 = fx(h2) as tf.Tensor2D;
  const h3 = tf.add(tf.matMul(z2, p.w3), p.b3) as tf.Tensor2D;
  return { h1, z1, h2, z2, h3 };
}

/** The circuit's feedforward projection (ngc.py `_project`): x [N, n_x] -> [N, n_y]. */
export function ngcProject(p: NgcParams, x: tf.Tensor2D): tf.Tensor2D {
  checkBatch("ngcProject()", p, x);
  return tf.tidy(() => {
    const z1 = fx(tf.add(tf.matMul(x, p.w1), p.b1));
    const z2 = fx(tf.add(tf.matMul(z1, p.w2), p.b2));
    return tf.add(tf.matMul(z2, p.w3), p.b3) as tf.Tensor2D;
  });
}

/**
 * Settles the circuit on (x, y) and returns the synaptic adjustments (ngc.py
 * `_compute_update`), each clipped to [-clip, clip] when clip < 200 as there;
 * Adam descends along them. `forward`, when given, is `ngcForward(p, x)`
 * computed already (the controller's Q-values), so that it is not computed
 * twice.
 *
 * The schedule of the module doc, with what it computes that is never read
 * left out: at k = 0 the hidden errors are zero, so h1 does not move and e1
 * stays zero, and the re-projections of unmoved layers are the projection's
 * own pre-activations (the same operations on the same inputs), so
 * e2 = (h2 + d2) - h2; at k = 1 only h1 and e1 are read afterwards (by the
 * layer-1 update). The results are the bits of the loop written out in full.
 * Transposes are explicit: tfjs-wasm's matMul with a transpose flag is about
 * ten times slower than a transpose and a plain product ([512, 256] x
 * [256, 256]^T: 29 ms against 2.9 ms).
 */
export function ngcUpdates(
  p: NgcParams,
  x: tf.Tensor2D,
  y: tf.Tensor2D,
  clip: number,
  forward?: NgcForward,
): NgcParams {
  checkBatch("ngcUpdates()", p, x, y);
  return tf.tidy(() => {
    const n = x.shape[0];
    const { h1, z1, h2, z2, h3 } = forward ?? ngcForward(p, x);
    const syn = (pre: tf.Tensor, post: tf.Tensor) => {
      const d = tf.div(tf.neg(tf.matMul(tf.transpose(pre as tf.Tensor2D), post as tf.Tensor2D)), n);
      return (clip < 200 ? tf.clipByValue(d, -clip, clip) : d) as tf.Tensor2D;
    };
    const bias = (post: tf.Tensor) => tf.div(tf.neg(tf.sum(post, 0, true)), n) as tf.Tensor2D;
    const u = {} as NgcParams;
    // k = 0: layer 3 learns from the output error; then h2 settles by d2 = -e2 + (e3 W3^T) f'(h2), with e2 = 0.
    const e3 = tf.sub(y, h3);
    [u.w3, u.b3] = [syn(z2, e3), bias(e3)];
    const e2 = tf.sub(tf.add(h2, timesDfx(tf.matMul(e3 as tf.Tensor2D, tf.transpose(p.w3)), h2)), h2);
    // k = 1: layer 2 learns from e2; then h1 settles by d1 = -e1 + (e2 W2^T) f'(h1), with e1 = 0.
    [u.w2, u.b2] = [syn(z1, e2), bias(e2)];
    const e1 = tf.sub(tf.add(h1, timesDfx(tf.matMul(e2 as tf.Tensor2D, tf.transpose(p.w2)), h1)), h1);
    // k = 2: layer 1 learns from e1.
    [u.w1, u.b1] = [syn(x, e1), bias(e1)];
    return u;
  });
}
