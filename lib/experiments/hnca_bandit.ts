/**
 * HNCA paper (Young 2022), MNIST contextual bandit: a network of Bernoulli
 * hidden layers with a softmax policy over the 10 digits, rewarded 1 for
 * naming the label. Estimators: HNCA and REINFORCE, each with or without a
 * running-average reward baseline.
 *
 * One epoch, as the original `contextual_bandit/HNCA.py`:
 * 1. shuffle the training set and binarize it dynamically (Bernoulli(pixel / 255));
 * 2. per batch: sample the network, reward = 1[action = label], estimate the
 *    gradient with the parameters of the forward pass, update every layer by
 *    Adam, then baseline <- gamma baseline + (1 - gamma) mean(reward);
 * 3. test: binarize the test set afresh and score sampled actions (the
 *    original's test accuracy) and the most probable action (greedy).
 * Gradient variance per layer is the variance over the batch of per-example
 * gradients (ddof 0) averaged over the layer's weights, and over its biases;
 * its mean weights every layer, the output included, by parameter count.
 *
 * @example
 * ```ts
 * import { hncaBandit } from "./hnca_bandit.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // deno task reproduce hnca-bandit --profile quick
 * const c = hncaBandit.config.parse({ epochs: 2 });
 * assertEquals(c.batch_size, 50);
 * assertEquals(hncaBandit.tables(c).map((t) => t.name), ["metrics", "timing"]);
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
  BANDIT_ESTIMATORS,
  chooseCounterfactualPath,
  type CounterfactualPath,
  outerProductGrads,
} from "../estimators/mod.ts";
import {
  type BernoulliNet,
  disposeNet,
  disposeTrace,
  drawUniforms,
  initBernoulliNet,
  netParams,
  sampleNet,
  withParams,
} from "../models/bernoulli_net.ts";
import {
  adam,
  applyUpdates,
  disposeParams,
  disposeState,
  type GradientTransformation,
  namedToParams,
  type OptState,
  paramsToNamed,
  restoreState,
  saveState,
  sgd,
  zipParams,
} from "../optim/mod.ts";
import type { Rng } from "../rng/mod.ts";

/** Hyperparameters; defaults are the original's HNCA.json (paper configuration). */
export const HncaBanditConfig = z.strictObject({
  estimator: z.enum(["hnca", "reinforce"]).default("hnca").describe("gradient estimator for every hidden layer"),
  baseline: z.boolean().default(false).describe("subtract a running average of the reward (use_baseline)"),
  gamma: z.number().min(0).max(1).default(0.99).describe("baseline <- gamma baseline + (1 - gamma) mean(reward)"),
  epochs: z.number().int().positive().default(100).describe("passes over the training examples (num_epochs)"),
  batch_size: z.number().int().positive().default(50).describe("examples per update"),
  lr: z.number().positive().default(1e-4).describe("learning rate (alpha)"),
  optimizer: z.enum(["adam", "sgd"]).default("adam").describe("adam (use_adam true) or plain sgd"),
  hidden_layers: z.number().int().min(1).max(8).default(3).describe("number of Bernoulli hidden layers (num_hidden)"),
  hidden_width: z.number().int().positive().default(200).describe("units per hidden layer"),
  centered: z.boolean().default(true).describe("hidden units pass +-1 forward instead of 0/1 (use_centered)"),
  train_examples: z.number().int().positive().max(60000).nullable().default(null)
    .describe("use the first n training images (null: all 60000)"),
  test_examples: z.number().int().positive().max(10000).nullable().default(null)
    .describe("use the first n test images (null: all 10000)"),
  test_batch_size: z.number().int().positive().default(1000).describe(
    "examples per test forward pass (does not change results)",
  ),
  counterfactual: z.enum(["auto", "wasm", "tfjs"]).default("auto")
    .describe("HNCA's counterfactual term: wasm SIMD kernel, tfjs ops, or auto (kernel unless the backend is webgpu)"),
});
/** The resolved config. */
export type HncaBanditConfig = z.infer<typeof HncaBanditConfig>;

/** Layer names in the order of the variance columns: h1..hL, then out. */
function layerNames(c: HncaBanditConfig): string[] {
  return [...Array.from({ length: c.hidden_layers }, (_, l) => `h${l + 1}`), "out"];
}

function tables(c: HncaBanditConfig): TableSpec[] {
  return banditTables(layerNames(c), [
    {
      name: "baseline",
      type: "f64",
      role: "metric",
      doc: "reward baseline at the end of the epoch (0 without baseline)",
      unit: "reward",
    },
  ]);
}

/** One update. Returns the mean reward and each layer's [varW, varB] and the new net and optimizer state. */
async function trainStep(
  net: BernoulliNet,
  opt: GradientTransformation,
  state: OptState,
  x: Float32Array,
  y: Int32Array,
  baseline: number,
  rng: Rng,
  c: HncaBanditConfig,
  path: CounterfactualPath,
) {
  const B = y.length;
  const xt = tf.tensor2d(x, [B, x.length / B]);
  const trace = sampleNet(net, xt, drawUniforms(net, B, rng));
  xt.dispose();
  const action = await trace.output.action.data();
  const reward = new Float32Array(B);
  let total = 0;
  for (let b = 0; b < B; b++) total += reward[b] = action[b] === y[b] ? 1 : 0;
  const advantage = tf.tidy(() => tf.sub(tf.tensor1d(reward), baseline) as tf.Tensor1D);
  const signals = await BANDIT_ESTIMATORS[c.estimator]({ net, trace, advantage, path });
  const layers = [...signals.hidden, signals.output].map((g, l) =>
    outerProductGrads(g, l < net.hidden.length ? trace.hidden[l].input : trace.output.input)
  );
  const variances = tf.tidy(() => tf.stack(layers.flatMap((g) => [g.varW, g.varB])));
  const names = paramNames(net);
  const params = zipParams(names, netParams(net));
  const grads = zipParams(names, layers.flatMap((g) => [g.dW, g.db]));
  const { updates, state: next } = opt.update(grads, state, params);
  const updated = applyUpdates(params, updates);
  disposeParams(updates);
  const v = await variances.data();
  tf.dispose([
    advantage,
    variances,
    ...signals.hidden,
    signals.output,
    ...layers.flatMap((g) => [g.dW, g.db, g.varW, g.varB]),
  ]);
  disposeTrace(trace);
  return {
    net: withParams(net, names.map((n) => updated[n])),
    state: next,
    meanReward: total / B,
    variances: v,
  };
}

/** Test accuracy with sampled and with most probable actions. */
async function evaluate(net: BernoulliNet, mnist: Mnist, n: number, c: HncaBanditConfig, binRng: Rng, sampleRng: Rng) {
  let sampled = 0, greedy = 0;
  for (let start = 0; start < n; start += c.test_batch_size) {
    const idx = Array.from({ length: Math.min(c.test_batch_size, n - start) }, (_, i) => start + i);
    const { x, y } = mnistBatch(mnist.test, idx, mnist.pixels, binRng);
    const xt = tf.tensor2d(x, [idx.length, mnist.pixels]);
    const trace = sampleNet(net, xt, drawUniforms(net, idx.length, sampleRng));
    const best = tf.argMax(trace.output.probs, 1);
    const [a, g] = [await trace.output.action.data(), await best.data()];
    for (let b = 0; b < idx.length; b++) {
      if (a[b] === y[b]) sampled++;
      if (g[b] === y[b]) greedy++;
    }
    tf.dispose([xt, best]);
    disposeTrace(trace);
  }
  return { sampled: sampled / n, greedy: greedy / n };
}

function paramNames(net: BernoulliNet): string[] {
  return [...net.hidden.flatMap((_, l) => [`h${l + 1}.W`, `h${l + 1}.b`]), "out.W", "out.b"];
}

/** A fresh network and optimizer state, or those of the checkpoint the run resumes from. */
function startState(
  ctx: RunContext<HncaBanditConfig>,
  pixels: number,
  opt: GradientTransformation,
): { net: BernoulliNet; state: OptState; baseline: number; start: number } {
  const c = ctx.config;
  const net = initBernoulliNet(ctx.rng.stream("init"), {
    input: pixels,
    hidden: Array(c.hidden_layers).fill(c.hidden_width),
    output: 10,
    centered: c.centered,
  });
  const names = paramNames(net);
  if (!ctx.resume) return { net, state: opt.init(zipParams(names, netParams(net))), baseline: 0, start: 0 };
  const t = ctx.resume.tensors;
  disposeNet(net);
  const restored = namedToParams(t, names);
  const s = ctx.resume.state as { opt: unknown; baseline: number };
  return {
    net: withParams(net, names.map((n) => restored[n])),
    state: restoreState(s.opt, t),
    baseline: s.baseline,
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
  baseline: number;
  test: { sampled: number; greedy: number };
  /** Wall time of the epoch's training updates (for the log only). */
  seconds: number;
}

/** The epoch's metrics row and its log line. */
function emitEpoch(ctx: RunContext<HncaBanditConfig>, e: EpochSums): void {
  const extra: Record<string, number> = { baseline: e.baseline };
  layerNames(ctx.config).forEach((l, i) => {
    extra[`grad_var_w_${l}`] = e.varSums[2 * i] / e.steps;
    extra[`grad_var_b_${l}`] = e.varSums[2 * i + 1] / e.steps;
  });
  const trainAccuracy = e.rewardSum / e.steps, gradVarMean = e.meanVarSum / e.steps;
  emitBanditEpoch(ctx.emit, ctx.log, { ...e, trainAccuracy, gradVarMean }, extra);
}

async function run(ctx: RunContext<HncaBanditConfig>): Promise<void> {
  const c = ctx.config;
  const mnist = ctx.data.mnist as Mnist;
  const nTrain = c.train_examples ?? mnist.train.count;
  const nTest = c.test_examples ?? mnist.test.count;
  const steps = Math.floor(nTrain / c.batch_size);
  if (steps === 0) throw new Error(`train_examples ${nTrain} is smaller than batch_size ${c.batch_size}`);
  const path = chooseCounterfactualPath(c.counterfactual, ctx.backend.name);
  ctx.log(`counterfactual path: ${path}; ${steps} updates per epoch`);

  const opt = c.optimizer === "adam" ? adam({ lr: c.lr }) : sgd({ lr: c.lr });
  let { net, state, baseline, start } = startState(ctx, mnist.pixels, opt);
  const names = paramNames(net);
  const counts = [...net.hidden, net.output].map((l) => [l.W.size, l.b.size]);
  const totalParams = counts.flat().reduce((a, b) => a + b, 0);

  for (let epoch = start + 1; epoch <= c.epochs; epoch++) {
    const t0 = performance.now();
    const order = ctx.rng.stream("shuffle", epoch).permutation(nTrain);
    const binRng = ctx.rng.stream("binarize-train", epoch);
    const sampleRng = ctx.rng.stream("sample-train", epoch);
    let rewardSum = 0, meanVarSum = 0;
    const varSums = new Float64Array(2 * counts.length);
    for (let s = 0; s < steps; s++) {
      const { x, y } = mnistBatch(
        mnist.train,
        order.subarray(s * c.batch_size, (s + 1) * c.batch_size),
        mnist.pixels,
        binRng,
      );
      const r = await trainStep(net, opt, state, x, y, baseline, sampleRng, c, path);
      disposeNet(net);
      disposeState(state);
      net = r.net;
      state = r.state;
      if (c.baseline) baseline = c.gamma * baseline + (1 - c.gamma) * r.meanReward;
      rewardSum += r.meanReward;
      let weighted = 0;
      for (let i = 0; i < r.variances.length; i++) {
        varSums[i] += r.variances[i];
        weighted += r.variances[i] * counts[i >> 1][i & 1];
      }
      meanVarSum += weighted / totalParams;
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
    const t2 = performance.now();
    emitEpoch(ctx, { epoch, steps, rewardSum, meanVarSum, varSums, baseline, test, seconds: (t1 - t0) / 1000 });
    ctx.emit("timing", timingRow(epoch, t0, t1, t2, steps * c.batch_size));
    const saved = await saveState(state);
    const tensors = { ...await paramsToNamed(zipParams(names, netParams(net))), ...saved.tensors };
    await ctx.checkpoint({ step: epoch, tensors, state: { opt: saved.skeleton, baseline } });
  }
  ctx.saveParams(await paramsToNamed(zipParams(names, netParams(net))));
  disposeNet(net);
  disposeState(state);
}

/** The registered experiment. */
export const hncaBandit: Experiment<HncaBanditConfig> = {
  id: "hnca-bandit",
  module: import.meta.url,
  version: "1",
  title: "HNCA: MNIST contextual bandit with Bernoulli hidden layers",
  config: HncaBanditConfig,
  datasets: ["mnist"],
  tables,
  run,
};
