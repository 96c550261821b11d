/**
 * A one-layer LSTM with PyTorch's parameter layout and initialisation, so
 * saved parameters load into `torch.nn.LSTM` as they are: `weight_ih`
 * [4H, I], `weight_hh` [4H, H], `bias_ih` [4H], `bias_hh` [4H], gates in
 * the order input, forget, cell, output; every parameter U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { initLstm, lstmForward } from "./lstm.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const p = initLstm(Rng.fromSeed(0).stream("init"), 3, 2);
 * const h = lstmForward(p, tf.zeros([5, 4, 3]));
 * assertEquals(h.shape, [5, 4, 2]); // [T, B, H]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng/mod.ts";

/** Parameter names in a fixed order. */
export const LSTM_PARAMS = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"] as const;

/** LSTM parameters by name. */
export type LstmParams = Record<typeof LSTM_PARAMS[number], tf.Tensor>;

/** PyTorch's default initialisation; parameters drawn in LSTM_PARAMS order. */
export function initLstm(rng: Rng, inputSize: number, hiddenSize: number): LstmParams {
  const k = 1 / Math.sqrt(hiddenSize);
  const draw = (n: number) => Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * k);
  return {
    weight_ih: tf.tensor2d(draw(4 * hiddenSize * inputSize), [4 * hiddenSize, inputSize]),
    weight_hh: tf.tensor2d(draw(4 * hiddenSize * hiddenSize), [4 * hiddenSize, hiddenSize]),
    bias_ih: tf.tensor1d(draw(4 * hiddenSize)),
    bias_hh: tf.tensor1d(draw(4 * hiddenSize)),
  };
}

/**
 * Runs the LSTM from zero state over a time-major batch.
 * @param x inputs: [T, B, I]
 * @returns hidden states h: [T, B, H]
 */
export function lstmForward(p: LstmParams, x: tf.Tensor3D): tf.Tensor3D {
  const [, B, I] = x.shape;
  const H = p.weight_hh.shape[1]!;
  if (p.weight_ih.shape[1] !== I) {
    throw new Error(`lstmForward(): x has ${I} inputs but weight_ih is [${p.weight_ih.shape}]`);
  }
  return tf.tidy(() => {
    // One matmul per step on [x, h] with the stacked, transposed weights.
    const w = tf.transpose(tf.concat([p.weight_ih, p.weight_hh], 1)); // [I + H, 4H]
    const b = tf.add(p.bias_ih, p.bias_hh);
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    let c = tf.zeros([B, H]) as tf.Tensor2D;
    const out: tf.Tensor2D[] = [];
    for (const xt of tf.unstack(x) as tf.Tensor2D[]) {
      const z = tf.add(tf.matMul(tf.concat([xt, h], 1), w), b);
      const [i, f, g, o] = tf.split(z, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
      h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor2D;
      out.push(h);
    }
    return tf.stack(out) as tf.Tensor3D;
  });
}
