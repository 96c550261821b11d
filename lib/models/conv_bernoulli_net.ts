/**
 * The HNCA paper's nonlinear contextual bandit network:
 * 2 x [Conv2D(16, 3x3, VALID) + ReLU] -> flatten -> Linear(200) -> sigmoid ->
 * Bernoulli -> +-1 -> Linear(10) -> softmax.
 *
 * Initialisation follows Haiku's defaults, as the original: convolution
 * kernels (hk.ConvND) and linear weights (hk.Linear) both
 * TruncatedNormal(stddev = 1 / sqrt(fan_in)), a normal cut at +-2 standard
 * deviations with no rescaling, so the drawn values' standard deviation is
 * 0.8796 / sqrt(fan_in) (the 1 / 0.8796 correction belongs to Haiku's
 * VarianceScaling initializer, which these layers do not use); biases zero.
 * The same in the Haiku of 2021 and of today (hk.initializers.TruncatedNormal
 * draws jax.random.truncated_normal(-2, 2) * stddev + mean).
 * Fire rates are not clipped (the original does not clip them here).
 *
 * Layouts are tfjs's: kernels [3, 3, in, out], linear weights [in, out].
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { convForward, initConvNet } from "./conv_bernoulli_net.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const net = initConvNet(Rng.fromSeed(0).stream("init"), { channels: 16, convLayers: 2, hidden: 200, actions: 10 });
 * assert(typeof convForward === "function" && Object.keys(net.params).length > 0);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng/mod.ts";

/** Parameters, by name (the names are those of the checkpoints and params.safetensors). */
export interface ConvNet {
  /** conv{i}.w [3, 3, in, out], conv{i}.b [out], dense.w [flat, hidden], dense.b, out.w [hidden, actions], out.b */
  params: Record<string, tf.Tensor>;
  convLayers: number;
}

/** Sizes. */
export interface ConvNetShape {
  channels: number;
  convLayers: number;
  hidden: number;
  actions: number;
}

/**
 * Draws n values from N(0, stddev^2) truncated to +-2 standard deviations
 * (rejection), as Haiku's TruncatedNormal: the values' own standard deviation
 * is about 0.8796 stddev.
 */
export function truncatedNormal(rng: Rng, n: number, stddev: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = rng.normal();
    while (z < -2 || z > 2) z = rng.normal();
    out[i] = z * stddev;
  }
  return out;
}

/** Parameter names in a fixed order. */
export function convParamNames(convLayers: number): string[] {
  const names: string[] = [];
  for (let i = 1; i <= convLayers; i++) names.push(`conv${i}.w`, `conv${i}.b`);
  return [...names, "dense.w", "dense.b", "out.w", "out.b"];
}

/** Haiku-default initialisation for 28x28x1 inputs; layer streams ("conv", i), ("dense"), ("out"). */
export function initConvNet(rng: Rng, s: ConvNetShape): ConvNet {
  const params: Record<string, tf.Tensor> = {};
  let inC = 1, side = 28;
  for (let i = 1; i <= s.convLayers; i++) {
    const fanIn = 9 * inC;
    params[`conv${i}.w`] = tf.tensor4d(
      truncatedNormal(rng.stream("conv", i), 9 * inC * s.channels, 1 / Math.sqrt(fanIn)),
      [3, 3, inC, s.channels],
    );
    params[`conv${i}.b`] = tf.zeros([s.channels]);
    inC = s.channels;
    side -= 2;
  }
  const flat = side * side * inC;
  params["dense.w"] = tf.tensor2d(truncatedNormal(rng.stream("dense"), flat * s.hidden, 1 / Math.sqrt(flat)), [
    flat,
    s.hidden,
  ]);
  params["dense.b"] = tf.zeros([s.hidden]);
  params["out.w"] = tf.tensor2d(truncatedNormal(rng.stream("out"), s.hidden * s.actions, 1 / Math.sqrt(s.hidden)), [
    s.hidden,
    s.actions,
  ]);
  params["out.b"] = tf.zeros([s.actions]);
  return { params, convLayers: s.convLayers };
}

/**
 * Gradient of a 3x3 VALID convolution with respect to its input: the
 * convolution of the zero-padded output gradient with the spatially flipped,
 * channel-transposed filter (the same values as conv2dTranspose, which is
 * about eight times slower on tfjs-wasm).
 * @param dy [B, H - 2, W - 2, O]
 * @param w [3, 3, C, O]
 * @returns [B, H, W, C]
 */
export function convInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() =>
    tf.conv2d(
      tf.pad(dy, [[0, 0], [2, 2], [2, 2], [0, 0]]),
      tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D,
      1,
      "valid",
    )
  );
}

/**
 * Gradient of a 3x3 VALID convolution with respect to its filter, summed over
 * the batch: a convolution with batch and channels swapped (tfjs-wasm has no
 * Conv2DBackpropFilter kernel).
 * @param x [B, H, W, C]
 * @param dy [B, H - 2, W - 2, O]
 * @returns [3, 3, C, O]
 */
export function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() =>
    tf.transpose(
      tf.conv2d(
        tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D,
        tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D,
        1,
        "valid",
      ),
      [1, 2, 0, 3],
    ) as tf.Tensor4D
  );
}

/**
 * A 3x3 VALID convolution (stride 1) whose gradients use convInputGrad and
 * convFilterGrad, so that autodiff through it works, and fast, on every backend.
 * @param x [B, H, W, C]
 * @param w [3, 3, C, O]
 * @returns [B, H - 2, W - 2, O]
 */
export const conv3x3: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor4D = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    if (w4.shape[0] !== 3 || w4.shape[1] !== 3 || w4.shape[2] !== x4.shape[3]) {
      throw new Error(`conv3x3(): w must be [3, 3, ${x4.shape[3]}, O], got [${w4.shape}]`);
    }
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, 1, "valid") as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [convInputGrad(dy as tf.Tensor4D, ws), convFilterGrad(xs, dy as tf.Tensor4D)];
      },
    };
  },
);

/** x . w for x [B, J], w [J, K], with gradients that avoid tfjs-wasm's slow transposed matmuls. */
export const dense: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor2D = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [denseInputGrad(dy as tf.Tensor2D, ws), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
      },
    };
  },
);

/** dL/dx of x . w: (w . dy^T)^T, dy [B, K], w [J, K] -> [B, J]. */
export function denseInputGrad(dy: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.transpose(tf.matMul(w, tf.transpose(dy))) as tf.Tensor2D);
}

/** The deterministic part: pre-activations of each conv layer and the Bernoulli logits. */
export interface ConvActivations {
  /** z[i]: [B, H_i, W_i, C] pre-ReLU outputs of conv layer i + 1 */
  z: tf.Tensor4D[];
  /** flat: [B, F] flattened last ReLU output */
  flat: tf.Tensor2D;
  /** logits: [B, hidden] */
  logits: tf.Tensor2D;
}

/**
 * Runs the convolution and dense layers.
 * @param x images: [B, 28, 28, 1]
 */
export function convForward(params: Record<string, tf.Tensor>, convLayers: number, x: tf.Tensor4D): ConvActivations {
  if (x.shape[1] !== 28 || x.shape[2] !== 28 || x.shape[3] !== 1) {
    throw new Error(`convForward(): x must be [B, 28, 28, 1], got [${x.shape}]`);
  }
  return tf.tidy(() => {
    const z: tf.Tensor4D[] = [];
    let a: tf.Tensor4D = x;
    for (let i = 1; i <= convLayers; i++) {
      const zi = tf.add(conv3x3(a, params[`conv${i}.w`]), params[`conv${i}.b`]) as tf.Tensor4D;
      z.push(zi);
      a = tf.relu(zi);
    }
    const flat = tf.reshape(a, [x.shape[0], -1]) as tf.Tensor2D;
    const logits = tf.add(dense(flat, params["dense.w"]), params["dense.b"]) as tf.Tensor2D;
    return { z, flat, logits };
  });
}

/**
 * The 3x3 patches of every output position, ordered (dy, dx, channel) like a
 * flattened [3, 3, C, O] kernel.
 * @param a [B, H, W, C]
 * @returns [B, (H - 2)(W - 2), 9 C]
 */
export function patches3x3(a: tf.Tensor4D): tf.Tensor3D {
  const [B, H, W, C] = a.shape;
  return tf.tidy(() => {
    const slices: tf.Tensor4D[] = [];
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) slices.push(tf.slice(a, [0, dy, dx, 0], [B, H - 2, W - 2, C]));
    }
    return tf.reshape(tf.stack(slices, 3), [B, (H - 2) * (W - 2), 9 * C]) as tf.Tensor3D;
  });
}

/** Batch statistics of one parameter's per-example gradients. */
export interface GradStats {
  /** mean over the batch: [...shape] */
  mean: tf.Tensor;
  /** sum over entries of the variance over the batch (ddof 0): scalar */
  varSum: tf.Scalar;
}

/**
 * Per-example gradients of the loss sum_b sum_k signal[b, k] logits[b, k]
 * for every parameter of the deterministic part, summarized as batch mean and
 * summed variance. The dense layer's per-example gradients (outer products,
 * [B, F, hidden]) are never formed; the convolutions' are, by im2col.
 * The means equal the gradient tfjs autodiff gives for the batch mean.
 * @param x images: [B, 28, 28, 1]
 * @param signal [B, hidden]
 */
export function perExampleGradStats(
  params: Record<string, tf.Tensor>,
  convLayers: number,
  x: tf.Tensor4D,
  act: ConvActivations,
  signal: tf.Tensor2D,
): Record<string, GradStats> {
  return tf.tidy(() => {
    const stats: Record<string, GradStats> = {};
    for (const [name, g] of Object.entries(perExampleConvGrads(params, convLayers, x, act, signal))) {
      const { mean, variance } = tf.moments(g, 0);
      stats[name] = { mean, varSum: tf.sum(variance) as tf.Scalar };
    }
    const B = x.shape[0];
    const meanW = tf.div(tf.matMul(tf.transpose(act.flat), signal), B);
    const g2 = tf.sum(tf.square(signal), 1), x2 = tf.sum(tf.square(act.flat), 1);
    stats["dense.w"] = {
      mean: meanW,
      varSum: tf.sub(tf.div(tf.sum(tf.mul(g2, x2)), B), tf.sum(tf.square(meanW))) as tf.Scalar,
    };
    const { mean, variance } = tf.moments(signal, 0);
    stats["dense.b"] = { mean, varSum: tf.sum(variance) as tf.Scalar };
    return stats as unknown as tf.TensorContainer;
  }) as unknown as Record<string, GradStats>;
}

/**
 * Per-example gradients of the convolution layers, [B, ...shape] each.
 * @param x images: [B, 28, 28, 1]
 * @param signal [B, hidden]
 */
export function perExampleConvGrads(
  params: Record<string, tf.Tensor>,
  convLayers: number,
  x: tf.Tensor4D,
  act: ConvActivations,
  signal: tf.Tensor2D,
): Record<string, tf.Tensor> {
  const B = x.shape[0];
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    // Back through the convolutions: delta = dL/dz for each layer.
    let delta = tf.mul(
      tf.reshape(denseInputGrad(signal, params["dense.w"] as tf.Tensor2D), act.z[convLayers - 1].shape),
      tf.step(act.z[convLayers - 1]),
    ) as tf.Tensor4D;
    for (let i = convLayers; i >= 1; i--) {
      const input = i === 1 ? x : tf.relu(act.z[i - 2]) as tf.Tensor4D;
      const [, Ho, Wo, O] = delta.shape;
      const p = patches3x3(input); // [B, P, 9C]
      const d = tf.reshape(delta, [B, Ho * Wo, O]); // [B, P, O]
      const kShape = params[`conv${i}.w`].shape;
      // [B, O, P] x [B, P, 9C]: the faster orientation on tfjs-wasm; then to [B, 9C, O].
      const g = tf.transpose(tf.matMul(tf.transpose(d, [0, 2, 1]), p), [0, 2, 1]);
      out[`conv${i}.w`] = tf.reshape(g, [B, ...kShape]);
      out[`conv${i}.b`] = tf.sum(d, 1);
      if (i > 1) {
        const prev = act.z[i - 2];
        delta = tf.mul(convInputGrad(delta, params[`conv${i}.w`] as tf.Tensor4D), tf.step(prev)) as tf.Tensor4D;
      }
    }
    return out;
  });
}

/** Releases the parameters. */
export function disposeConvNet(net: ConvNet): void {
  tf.dispose(Object.values(net.params));
}
