/**
 * HNCA paper (Young 2022), nonlinear MNIST contextual bandit: a convolutional
 * network computes the fire rates of one layer of 200 Bernoulli units, whose
 * +-1 outputs feed a softmax policy over the 10 digits (reward 1 for the
 * label). HNCA and REINFORCE differ in the Bernoulli layer's learning signal;
 * the convolution and dense weights below it are trained by the gradient of
 * sum_k signal_k logit_k (the signal held constant; the original's autodiff),
 * computed with the per-example gradient variance in one backward pass
 * (models/conv_grads.ts), the output layer by the REINFORCE softmax gradient;
 * every parameter takes one Adam step (optim/adam_apply.ts). No reward
 * baseline, as the original.
 *
 * Faithful to `nonlinear_contextual_bandit/HNCA.py`, with its bugs available
 * as `reference_quirks` (off by default):
 * - `adam_step_frozen`: Adam's step count is never incremented, so bias
 *   correction stays at its first step (an effective step of about
 *   0.316 lr m / sqrt(v));
 * - `rho_not_stopped`: the loss fr (rho1 - rho0) is differentiated through
 *   rho too, which scales HNCA's signal by (1 - fr (rho1 - rho0));
 * - `variance_shape_sum`: the mean gradient variance is divided by the sum
 *   of the per-example gradients' shape dimensions (batch included), not by
 *   the number of parameters.
 *
 * @example
 * ```ts
 * import { hncaNonlinearBandit } from "./hnca_nonlinear_bandit.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // deno task reproduce hnca-nonlinear-bandit --profile quick
 * const c = hncaNonlinearBandit.config.parse({ reference_quirks: ["adam_step_frozen"] });
 * assertEquals(c.channels, 16);
 * assertEquals(hncaNonlinearBandit.tables(c)[0].name, "metrics");
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { Mnist } from "../data/mnist.ts";
import { mnistBatch } from "../data/mnist_batch.ts";
import type { Experiment, RunContext, TableSpec } from "../engine/experiment.ts";
import { banditTables, emitBanditEpoch, timingRow } from "./bandit_tables.ts";
import {
  chooseCounterfactualPath,
  type CounterfactualPath,
  hncaLogitSignal,
  outerProductGrads,
  softmaxChildDelta,
  softmaxSignal,
} from "../estimators/mod.ts";
import type { OutputTrace } from "../models/bernoulli_net.ts";
import { type ConvNet, convParamNames, disposeConvNet, initConvNet } from "../models/conv_bernoulli_net.ts";
import { convForwardKernel, convGradStats } from "../models/conv_grads.ts";
import { adamApply } from "../optim/mod.ts";
import {
  adam,
  disposeParams,
  disposeState,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
} from "../optim/mod.ts";
import type { Rng } from "../rng/mod.ts";

/** Named bugs of the original code that can be switched on. */
export const NONLINEAR_QUIRKS = ["adam_step_frozen", "rho_not_stopped", "variance_shape_sum"] as const;

/** Hyperparameters; defaults are the original's nonlinear HNCA.json. */
export const HncaNonlinearBanditConfig = z.strictObject({
  estimator: z.enum(["hnca", "reinforce"]).default("hnca").describe("learning signal of the Bernoulli layer"),
  epochs: z.number().int().positive().default(100).describe("passes over the training examples (num_epochs)"),
  batch_size: z.number().int().positive().default(50).describe("examples per update"),
  lr: z.number().positive().default(1e-4).describe("Adam learning rate (alpha)"),
  conv_layers: z.number().int().min(1).max(4).default(2).describe("3x3 VALID convolutions with ReLU (num_conv)"),
  channels: z.number().int().positive().default(16).describe("channels of each convolution (num_channels)"),
  hidden_width: z.number().int().positive().default(200).describe("Bernoulli units (hidden_width)"),
  centered: z.boolean().default(true).describe("Bernoulli units pass +-1 to the output layer (use_centered)"),
  train_examples: z.number().int().positive().max(60000).nullable().default(null)
    .describe("use the first n training images (null: all 60000)"),
  test_examples: z.number().int().positive().max(10000).nullable().default(null)
    .describe("use the first n test images (null: all 10000)"),
  test_batch_size: z.number().int().positive().default(500).describe(
    "examples per test forward pass (does not change results)",
  ),
  counterfactual: z.enum(["auto", "wasm", "tfjs"]).default("auto")
    .describe("the output layer's counterfactual term: wasm kernel, tfjs ops, or auto (kernel unless on webgpu)"),
  variance_every: z.number().int().positive().default(1)
    .describe(
      "measure the per-example gradient variance every n-th update (1: every update, as the original; training is unchanged)",
    ),
  reference_quirks: z.array(z.enum(NONLINEAR_QUIRKS)).default([])
    .describe(`bugs of the original code to reproduce: ${NONLINEAR_QUIRKS.join(", ")} (see the module doc)`),
});
/** The resolved config. */
export type HncaNonlinearBanditConfig = z.infer<typeof HncaNonlinearBanditConfig>;

function layerNames(c: HncaNonlinearBanditConfig): string[] {
  return [...Array.from({ length: c.conv_layers }, (_, i) => `conv${i + 1}`), "dense", "out"];
}

function tables(c: HncaNonlinearBanditConfig): TableSpec[] {
  return banditTables(
    layerNames(c),
    [],
    "averaged over the epoch's measured updates (variance_every; see variance_shape_sum for the mean)",
  );
}

/** Samples the Bernoulli layer and the action. */
function sample(net: ConvNet, x: tf.Tensor4D, u: Float32Array, uAction: Float32Array, centered: boolean) {
  const act = convForwardKernel(net.params, net.convLayers, x);
  const B = x.shape[0], K = act.logits.shape[1], A = net.params["out.b"].shape[0];
  const t = tf.tidy(() => {
    const fr = tf.sigmoid(act.logits) as tf.Tensor2D;
    const o = tf.cast(tf.less(tf.tensor2d(u, [B, K]), fr), "float32") as tf.Tensor2D;
    const h = (centered ? tf.sub(tf.mul(o, 2), 1) : tf.clone(o)) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(h, net.params["out.w"] as tf.Tensor2D), net.params["out.b"]) as tf.Tensor2D;
    const probs = tf.softmax(logits) as tf.Tensor2D;
    const below = tf.lessEqual(tf.cumsum(probs, 1), tf.tensor2d(uAction, [B, 1]));
    const action = tf.minimum(tf.sum(tf.cast(below, "int32"), 1), tf.scalar(A - 1, "int32")) as tf.Tensor1D;
    const onehot = tf.oneHot(action, A).toFloat() as tf.Tensor2D;
    return { fr, o, h, logits, probs, action, onehot };
  });
  return { act, ...t };
}

/** Releases every tensor of a sample. */
function disposeSample(smp: ReturnType<typeof sample>): void {
  tf.dispose([
    smp.act.flat,
    smp.act.logits,
    ...smp.act.z,
    smp.fr,
    smp.o,
    smp.h,
    smp.logits,
    smp.probs,
    smp.action,
    smp.onehot,
  ]);
}

/** Options of one update: the epoch's streams, the counterfactual path, whether to measure gradient variances. */
interface UpdateOptions {
  binRng: Rng;
  sampleRng: Rng;
  path: CounterfactualPath;
  measure: boolean;
}

/**
 * One update on the examples `idx`: sample the network, the estimator's learning signal for the Bernoulli
 * layer (HNCA or REINFORCE) and the output layer's REINFORCE signal, backpropagation into the convolutions,
 * Adam. Returns the new parameters and state, the batch's mean reward, and (when measured) each parameter's
 * summed per-example gradient variance.
 */
async function trainUpdate(
  ctx: RunContext<HncaNonlinearBanditConfig>,
  net: ConvNet,
  state: OptState,
  idx: Uint32Array,
  o: UpdateOptions,
): Promise<{ net: ConvNet; state: OptState; meanReward: number; variances: Float64Array | null }> {
  const c = ctx.config, mnist = ctx.data.mnist as Mnist, names = convParamNames(c.conv_layers);
  const quirk = (q: typeof NONLINEAR_QUIRKS[number]) => c.reference_quirks.includes(q);
  const adamConfig = { lr: c.lr, frozenCount: quirk("adam_step_frozen") };
  const B = c.batch_size;
  const { x, y } = mnistBatch(mnist.train, idx, 784, o.binRng);
  const xt = tf.tensor4d(x, [B, 28, 28, 1]);
  const u = o.sampleRng.fillUniform24(new Float32Array(B * c.hidden_width));
  const ua = o.sampleRng.fillUniform24(new Float32Array(B));
  const smp = sample(net, xt, u, ua, c.centered);
  const action = await smp.action.data();
  const reward = new Float32Array(B);
  for (let b = 0; b < B; b++) reward[b] = action[b] === y[b] ? 1 : 0;
  const R = tf.tensor1d(reward);
  // Output layer: REINFORCE softmax signal; its counterfactuals use the parameters of the forward pass.
  const outSignal = softmaxSignal(smp.onehot, smp.probs, R);
  const out = outerProductGrads(outSignal, smp.h); // dW: [A, J]
  let signal: tf.Tensor2D;
  if (c.estimator === "hnca") {
    const outW = tf.transpose(net.params["out.w"]) as tf.Tensor2D; // [A, J]
    const trace: OutputTrace = {
      input: smp.h,
      logits: smp.logits,
      probs: smp.probs,
      action: smp.action,
      onehot: smp.onehot,
    };
    const delta = await softmaxChildDelta(outW, trace, c.centered, o.path);
    signal = hncaLogitSignal(smp.fr, delta, R, quirk("rho_not_stopped"));
    tf.dispose([outW, delta]);
  } else {
    signal = tf.tidy(() => tf.mul(tf.sub(smp.o, smp.fr), tf.neg(tf.expandDims(R, 1))) as tf.Tensor2D);
  }
  const stats = await convGradStats(net.params, c.conv_layers, xt, smp.act, signal, o.measure);
  let v: Float64Array | null = null;
  if (stats.varSums) {
    const outVar = tf.tidy(() => tf.stack([tf.mul(out.varW, out.dW.size), tf.mul(out.varB, out.db.size)]));
    const [w, b] = await outVar.data();
    outVar.dispose();
    v = Float64Array.from(names, (n) => n === "out.w" ? w : n === "out.b" ? b : stats.varSums![n]);
  }
  const allGrads: Params = { ...stats.grads, "out.w": tf.transpose(out.dW), "out.b": out.db };
  const { params: updated, state: next } = adamApply(adamConfig, allGrads, state, net.params);
  tf.dispose([xt, R, outSignal, signal, out.dW, out.varW, out.varB]);
  disposeParams(allGrads);
  disposeSample(smp);
  disposeConvNet(net);
  disposeState(state);
  return {
    net: { params: updated, convLayers: c.conv_layers },
    state: next,
    meanReward: reward.reduce((a, b) => a + b, 0) / B,
    variances: v,
  };
}

/** A fresh network and Adam state, or those of the checkpoint the run resumes from. */
function startState(ctx: RunContext<HncaNonlinearBanditConfig>): { net: ConvNet; state: OptState; start: number } {
  const c = ctx.config;
  const net = initConvNet(ctx.rng.stream("init"), {
    channels: c.channels,
    convLayers: c.conv_layers,
    hidden: c.hidden_width,
    actions: 10,
  });
  const adamConfig = { lr: c.lr, frozenCount: c.reference_quirks.includes("adam_step_frozen") };
  if (!ctx.resume) return { net, state: adam(adamConfig).init(net.params), start: 0 };
  const t = ctx.resume.tensors;
  disposeConvNet(net);
  return {
    net: { params: namedToParams(t, convParamNames(c.conv_layers)), convLayers: c.conv_layers },
    state: restoreState((ctx.resume.state as { opt: unknown }).opt, t),
    start: ctx.resume.step,
  };
}

/** What one epoch measured, for its metrics row. */
interface EpochSums {
  epoch: number;
  steps: number;
  rewardSum: number;
  meanVarSum: number;
  varSums: Float64Array;
  /** Updates whose gradient variance was measured (every variance_every-th). */
  measured: number;
  test: { sampled: number; greedy: number };
  /** Wall time of the epoch's training updates (for the log only). */
  seconds: number;
}

/** The epoch's metrics row and its log line. */
function emitEpoch(ctx: RunContext<HncaNonlinearBanditConfig>, e: EpochSums): void {
  const extra: Record<string, number> = {};
  convParamNames(ctx.config.conv_layers).forEach((n, i) => {
    const [layer, kind] = n.split(".");
    extra[`grad_var_${kind === "w" ? "w" : "b"}_${layer}`] = e.varSums[i] / e.measured;
  });
  const trainAccuracy = e.rewardSum / e.steps, gradVarMean = e.meanVarSum / e.measured;
  emitBanditEpoch(ctx.emit, ctx.log, { ...e, trainAccuracy, gradVarMean }, extra);
}

async function run(ctx: RunContext<HncaNonlinearBanditConfig>): Promise<void> {
  const c = ctx.config;
  const quirk = (q: typeof NONLINEAR_QUIRKS[number]) => c.reference_quirks.includes(q);
  const mnist = ctx.data.mnist as Mnist;
  const nTrain = c.train_examples ?? mnist.train.count;
  const nTest = c.test_examples ?? mnist.test.count;
  const steps = Math.floor(nTrain / c.batch_size);
  if (steps === 0) throw new Error(`train_examples ${nTrain} is smaller than batch_size ${c.batch_size}`);
  const path = chooseCounterfactualPath(c.counterfactual, ctx.backend.name);
  ctx.log(`counterfactual path: ${path}; quirks: ${c.reference_quirks.join(", ") || "none"}`);

  let { net, state, start } = startState(ctx);
  const names = convParamNames(c.conv_layers);
  const sizes = names.map((n) => net.params[n].size);
  // variance_shape_sum: the original divides by the sum of each per-example gradient's dimensions, batch included.
  const denominator = quirk("variance_shape_sum")
    ? names.reduce((a, n) => a + c.batch_size + net.params[n].shape.reduce((x, y) => x + y, 0), 0)
    : sizes.reduce((a, b) => a + b, 0);

  for (let epoch = start + 1; epoch <= c.epochs; epoch++) {
    const t0 = performance.now();
    const order = ctx.rng.stream("shuffle", epoch).permutation(nTrain);
    const binRng = ctx.rng.stream("binarize-train", epoch);
    const sampleRng = ctx.rng.stream("sample-train", epoch);
    let rewardSum = 0, meanVarSum = 0, measured = 0;
    const varSums = new Float64Array(names.length);
    for (let s = 0; s < steps; s++) {
      const r = await trainUpdate(ctx, net, state, order.subarray(s * c.batch_size, (s + 1) * c.batch_size), {
        binRng,
        sampleRng,
        path,
        measure: s % c.variance_every === 0,
      });
      net = r.net;
      state = r.state;
      rewardSum += r.meanReward;
      if (r.variances) {
        let total = 0;
        for (let i = 0; i < names.length; i++) {
          varSums[i] += r.variances[i] / sizes[i];
          total += r.variances[i];
        }
        meanVarSum += total / denominator;
        measured++;
      }
      ctx.progress((epoch - 1) * steps + s + 1, c.epochs * steps, `epoch ${epoch}/${c.epochs}`);
    }
    const t1 = performance.now();
    const test = await evaluate(
      net,
      mnist,
      nTest,
      c,
      ctx.rng.stream("binarize-test", epoch),
      ctx.rng.stream("sample-test", epoch),
    );
    emitEpoch(ctx, { epoch, steps, rewardSum, meanVarSum, varSums, measured, test, seconds: (t1 - t0) / 1000 });
    ctx.emit("timing", timingRow(epoch, t0, t1, performance.now(), steps * c.batch_size));
    const saved = await saveState(state);
    await ctx.checkpoint({
      step: epoch,
      tensors: { ...await paramsToNamed(net.params), ...saved.tensors },
      state: { opt: saved.skeleton },
    });
  }
  ctx.saveParams(await paramsToNamed(net.params));
  disposeConvNet(net);
  disposeState(state);
}

/** Test accuracy with sampled and with most probable actions. */
async function evaluate(
  net: ConvNet,
  mnist: Mnist,
  n: number,
  c: HncaNonlinearBanditConfig,
  binRng: Rng,
  sampleRng: Rng,
) {
  let sampled = 0, greedy = 0;
  for (let start = 0; start < n; start += c.test_batch_size) {
    const idx = Array.from({ length: Math.min(c.test_batch_size, n - start) }, (_, i) => start + i);
    const { x, y } = mnistBatch(mnist.test, idx, 784, binRng);
    const B = idx.length;
    const xt = tf.tensor4d(x, [B, 28, 28, 1]);
    const smp = sample(
      net,
      xt,
      sampleRng.fillUniform24(new Float32Array(B * c.hidden_width)),
      sampleRng.fillUniform24(new Float32Array(B)),
      c.centered,
    );
    const best = tf.argMax(smp.probs, 1);
    const [a, g] = [await smp.action.data(), await best.data()];
    for (let b = 0; b < B; b++) {
      if (a[b] === y[b]) sampled++;
      if (g[b] === y[b]) greedy++;
    }
    tf.dispose([xt, best]);
    disposeSample(smp);
  }
  return { sampled: sampled / n, greedy: greedy / n };
}

/** The registered experiment. */
export const hncaNonlinearBandit: Experiment<HncaNonlinearBanditConfig> = {
  id: "hnca-nonlinear-bandit",
  module: import.meta.url,
  version: "1",
  title: "HNCA: MNIST contextual bandit with a convolutional network below one Bernoulli layer",
  config: HncaNonlinearBanditConfig,
  datasets: ["mnist"],
  tables,
  run,
};
