/**
 * A network of stochastic binary (Bernoulli) hidden layers with a softmax
 * output policy, as in the HNCA contextual bandit:
 * input -> Bernoulli(sigmoid(W x + b)) -> ... -> softmax(W h + b) -> action.
 *
 * Weights are [units, inputs] (the original's `theta` layout). Fire rates are
 * clipped to [1e-5, 1 - 1e-5]; a unit fires when a uniform draw is below its
 * clipped fire rate. With `centered`, a hidden unit passes 2o - 1 (+-1)
 * forward instead of o. All randomness comes in as uniforms from the run's RNG.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { initBernoulliNet, sampleNet, drawUniforms, disposeTrace } from "./bernoulli_net.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const net = initBernoulliNet(Rng.fromSeed(0).stream("init"), { input: 4, hidden: [3, 3], output: 2, centered: true });
 * const x = tf.tensor2d([[0, 1, 1, 0]]);
 * const trace = sampleNet(net, x, drawUniforms(net, 1, Rng.fromSeed(0).stream("sample")));
 * assertEquals(trace.output.probs.shape, [1, 2]);
 * disposeTrace(trace);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng/mod.ts";
import { glorotUniform } from "./init.ts";

/** Fire rates are clipped to [FIRE_RATE_MIN, 1 - FIRE_RATE_MIN]. */
export const FIRE_RATE_MIN = 1e-5;

/** A fully connected layer: W [units, inputs], b [units]. */
export interface Dense {
  W: tf.Tensor2D;
  b: tf.Tensor1D;
}

/** Parameters and shape of the network. */
export interface BernoulliNet {
  hidden: Dense[];
  output: Dense;
  centered: boolean;
}

/** Layer sizes. */
export interface NetShape {
  input: number;
  hidden: number[];
  output: number;
  centered: boolean;
}

/** What one hidden layer did in a forward pass. */
export interface HiddenTrace {
  /** input: [B, J] */
  input: tf.Tensor2D;
  /** logits: [B, K], unclipped */
  logits: tf.Tensor2D;
  /** fireRate: [B, K], clipped */
  fireRate: tf.Tensor2D;
  /** sample: [B, K], 0/1 */
  sample: tf.Tensor2D;
  /** output: [B, K], what goes to the next layer (+-1 when centered) */
  output: tf.Tensor2D;
}

/** What the softmax output layer did. */
export interface OutputTrace {
  /** input: [B, J] */
  input: tf.Tensor2D;
  /** logits: [B, A] */
  logits: tf.Tensor2D;
  /** probs: [B, A] */
  probs: tf.Tensor2D;
  /** action: [B] int32 */
  action: tf.Tensor1D;
  /** onehot: [B, A] */
  onehot: tf.Tensor2D;
}

/** A whole forward pass. */
export interface NetTrace {
  hidden: HiddenTrace[];
  output: OutputTrace;
}

/** Uniform draws for one forward pass: [B * K] per hidden layer, [B] for the action. */
export interface NetUniforms {
  hidden: Float32Array[];
  output: Float32Array;
}

/** Glorot-uniform weights and zero biases; layer l uses stream ("layer", l), the output ("output"). */
export function initBernoulliNet(rng: Rng, shape: NetShape): BernoulliNet {
  const sizes = [shape.input, ...shape.hidden];
  const hidden = shape.hidden.map((k, l) => ({
    W: tf.tensor2d(glorotUniform(rng.stream("layer", l), k, sizes[l]), [k, sizes[l]]),
    b: tf.zeros([k]) as tf.Tensor1D,
  }));
  const last = sizes[sizes.length - 1];
  const output = {
    W: tf.tensor2d(glorotUniform(rng.stream("output"), shape.output, last), [shape.output, last]),
    b: tf.zeros([shape.output]) as tf.Tensor1D,
  };
  return { hidden, output, centered: shape.centered };
}

/** Draws the uniforms of one forward pass of `batch` examples. */
export function drawUniforms(net: BernoulliNet, batch: number, rng: Rng): NetUniforms {
  return {
    hidden: net.hidden.map((l) => rng.fillUniform24(new Float32Array(batch * l.b.shape[0]))),
    output: rng.fillUniform24(new Float32Array(batch)),
  };
}

/**
 * One stochastic forward pass.
 * @param x input: [B, I]
 */
export function sampleNet(net: BernoulliNet, x: tf.Tensor2D, u: NetUniforms): NetTrace {
  const B = x.shape[0];
  if (x.shape[1] !== (net.hidden[0]?.W ?? net.output.W).shape[1]) {
    throw new Error(`sampleNet(): x must be [B, ${(net.hidden[0]?.W ?? net.output.W).shape[1]}], got [${x.shape}]`);
  }
  if (u.hidden.length !== net.hidden.length || u.output.length !== B) {
    throw new Error(
      `sampleNet(): uniforms for ${u.hidden.length} layers and ${u.output.length} actions, expected ${net.hidden.length} and ${B}`,
    );
  }
  const hidden: HiddenTrace[] = [];
  let h = tf.clone(x);
  net.hidden.forEach((layer, l) => {
    const K = layer.b.shape[0];
    if (u.hidden[l].length !== B * K) {
      throw new Error(`sampleNet(): layer ${l} uniforms must be ${B * K}, got ${u.hidden[l].length}`);
    }
    const t = tf.tidy(() => {
      // x W^T with an explicit transpose: tfjs-wasm's transposeB path is about ten times slower.
      const logits = tf.add(tf.matMul(h, tf.transpose(layer.W)), layer.b) as tf.Tensor2D;
      const fireRate = tf.clipByValue(tf.sigmoid(logits), FIRE_RATE_MIN, 1 - FIRE_RATE_MIN) as tf.Tensor2D;
      const sample = tf.cast(tf.less(tf.tensor2d(u.hidden[l], [B, K]), fireRate), "float32") as tf.Tensor2D;
      const output = (net.centered ? tf.sub(tf.mul(sample, 2), 1) : tf.clone(sample)) as tf.Tensor2D;
      return { logits, fireRate, sample, output };
    });
    hidden.push({ input: h, ...t });
    h = tf.clone(t.output);
  });
  const A = net.output.b.shape[0];
  const out = tf.tidy(() => {
    const logits = tf.add(tf.matMul(h, tf.transpose(net.output.W)), net.output.b) as tf.Tensor2D;
    const probs = tf.softmax(logits) as tf.Tensor2D;
    // Inverse CDF: the action is the number of cumulative probabilities at or below u.
    const below = tf.lessEqual(tf.cumsum(probs, 1), tf.tensor2d(u.output, [B, 1]));
    const action = tf.minimum(tf.sum(tf.cast(below, "int32"), 1), tf.scalar(A - 1, "int32")) as tf.Tensor1D;
    const onehot = tf.oneHot(action, A).toFloat() as tf.Tensor2D;
    return { logits, probs, action, onehot };
  });
  return { hidden, output: { input: h, ...out } };
}

/** Releases every tensor of a trace. */
export function disposeTrace(trace: NetTrace): void {
  for (const l of trace.hidden) tf.dispose([l.input, l.logits, l.fireRate, l.sample, l.output]);
  const o = trace.output;
  tf.dispose([o.input, o.logits, o.probs, o.action, o.onehot]);
}

/** All parameter tensors in a fixed order: hidden W, b per layer, then output W, b. */
export function netParams(net: BernoulliNet): tf.Tensor[] {
  return [...net.hidden.flatMap((l) => [l.W, l.b]), net.output.W, net.output.b];
}

/** A net with the same shape whose parameters are `params` (in netParams order). */
export function withParams(net: BernoulliNet, params: tf.Tensor[]): BernoulliNet {
  const L = net.hidden.length;
  if (params.length !== 2 * L + 2) throw new Error(`withParams(): expected ${2 * L + 2} tensors, got ${params.length}`);
  return {
    hidden: net.hidden.map((_, l) => ({ W: params[2 * l] as tf.Tensor2D, b: params[2 * l + 1] as tf.Tensor1D })),
    output: { W: params[2 * L] as tf.Tensor2D, b: params[2 * L + 1] as tf.Tensor1D },
    centered: net.centered,
  };
}

/** Releases the parameters. */
export function disposeNet(net: BernoulliNet): void {
  tf.dispose(netParams(net));
}
