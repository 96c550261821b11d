/**
 * Gradients of the convolutional Bernoulli network's deterministic part
 * (conv_bernoulli_net.ts) for the surrogate loss
 *   L = (1 / B) sum_b sum_k signal[b, k] logits[b, k]
 * from the forward pass's activations, with the per-example gradient
 * variance the HNCA paper reports, in one backward pass (no second forward
 * pass, no autodiff tape).
 *
 * Backward: delta_L = (signal W_dense^T) * step(z_L), then per convolution
 * delta_{i-1} = convInputGrad(delta_i, w_i) * step(z_{i-1}). Per parameter:
 * - dense.w: mean flat^T signal / B; variance without per-example gradients
 *   (outer products): sum_b |g_b|^2 |x_b|^2 / B - |mean|^2;
 * - conv filters: on wasm, the fused kernel (lib/kernels/tfjs_ops.ts) forms
 *   each example's filter gradient from the layer's input and delta (no im2col
 *   patches) and returns their mean and summed variance; elsewhere the mean is
 *   convFilterGrad / B and the variance comes from im2col per-example
 *   gradients (perExampleConvGrads' method), only when asked;
 * - biases: per-example sums of delta (signal for dense.b), their moments.
 * The means are the gradient of L (tests compare them with tfjs autodiff) and
 * do not depend on whether the variance is measured.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { convForward, initConvNet } from "./conv_bernoulli_net.ts";
 * import { convGradStats } from "./conv_grads.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const net = initConvNet(Rng.fromSeed(0).stream("init"), { channels: 4, convLayers: 2, hidden: 8, actions: 10 });
 * const x = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D;
 * const act = convForward(net.params, 2, x);
 * const { grads, varSums } = await convGradStats(net.params, 2, x, act, tf.ones([2, 8]) as tf.Tensor2D, true);
 * assertEquals(Object.keys(grads), ["conv2.w", "conv2.b", "conv1.w", "conv1.b", "dense.w", "dense.b"]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { tfjsOps } from "../kernels/tfjs_ops.ts";
import {
  type ConvActivations,
  convFilterGrad,
  convForward,
  convInputGrad,
  denseInputGrad,
  patches3x3,
} from "./conv_bernoulli_net.ts";

/** Mean gradients by parameter name, and, when measured, each parameter's summed per-example variance. */
export interface ConvGradStats {
  /** grads[name]: the parameter's shape */
  grads: Record<string, tf.Tensor>;
  /** varSums[name]: sum over entries of the variance over the batch (ddof 0); null when not measured */
  varSums: Record<string, number> | null;
}

/**
 * The mean gradient of every parameter below the Bernoulli layer and, when asked, each one's summed
 * per-example variance, from one backward pass over the forward pass's activations.
 * @param params conv{i}.w [3, 3, C, O], conv{i}.b, dense.w [F, K], dense.b (out.* is ignored)
 * @param x images: [B, 28, 28, 1]
 * @param act the forward pass on x (convForward)
 * @param signal dL/d logits, per example: [B, K]
 * @param variance also measure the per-example gradient variance
 */
export async function convGradStats(
  params: Record<string, tf.Tensor>,
  convLayers: number,
  x: tf.Tensor4D,
  act: ConvActivations,
  signal: tf.Tensor2D,
  variance: boolean,
): Promise<ConvGradStats> {
  const B = x.shape[0];
  const K = act.logits.shape[1];
  if (signal.shape[0] !== B || signal.shape[1] !== K) {
    throw new Error(`convGradStats(): signal must be [${B}, ${K}], got [${signal.shape}]`);
  }
  const ops = tfjsOps();
  const grads: Record<string, tf.Tensor> = {};
  const numbers: Record<string, number> = {};
  const scalars: Record<string, tf.Scalar> = {};
  tf.tidy(() => {
    const last = act.z[convLayers - 1];
    let delta: tf.Tensor4D;
    let meanW: tf.Tensor;
    if (ops) {
      const d = ops.denseReluGrads(act.flat, signal, params["dense.w"] as tf.Tensor2D);
      meanW = d.dW;
      numbers["dense.w"] = d.varSum;
      delta = tf.reshape(d.dx, last.shape) as tf.Tensor4D;
    } else {
      meanW = tf.div(tf.matMul(tf.transpose(act.flat), signal), B);
      if (variance) {
        // Per-example gradients are outer products: sum_b |g_b|^2 |x_b|^2 / B - |mean|^2.
        const g2 = tf.sum(tf.square(signal), 1), x2 = tf.sum(tf.square(act.flat), 1);
        scalars["dense.w"] = tf.keep(tf.sub(tf.div(tf.sum(tf.mul(g2, x2)), B), tf.sum(tf.square(meanW))) as tf.Scalar);
      }
      delta = tf.mul(
        tf.reshape(denseInputGrad(signal, params["dense.w"] as tf.Tensor2D), last.shape),
        tf.step(last),
      ) as tf.Tensor4D;
    }
    for (let i = convLayers; i >= 1; i--) {
      const input = i === 1 ? x : tf.relu(act.z[i - 2]) as tf.Tensor4D;
      const w = `conv${i}.w`, b = `conv${i}.b`;
      if (ops) {
        const s = ops.convFilterGradStats(input, delta);
        grads[w] = tf.keep(s.mean);
        numbers[w] = s.varSum;
        grads[b] = tf.keep(s.biasMean);
        numbers[b] = s.biasVarSum;
      } else {
        grads[w] = tf.keep(tf.div(convFilterGrad(input, delta), B));
        if (variance) scalars[w] = tf.keep(im2colVarSum(input, delta));
        const m = tf.moments(tf.sum(delta, [1, 2]), 0); // per-example bias gradients: [B, O]
        grads[b] = tf.keep(m.mean);
        if (variance) scalars[b] = tf.keep(tf.sum(m.variance) as tf.Scalar);
      }
      if (i > 1) {
        delta = ops
          ? ops.convInputGradRelu(delta, params[w] as tf.Tensor4D, act.z[i - 2])
          : tf.mul(convInputGrad(delta, params[w] as tf.Tensor4D), tf.step(act.z[i - 2])) as tf.Tensor4D;
      }
    }
    grads["dense.w"] = tf.keep(meanW);
    const m = tf.moments(signal, 0);
    grads["dense.b"] = tf.keep(m.mean);
    if (variance) scalars["dense.b"] = tf.keep(tf.sum(m.variance) as tf.Scalar);
  });
  if (!variance) return { grads, varSums: null };
  const names = Object.keys(scalars);
  const stacked = tf.stack(names.map((n) => scalars[n]));
  const values = await stacked.data();
  tf.dispose([stacked, ...Object.values(scalars)]);
  names.forEach((n, i) => (numbers[n] = values[i]));
  return { grads, varSums: numbers };
}

/**
 * convForward's activations, with the dense layer on the wasm kernel (weights read in place, zero
 * ReLU outputs skipped) where the backend is wasm; convForward itself elsewhere.
 * @param x images: [B, 28, 28, 1]
 */
export function convForwardKernel(
  params: Record<string, tf.Tensor>,
  convLayers: number,
  x: tf.Tensor4D,
): ConvActivations {
  const ops = tfjsOps();
  if (!ops) return convForward(params, convLayers, x);
  if (x.shape[1] !== 28 || x.shape[2] !== 28 || x.shape[3] !== 1) {
    throw new Error(`convForwardKernel(): x must be [B, 28, 28, 1], got [${x.shape}]`);
  }
  return tf.tidy(() => {
    const z: tf.Tensor4D[] = [];
    let a: tf.Tensor4D = x;
    for (let i = 1; i <= convLayers; i++) {
      // Convolution and bias in one op (XNNPACK adds the bias in the convolution).
      const zi = tf.fused.conv2d({
        x: a,
        filter: params[`conv${i}.w`] as tf.Tensor4D,
        strides: 1,
        pad: "valid",
        bias: params[`conv${i}.b`],
      });
      z.push(zi as tf.Tensor4D);
      a = tf.relu(zi) as tf.Tensor4D;
    }
    const flat = tf.reshape(a, [x.shape[0], -1]) as tf.Tensor2D;
    const logits = tf.add(ops.denseForward(flat, params["dense.w"] as tf.Tensor2D), params["dense.b"]) as tf.Tensor2D;
    return { z, flat, logits };
  });
}

/** Summed variance over the batch of a convolution's per-example filter gradients, from im2col patches. */
function im2colVarSum(input: tf.Tensor4D, delta: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [B, Ho, Wo, O] = delta.shape;
    const p = patches3x3(input); // [B, P, 9C]
    const d = tf.reshape(delta, [B, Ho * Wo, O]);
    const g = tf.matMul(tf.transpose(d, [0, 2, 1]), p); // [B, O, 9C]
    return tf.sum(tf.moments(g, 0).variance) as tf.Scalar;
  });
}
