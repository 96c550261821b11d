/**
 * HNCA paper (Young 2022), generative modelling: a hierarchical binary VAE on
 * dynamically binarized MNIST. The encoder (784 -> 200 -> 200 -> 200 Bernoulli
 * units) is trained by a gradient estimator named in the pipeline (HNCA,
 * REINFORCE, disARM, REINFORCE-LOO); the decoder (200 -> 200 -> 200 -> 784) and
 * a bias-only prior over the top layer by maximum likelihood of the encoder's
 * samples.
 *
 * One epoch, as the original `generative_modeling/HNCA.py`:
 * 1. shuffle the training set and binarize it afresh (Bernoulli(pixel / 255));
 * 2. per batch: sample the encoder, evaluate every decoder layer and the prior
 *    on the samples; the batch's one-sample ELBO (analytic entropies) is the
 *    training ELBO, measured before the update; the decoder and prior get
 *    their maximum-likelihood gradients, each encoder layer (top first) its
 *    estimator's; then every parameter takes one Adam step, and each layer's
 *    baseline <- gamma baseline + (1 - gamma) (the estimator's reward mean);
 * 3. evaluate what the original did not: the one-sample ELBO on the test set
 *    (binarized once per run) and, at chosen epochs, the importance-weighted
 *    bound log (1/k) sum_s p(x, z_s) / q(z_s | x) with k samples per image.
 * Gradient variance per encoder layer: the variance over the batch of the
 * per-example gradient (ddof 0), averaged over weight entries and over bias
 * entries; its mean weights the encoder's layers by parameter count.
 *
 * Quirk of the original (off by default, `reference_quirks: [resample_updated_upper]`):
 * disARM and REINFORCE-LOO resample the layers above with parameters already
 * updated in the same step (the original updates layer by layer, top first,
 * and its resampling reads the current parameters).
 *
 * @example
 * ```ts
 * import { hncaVae } from "./hnca_vae.ts";
 * // deno task reproduce hnca-vae --profile quick
 * const c = hncaVae.config.parse({ estimator: "disarm" });
 * c.latent_layers; // 3
 * hncaVae.tables(c).map((t) => t.name); // ["metrics", "timing", "digits"]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { Mnist, MnistSplit } from "../data/mnist.ts";
import { mnistBatch } from "../data/mnist_batch.ts";
import { type Experiment, f64Metric, type RunContext, type TableSpec } from "../engine/experiment.ts";
import { chooseCounterfactualPath } from "../estimators/counterfactual.ts";
import { timingRow, timingTable } from "./bandit_tables.ts";
import { outerProductGrads } from "../estimators/grads.ts";
import type { CounterfactualPath } from "../estimators/types.ts";
import { VAE_ESTIMATOR_NAMES, VAE_ESTIMATORS } from "../estimators/vae/mod.ts";
import {
  type BinaryVae,
  disposeVaeTrace,
  drawVaeUniforms,
  encodeVae,
  initBinaryVae,
  logImportanceWeight,
  sampleVae,
  vaeParamNames,
  vaeParams,
  vaeTerms,
  type VaeTrace,
  vaeWithParams,
} from "../models/binary_vae.ts";
import {
  adam,
  applyUpdates,
  disposeParams,
  disposeState,
  type GradientTransformation,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
  sgd,
  zipParams,
} from "../optim/mod.ts";
import { adamApply } from "../optim/adam_apply.ts";
import { tfjsOps } from "../kernels/tfjs_ops.ts";
import type { Rng } from "../rng/mod.ts";
import { FastStream, type UniformSource } from "../rng/fast_stream.ts";

const QUIRKS = ["resample_updated_upper"] as const;

/** Hyperparameters; defaults are the original's generative_modeling/HNCA.json (paper configuration). */
export const HncaVaeConfig = z.strictObject({
  estimator: z.enum(VAE_ESTIMATOR_NAMES).default("hnca").describe("gradient estimator for every encoder layer"),
  baseline: z.boolean().default(false).describe(
    "per-layer running-average reward baseline (use_baseline; hnca and reinforce only)",
  ),
  gamma: z.number().min(0).max(1).default(0.99).describe("baseline <- gamma baseline + (1 - gamma) reward mean"),
  all_child: z.boolean().default(false).describe("HNCA ablation: weight the child-dependent terms by rho as well"),
  full_reward: z.boolean().default(false).describe(
    "HNCA ablation: add the terms below each layer (which it cannot change) to its reward",
  ),
  epochs: z.number().int().positive().default(840).describe("passes over the training images (num_epochs)"),
  batch_size: z.number().int().positive().default(50).describe("images per update"),
  lr: z.number().positive().default(1e-4).describe("learning rate (alpha)"),
  optimizer: z.enum(["adam", "sgd"]).default("adam").describe("adam (use_adam true) or plain sgd"),
  latent_layers: z.number().int().min(1).max(8).default(3).describe(
    "Bernoulli latent layers (the original's num_hidden + 1)",
  ),
  latent_width: z.number().int().positive().default(200).describe("units per latent layer (hidden_width)"),
  train_examples: z.number().int().positive().max(60000).nullable().default(null)
    .describe("use the first n training images (null: all 60000)"),
  test_examples: z.number().int().positive().max(10000).nullable().default(null)
    .describe("use the first n test images for the test ELBO and bound (null: all 10000)"),
  test_batch_size: z.number().int().positive().default(1000).describe(
    "images per test forward pass (does not change results)",
  ),
  iw_samples: z.number().int().min(0).default(100).describe(
    "k of the importance-weighted test bound (0: never computed)",
  ),
  iw_epochs: z.array(z.number().int().positive()).default([]).describe(
    "epochs at which the importance-weighted bound is computed besides the last",
  ),
  digits: z.number().int().min(0).max(256).default(64).describe(
    "digits sampled prior -> decoder at the end of training (the original's generate_digits.py draws 64)",
  ),
  counterfactual: z.enum(["auto", "wasm", "tfjs"]).default("auto")
    .describe("HNCA's counterfactual terms: wasm SIMD kernel, tfjs ops, or auto (kernel unless the backend is webgpu)"),
  reference_quirks: z.array(z.enum(QUIRKS)).default([])
    .describe("bugs of the original code to reproduce (resample_updated_upper: see the module doc)"),
});
/** The resolved config. */
export type HncaVaeConfig = z.infer<typeof HncaVaeConfig>;

function layerNames(c: HncaVaeConfig): string[] {
  return Array.from({ length: c.latent_layers }, (_, k) => `q${k + 1}`);
}

function tables(c: HncaVaeConfig): TableSpec[] {
  const layers = layerNames(c);
  return [
    {
      name: "metrics",
      doc: "One row per epoch.",
      step: "epoch",
      columns: [
        { name: "epoch", type: "int", role: "index", doc: "epochs completed" },
        f64Metric(
          "train_elbo",
          "one-sample ELBO of the training batches before their updates, mean over the epoch (the original's ELBO)",
          "nats",
        ),
        f64Metric("test_elbo", "one-sample ELBO of the test images (binarized once per run) after the epoch", "nats"),
        f64Metric(
          "test_iw_bound",
          "importance-weighted bound with iw_samples samples per test image (empty at epochs where it is not computed)",
          "nats",
          true,
        ),
        f64Metric(
          "grad_var_mean",
          "per-example encoder gradient variance, mean over every encoder parameter (weights by count), averaged over the epoch's updates",
        ),
        ...layers.flatMap((l) => [
          f64Metric(
            `grad_var_w_${l}`,
            `gradient variance of encoder layer ${l}'s weights, mean over entries and updates`,
          ),
          f64Metric(
            `grad_var_b_${l}`,
            `gradient variance of encoder layer ${l}'s biases, mean over entries and updates`,
          ),
        ]),
        ...layers.map((l) =>
          f64Metric(`baseline_${l}`, `layer ${l}'s reward baseline at the end of the epoch`, "nats")
        ),
      ],
    },
    timingTable("wall time of the epoch's test evaluation"),
    {
      name: "digits",
      doc: "Images sampled prior -> decoder from the final model, one row per pixel (drawn as a grid; not summarized).",
      summarize: false,
      columns: [
        { name: "image", type: "int", role: "index", doc: "sample number" },
        { name: "row", type: "int", role: "index", doc: "pixel row" },
        { name: "col", type: "int", role: "index", doc: "pixel column" },
        { name: "pixel", type: "int", role: "metric", doc: "the sampled pixel, 0 or 1" },
        f64Metric("probability", "the decoder's probability that the pixel is on", "probability"),
      ],
    },
  ];
}

function checkConfig(c: HncaVaeConfig): void {
  if (c.baseline && (c.estimator === "disarm" || c.estimator === "reinforce_loo")) {
    throw new Error(`Estimator ${c.estimator} takes no baseline (the original has none); set baseline: false`);
  }
  if ((c.all_child || c.full_reward) && c.estimator !== "hnca") {
    throw new Error(`all_child and full_reward are HNCA's flags; estimator is ${c.estimator}`);
  }
  if (c.reference_quirks.length && c.estimator !== "disarm" && c.estimator !== "reinforce_loo") {
    throw new Error(`Quirk resample_updated_upper only affects disarm and reinforce_loo; estimator is ${c.estimator}`);
  }
}

/** Maximum-likelihood gradients of the decoder layers and the prior: [dW, db] per layer, then d prior. */
function decoderGrads(trace: VaeTrace): tf.Tensor[] {
  const ops = tfjsOps();
  if (ops) {
    // On wasm, one kernel pass per layer (binary inputs: their ones only).
    const out: tf.Tensor[] = [];
    trace.decoder.forEach((d, k) => {
      const g = ops.outerGrads(d.fireRate, trace.encoder[k].input, trace.encoder[k].sample, false);
      out.push(g.dW, g.db);
    });
    const top = trace.encoder[trace.encoder.length - 1].sample;
    out.push(tf.tidy(() => tf.mean(tf.sub(trace.priorFireRate, top), 0)));
    return out;
  }
  return tf.tidy(() => {
    const out: tf.Tensor[] = [];
    trace.decoder.forEach((d, k) => {
      // -d log p / d logit = fr - target with the clipped fire rate, as the original.
      const signal = tf.sub(d.fireRate, trace.encoder[k].input);
      const B = signal.shape[0];
      out.push(tf.div(tf.matMul(tf.transpose(signal), trace.encoder[k].sample), B), tf.mean(signal, 0));
    });
    const top = trace.encoder[trace.encoder.length - 1].sample;
    out.push(tf.mean(tf.sub(trace.priorFireRate, top), 0));
    return out;
  });
}

/**
 * An encoder layer's mean gradients and their per-example variances (as numbers, float32 values): on wasm
 * one kernel pass (zero inputs skipped) whose float64 sums give the variances directly; elsewhere
 * outerProductGrads() and one read of its two scalars.
 * @param signal [B, K]; input [B, J]
 */
async function encoderGrads(
  signal: tf.Tensor2D,
  input: tf.Tensor2D,
): Promise<{ dW: tf.Tensor2D; db: tf.Tensor1D; varW: number; varB: number }> {
  const ops = tfjsOps();
  if (ops) {
    const [B, K] = signal.shape;
    const J = input.shape[1];
    const { dW, db, stats } = ops.outerGrads(signal, null, input, true);
    const s = stats!;
    // Rounded to float32, as the tensors they were read from before gave them.
    return { dW, db, varW: Math.fround((s.gx / B - s.dWSq) / (K * J)), varB: Math.fround((s.gg / B - s.dbSq) / K) };
  }
  const g = outerProductGrads(signal, input);
  const both = tf.stack([g.varW, g.varB]);
  const v = await both.data();
  tf.dispose([both, g.varW, g.varB]);
  return { dW: g.dW, db: g.db, varW: v[0], varB: v[1] };
}

interface StepResult {
  params: tf.Tensor[];
  state: OptState;
  elbo: number;
  variances: number[];
  rewardMeans: number[];
}

/**
 * With the quirk: the parameters the original's resampling reads while layer k
 * is processed, i.e. the prior and layers above k after this step's update.
 * With Adam, adamApply's fused pass (the bits of opt.update + applyUpdates).
 */
function previewUpper(
  opt: GradientTransformation,
  adamLr: number | null,
  state: OptState,
  params: tf.Tensor[],
  grads: (tf.Tensor | null)[],
  L: number,
): { vae: BinaryVae; fresh: tf.Tensor[] } {
  const names = vaeParamNames(L);
  const ready = grads.map((g, i) => (g ? i : -1)).filter((i) => i >= 0);
  const readyGrads = Object.fromEntries(ready.map((i) => [names[i], grads[i]!]));
  // The optimizer previewed on the parameters whose gradients are ready; its state is thrown away.
  let fresh: tf.Tensor[];
  if (adamLr !== null) {
    const sub = adamApply(
      { lr: adamLr },
      readyGrads,
      state,
      Object.fromEntries(ready.map((i) => [names[i], params[i]])),
    );
    fresh = ready.map((i) => sub.params[names[i]]);
    disposeState(sub.state);
  } else {
    const sub = opt.update(readyGrads, state, zipParams(names, params));
    fresh = ready.map((i) => tf.tidy(() => tf.add(params[i], sub.updates[names[i]])));
    disposeParams(sub.updates);
    disposeState(sub.state);
  }
  const mixed = params.slice();
  ready.forEach((i, n) => (mixed[i] = fresh[n]));
  return { vae: vaeWithParams(L, mixed), fresh };
}

async function trainStep(
  params: tf.Tensor[],
  opt: GradientTransformation,
  state: OptState,
  x: Float32Array,
  baselines: number[],
  sampleRng: UniformSource,
  estRng: UniformSource,
  c: HncaVaeConfig,
  path: CounterfactualPath,
): Promise<StepResult> {
  const L = c.latent_layers;
  const vae = vaeWithParams(L, params);
  const B = c.batch_size;
  const xt = tf.tensor2d(x, [B, x.length / B]);
  const trace = encodeVae(vae, xt, drawVaeUniforms(vae, B, sampleRng));
  xt.dispose();
  const terms = await vaeTerms(trace);
  let elbo = 0;
  for (const v of terms.elbo) elbo += v;
  elbo /= B;
  // Gradients in vaeParams order: encoder (W, b) per layer, decoder (W, b) per layer, prior.
  const grads: (tf.Tensor | null)[] = new Array(4 * L + 1).fill(null);
  const dec = decoderGrads(trace);
  for (let i = 0; i < 2 * L + 1; i++) grads[2 * L + i] = dec[i];
  const quirk = c.reference_quirks.includes("resample_updated_upper");
  const variances = new Array(2 * L).fill(0), rewardMeans = new Array(L).fill(0);
  const estimate = VAE_ESTIMATORS[c.estimator];
  const previews: tf.Tensor[] = [];
  for (let k = L - 1; k >= 0; k--) {
    let upper = vae;
    if (quirk) {
      // The original has updated the prior and every layer above k (encoder and decoder) by now.
      const done = grads.map((g, i) =>
        g && (i === 4 * L || (i < 2 * L && i >> 1 > k) || (i >= 2 * L && i < 4 * L && (i - 2 * L) >> 1 > k)) ? g : null
      );
      const p = previewUpper(opt, c.optimizer === "adam" ? c.lr : null, state, params, done, L);
      upper = p.vae;
      previews.push(...p.fresh);
    }
    const { signal, rewardMean } = await estimate({
      layer: k,
      vae,
      trace,
      terms,
      baseline: baselines[k],
      flags: { allChild: c.all_child, fullReward: c.full_reward },
      rng: estRng,
      upper,
      path,
    });
    const g = await encoderGrads(signal, trace.encoder[k].input);
    signal.dispose();
    grads[2 * k] = g.dW;
    grads[2 * k + 1] = g.db;
    variances[2 * k] = g.varW;
    variances[2 * k + 1] = g.varB;
    rewardMeans[k] = rewardMean;
  }
  tf.dispose(previews);
  const names = vaeParamNames(L);
  const named: Params = zipParams(names, params);
  const gradsNamed = zipParams(names, grads as tf.Tensor[]);
  let updated: Params, next: OptState;
  if (c.optimizer === "adam") {
    // One fused pass per parameter on wasm, bit-identical to opt.update + applyUpdates.
    ({ params: updated, state: next } = adamApply({ lr: c.lr }, gradsNamed, state, named));
  } else {
    const r = opt.update(gradsNamed, state, named);
    updated = applyUpdates(named, r.updates);
    disposeParams(r.updates);
    next = r.state;
  }
  tf.dispose(grads as tf.Tensor[]);
  disposeVaeTrace(trace);
  return { params: names.map((n) => updated[n]), state: next, elbo, variances, rewardMeans };
}

/** Mean one-sample ELBO of the first n test images. */
async function testElbo(vae: BinaryVae, images: (idx: number[]) => Float32Array, n: number, bs: number, rng: Rng) {
  let total = 0;
  for (let start = 0; start < n; start += bs) {
    const idx = Array.from({ length: Math.min(bs, n - start) }, (_, i) => start + i);
    const xt = tf.tensor2d(images(idx), [idx.length, vae.encoder[0].W.shape[1]]);
    const trace = encodeVae(vae, xt, drawVaeUniforms(vae, idx.length, rng));
    xt.dispose();
    const { elbo } = await vaeTerms(trace);
    disposeVaeTrace(trace);
    for (const v of elbo) total += v;
  }
  return total / n;
}

/**
 * Training images idx, binarized: the pixels mnistBatch() gives with the same stream, drawn in bulk.
 * @returns [idx.length * pixels] (0/1)
 */
function trainBatch(split: MnistSplit, idx: Uint32Array, pixels: number, rng: FastStream): Float32Array {
  const raw = new Uint8Array(idx.length * pixels);
  idx.forEach((i, b) => raw.set(split.images.subarray(i * pixels, (i + 1) * pixels), b * pixels));
  return rng.binarize(raw);
}

/** Mean over the first n test images of log (1/k) sum_s w_s, w_s = p(x, z_s) / q(z_s | x). */
async function testIwBound(
  vae: BinaryVae,
  images: (idx: number[]) => Float32Array,
  n: number,
  k: number,
  bs: number,
  rng: Rng,
) {
  const per = Math.max(1, Math.floor(bs / k));
  const D = vae.encoder[0].W.shape[1];
  let total = 0;
  for (let start = 0; start < n; start += per) {
    const idx = Array.from({ length: Math.min(per, n - start) }, (_, i) => start + i);
    const x = images(idx);
    const rep = new Float32Array(idx.length * k * D);
    for (let i = 0; i < idx.length; i++) {
      for (let s = 0; s < k; s++) rep.set(x.subarray(i * D, (i + 1) * D), (i * k + s) * D);
    }
    const xt = tf.tensor2d(rep, [idx.length * k, D]);
    const trace = encodeVae(vae, xt, drawVaeUniforms(vae, idx.length * k, rng));
    xt.dispose();
    const logW = await logImportanceWeight(trace);
    disposeVaeTrace(trace);
    for (let i = 0; i < idx.length; i++) {
      let m = -Infinity;
      for (let s = 0; s < k; s++) m = Math.max(m, logW[i * k + s]);
      let sum = 0;
      for (let s = 0; s < k; s++) sum += Math.exp(logW[i * k + s] - m);
      total += m + Math.log(sum / k);
    }
  }
  return total / n;
}

async function run(ctx: RunContext<HncaVaeConfig>): Promise<void> {
  const c = ctx.config;
  checkConfig(c);
  const mnist = ctx.data.mnist as Mnist;
  const nTrain = c.train_examples ?? mnist.train.count;
  const nTest = c.test_examples ?? mnist.test.count;
  const steps = Math.floor(nTrain / c.batch_size);
  if (steps === 0) throw new Error(`train_examples ${nTrain} is smaller than batch_size ${c.batch_size}`);
  const path = chooseCounterfactualPath(c.counterfactual, ctx.backend.name);
  const L = c.latent_layers;
  ctx.log(
    `counterfactual path: ${path}; ${steps} updates per epoch; quirks: ${c.reference_quirks.join(", ") || "none"}`,
  );

  const init = initBinaryVae(ctx.rng.stream("init"), { pixels: mnist.pixels, latent: Array(L).fill(c.latent_width) });
  let params = vaeParams(init);
  const names = vaeParamNames(L);
  const opt = c.optimizer === "adam" ? adam({ lr: c.lr }) : sgd({ lr: c.lr });
  let state = opt.init(zipParams(names, params));
  let baselines = new Array(L).fill(0);
  let start = 0;
  if (ctx.resume) {
    const t = ctx.resume.tensors;
    tf.dispose(params);
    const restored = namedToParams(t, names);
    params = names.map((n) => restored[n]);
    disposeState(state);
    const s = ctx.resume.state as { opt: unknown; baselines: number[] };
    state = restoreState(s.opt, t);
    baselines = s.baselines;
    start = ctx.resume.step;
  }
  const counts = params.slice(0, 2 * L).map((p) => p.size);
  const encoderParams = counts.reduce((a, b) => a + b, 0);
  // The test set is binarized once per run, so that every epoch scores the same images.
  const testBin = ctx.rng.stream("binarize-test");
  const testImages = mnistBatch(mnist.test, Array.from({ length: nTest }, (_, i) => i), mnist.pixels, testBin).x;
  const images = (idx: number[]) => {
    const out = new Float32Array(idx.length * mnist.pixels);
    idx.forEach((i, n) => out.set(testImages.subarray(i * mnist.pixels, (i + 1) * mnist.pixels), n * mnist.pixels));
    return out;
  };

  for (let epoch = start + 1; epoch <= c.epochs; epoch++) {
    const t0 = performance.now();
    const order = ctx.rng.stream("shuffle", epoch).permutation(nTrain);
    // The epoch's streams draw about 69,000 numbers per update: in bulk (the same numbers as the streams').
    const binRng = FastStream.take(ctx.rng.stream("binarize-train", epoch));
    const sampleRng = FastStream.take(ctx.rng.stream("sample-train", epoch));
    const estRng = FastStream.take(ctx.rng.stream("estimator", epoch));
    let elboSum = 0, meanVarSum = 0;
    const varSums = new Float64Array(2 * L);
    for (let s = 0; s < steps; s++) {
      const x = trainBatch(mnist.train, order.subarray(s * c.batch_size, (s + 1) * c.batch_size), mnist.pixels, binRng);
      const r = await trainStep(params, opt, state, x, baselines, sampleRng, estRng, c, path);
      tf.dispose(params);
      disposeState(state);
      params = r.params;
      state = r.state;
      if (c.baseline) baselines = baselines.map((b, k) => c.gamma * b + (1 - c.gamma) * r.rewardMeans[k]);
      elboSum += r.elbo;
      let weighted = 0;
      for (let i = 0; i < 2 * L; i++) {
        varSums[i] += r.variances[i];
        weighted += r.variances[i] * counts[i];
      }
      meanVarSum += weighted / encoderParams;
      ctx.progress((epoch - 1) * steps + s + 1, c.epochs * steps, `epoch ${epoch}/${c.epochs}`);
    }
    const t1 = performance.now();
    const vae = vaeWithParams(L, params);
    const test = await testElbo(vae, images, nTest, c.test_batch_size, ctx.rng.stream("sample-test", epoch));
    const iw = c.iw_samples > 0 && (epoch === c.epochs || c.iw_epochs.includes(epoch))
      ? await testIwBound(vae, images, nTest, c.iw_samples, c.test_batch_size, ctx.rng.stream("sample-iw", epoch))
      : null;
    const t2 = performance.now();
    const row: Record<string, number | null> = {
      epoch,
      train_elbo: elboSum / steps,
      test_elbo: test,
      test_iw_bound: iw,
      grad_var_mean: meanVarSum / steps,
    };
    layerNames(c).forEach((l, k) => {
      row[`grad_var_w_${l}`] = varSums[2 * k] / steps;
      row[`grad_var_b_${l}`] = varSums[2 * k + 1] / steps;
    });
    layerNames(c).forEach((l, k) => (row[`baseline_${l}`] = baselines[k]));
    ctx.emit("metrics", row);
    ctx.emit("timing", timingRow(epoch, t0, t1, t2, steps * c.batch_size));
    ctx.log(
      `epoch ${epoch}: train ELBO ${row.train_elbo!.toFixed(2)} test ELBO ${test.toFixed(2)}${
        iw === null ? "" : ` IW(${c.iw_samples}) ${iw.toFixed(2)}`
      } (${((t1 - t0) / 1000).toFixed(1)} s)`,
    );
    const saved = await saveState(state);
    const tensors = { ...await paramsToNamed(zipParams(names, params)), ...saved.tensors };
    await ctx.checkpoint({ step: epoch, tensors, state: { opt: saved.skeleton, baselines } });
  }
  if (c.digits > 0) await emitDigits(ctx, vaeWithParams(L, params), c.digits, mnist.pixels);
  ctx.saveParams(await paramsToNamed(zipParams(names, params)));
  tf.dispose(params);
  disposeState(state);
}

/** Samples prior -> decoder and reports every pixel (the grid of generate_digits.py). */
async function emitDigits(ctx: RunContext<HncaVaeConfig>, vae: BinaryVae, n: number, pixels: number) {
  const side = Math.round(Math.sqrt(pixels));
  if (side * side !== pixels) {
    ctx.log(`digits skipped: ${pixels} pixels do not form a square image`);
    return;
  }
  const rng = ctx.rng.stream("digits");
  const sizes = [pixels, ...vae.encoder.map((l) => l.W.shape[0])];
  const uniforms = [sizes[sizes.length - 1], ...sizes.slice(0, -1).reverse()].map((k) =>
    rng.fillUniform24(new Float32Array(n * k))
  );
  const { pixels: sampled, probs } = sampleVae(vae, n, uniforms);
  const [px, pr] = [await sampled.data(), await probs.data()];
  tf.dispose([sampled, probs]);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < pixels; p++) {
      ctx.emit("digits", {
        image: i,
        row: Math.floor(p / side),
        col: p % side,
        pixel: px[i * pixels + p],
        probability: pr[i * pixels + p],
      });
    }
  }
}

/** The registered experiment. */
export const hncaVae: Experiment<HncaVaeConfig> = {
  id: "hnca-vae",
  module: import.meta.url,
  version: "1",
  title: "HNCA: hierarchical binary VAE on dynamically binarized MNIST",
  config: HncaVaeConfig,
  datasets: ["mnist"],
  tables,
  run,
};
