/**
 * One training step of the binary VAE: the decoder's maximum-likelihood
 * gradients, the encoder's gradients from the chosen estimator (with the
 * original's resampling quirk where asked), and the optimizer step.
 *
 * @example
 * ```ts
 * import { trainStep } from "./train_step.ts";
 * import { ok as assert } from "node:assert";
 * assert(typeof trainStep === "function"); // exercised end to end in tests/lib/experiments/hnca_vae_test.ts
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { outerProductGrads } from "../../estimators/grads.ts";
import type { CounterfactualPath } from "../../estimators/types.ts";
import { VAE_ESTIMATORS } from "../../estimators/vae/mod.ts";
import {
  type BinaryVae,
  disposeVaeTrace,
  drawVaeUniforms,
  encodeVae,
  vaeParamNames,
  vaeTerms,
  type VaeTrace,
  vaeWithParams,
} from "../../models/binary_vae.ts";
import {
  applyUpdates,
  disposeParams,
  disposeState,
  type GradientTransformation,
  type OptState,
  type Params,
  zipParams,
} from "../../optim/mod.ts";
import { adamApply } from "../../optim/mod.ts";
import { tfjsOps } from "../../kernels/tfjs_ops.ts";
import { type UniformSource } from "../../rng/fast_stream.ts";
import { HncaVaeConfig } from "./config.ts";

/** Maximum-likelihood gradients of the decoder layers and the prior: [dW, db] per layer, then d prior. */
export function decoderGrads(trace: VaeTrace): tf.Tensor[] {
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
export async function encoderGrads(
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

export interface StepResult {
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
export function previewUpper(
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

export async function trainStep(
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
