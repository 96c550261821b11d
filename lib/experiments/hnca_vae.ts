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
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // deno task reproduce hnca-vae --profile quick
 * const c = hncaVae.config.parse({ estimator: "disarm" });
 * assertEquals(c.latent_layers, 3);
 * assertEquals(hncaVae.tables(c).map((t) => t.name), ["metrics", "timing", "digits"]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Mnist } from "../data/mnist.ts";
import { type Experiment, type RunContext } from "../engine/experiment.ts";
import { chooseCounterfactualPath } from "../estimators/counterfactual.ts";
import { timingRow } from "./bandit_tables.ts";
import { initBinaryVae, vaeParamNames, vaeParams, vaeWithParams } from "../models/binary_vae.ts";
import {
  adam,
  disposeState,
  namedToParams,
  paramsToNamed,
  restoreState,
  saveState,
  sgd,
  zipParams,
} from "../optim/mod.ts";
import { FastStream } from "../rng/fast_stream.ts";
import { checkConfig, HncaVaeConfig, layerNames } from "./hnca_vae/config.ts";
import { emitDigits, testElbo, testImageSource, testIwBound, trainBatch } from "./hnca_vae/evaluate.ts";
import { trainStep } from "./hnca_vae/train_step.ts";
import { tables } from "./hnca_vae/tables.ts";

export { HncaVaeConfig } from "./hnca_vae/config.ts";

/** What one epoch measured, for its metrics row. */
interface EpochSums {
  epoch: number;
  steps: number;
  elboSum: number;
  meanVarSum: number;
  varSums: Float64Array;
  baselines: number[];
  test: number;
  iw: number | null;
  /** Wall time of the epoch's training updates (for the log only). */
  seconds: number;
}

/** The epoch's metrics row (means over its updates, the test bounds, the baselines), and its log line. */
function emitEpoch(ctx: RunContext<HncaVaeConfig>, e: EpochSums): void {
  const c = ctx.config;
  const row: Record<string, number | null> = {
    epoch: e.epoch,
    train_elbo: e.elboSum / e.steps,
    test_elbo: e.test,
    test_iw_bound: e.iw,
    grad_var_mean: e.meanVarSum / e.steps,
  };
  layerNames(c).forEach((l, k) => {
    row[`grad_var_w_${l}`] = e.varSums[2 * k] / e.steps;
    row[`grad_var_b_${l}`] = e.varSums[2 * k + 1] / e.steps;
  });
  layerNames(c).forEach((l, k) => (row[`baseline_${l}`] = e.baselines[k]));
  ctx.emit("metrics", row);
  ctx.log(
    `epoch ${e.epoch}: train ELBO ${row.train_elbo!.toFixed(2)} test ELBO ${e.test.toFixed(2)}${
      e.iw === null ? "" : ` IW(${c.iw_samples}) ${e.iw.toFixed(2)}`
    } (${e.seconds.toFixed(1)} s)`,
  );
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
  const images = testImageSource(mnist, nTest, ctx.rng.stream("binarize-test"));

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
    emitEpoch(ctx, { epoch, steps, elboSum, meanVarSum, varSums, baselines, test, iw, seconds: (t1 - t0) / 1000 });
    ctx.emit("timing", timingRow(epoch, t0, t1, t2, steps * c.batch_size));
    const saved = await saveState(state);
    const tensors = { ...await paramsToNamed(zipParams(names, params)), ...saved.tensors };
    await ctx.checkpoint({ step: epoch, tensors, state: { opt: saved.skeleton, baselines } });
  }
  if (c.digits > 0) await emitDigits(ctx, vaeWithParams(L, params), c.digits, mnist.pixels);
  ctx.saveParams(await paramsToNamed(zipParams(names, params)));
  tf.dispose(params);
  disposeState(state);
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
