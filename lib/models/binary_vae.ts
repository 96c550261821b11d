/**
 * The hierarchical binary VAE of the HNCA paper: an encoder of Bernoulli
 * layers x -> z1 -> ... -> zL, a decoder of Bernoulli layers zL -> ... -> z1 -> x
 * and a bias-only Bernoulli prior over zL. Every unit is 0/1 (not centered).
 *
 * Index convention (0-based, z_0 = x):
 * - `encoder[k]` is q(z_{k+1} | z_k), weights [K_{k+1}, K_k];
 * - `decoder[k]` is p(z_k | z_{k+1}), weights [K_k, K_{k+1}];
 * - `prior` holds the logits of p(z_L), [K_L].
 *
 * Fire rates are clipped to [1e-5, 1 - 1e-5] as in the original; a unit fires
 * when its uniform draw is below its clipped fire rate.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { disposeVaeTrace, drawVaeUniforms, encodeVae, initBinaryVae, vaeTerms } from "./binary_vae.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const vae = initBinaryVae(Rng.fromSeed(0).stream("init"), { pixels: 4, latent: [2, 2] });
 * const x = tf.tensor2d([[1, 0, 1, 1]]);
 * const trace = encodeVae(vae, x, drawVaeUniforms(vae, 1, Rng.fromSeed(0).stream("sample")));
 * const terms = await vaeTerms(trace); // terms.elbo[0]: the one-sample ELBO of x
 * assert(terms.elbo.length === 1 && terms.elbo[0] < 0);
 * disposeVaeTrace(trace);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../rng/mod.ts";
import type { UniformSource } from "../rng/fast_stream.ts";
import { type Dense, FIRE_RATE_MIN, type HiddenTrace } from "./bernoulli_net.ts";
import { glorotUniform } from "./init.ts";
import { type TfjsOps, tfjsOps } from "../kernels/tfjs_ops.ts";

/** Parameters. */
export interface BinaryVae {
  encoder: Dense[];
  decoder: Dense[];
  /** prior logits: [K_L] */
  prior: tf.Tensor1D;
}

/** Sizes: pixels (K_0) and the latent layers K_1..K_L. */
export interface VaeShape {
  pixels: number;
  latent: number[];
}

/** A decoder layer evaluated on a sample of its input. */
export interface DecoderTrace {
  /** logits: [B, K_k], unclipped */
  logits: tf.Tensor2D;
  /** fireRate: [B, K_k], clipped */
  fireRate: tf.Tensor2D;
}

/** One pass: encoder samples and every decoder layer and the prior on them. */
export interface VaeTrace {
  /** x: [B, K_0] binary images */
  x: tf.Tensor2D;
  /** encoder[k]: input z_k, logits, clipped fire rate and sample z_{k+1} (output = sample) */
  encoder: HiddenTrace[];
  /** The uniform draws of each encoder layer, [B * K_{k+1}] (disARM pairs u with 1 - u). */
  uniforms: Float32Array[];
  /** decoder[k]: p(z_k | z_{k+1}) on the sampled z_{k+1} */
  decoder: DecoderTrace[];
  /** priorFireRate: [K_L], clipped */
  priorFireRate: tf.Tensor1D;
}

/**
 * Per-example terms of the one-sample ELBO (float64 copies of float32 values), each [B]:
 *   elbo = logPrior + sum_k logP[k] + sum_k entropy[k].
 */
export interface VaeTerms {
  /** log p(z_L) */
  logPrior: Float64Array;
  /** logP[k] = log p(z_k | z_{k+1}), z_0 = x */
  logP: Float64Array[];
  /** entropy[k] = H(q(. | z_k)) of encoder layer k, analytic, from clipped fire rates */
  entropy: Float64Array[];
  elbo: Float64Array;
}

/** Glorot-uniform weights, zero biases and prior logits; streams ("encoder", k) and ("decoder", k). */
export function initBinaryVae(rng: Rng, shape: VaeShape): BinaryVae {
  const sizes = [shape.pixels, ...shape.latent];
  if (shape.latent.length < 1 || sizes.some((s) => !(Number.isInteger(s) && s > 0))) {
    throw new Error(`initBinaryVae(): sizes must be positive integers with at least one latent layer, got [${sizes}]`);
  }
  const L = shape.latent.length;
  const dense = (r: Rng, out: number, inp: number): Dense => ({
    W: tf.tensor2d(glorotUniform(r, out, inp), [out, inp]),
    b: tf.zeros([out]) as tf.Tensor1D,
  });
  return {
    encoder: Array.from({ length: L }, (_, k) => dense(rng.stream("encoder", k), sizes[k + 1], sizes[k])),
    decoder: Array.from({ length: L }, (_, k) => dense(rng.stream("decoder", k), sizes[k], sizes[k + 1])),
    prior: tf.zeros([sizes[L]]) as tf.Tensor1D,
  };
}

/** Sizes of a VAE's layers: [K_0, ..., K_L]. */
export function vaeSizes(vae: BinaryVae): number[] {
  return [vae.encoder[0].W.shape[1], ...vae.encoder.map((l) => l.W.shape[0])];
}

/** Uniform draws for one encoder pass of `batch` examples. */
export function drawVaeUniforms(vae: BinaryVae, batch: number, rng: UniformSource): Float32Array[] {
  return vae.encoder.map((l) => rng.fillUniform24(new Float32Array(batch * l.W.shape[0])));
}

/**
 * Logits and clipped fire rates of a dense Bernoulli layer.
 * @param x input: [B, J]
 * @returns logits, fireRate: [B, K]
 */
export function bernoulliLayer(layer: Dense, x: tf.Tensor2D): { logits: tf.Tensor2D; fireRate: tf.Tensor2D } {
  const [K, J] = layer.W.shape;
  if (x.shape[1] !== J) {
    throw new Error(`bernoulliLayer(): input must be [B, ${J}] for weights [${K}, ${J}], got [${x.shape}]`);
  }
  const ops = tfjsOps();
  if (ops) {
    // On wasm, one kernel pass (zero inputs skipped, weights read in place).
    const { logits, fireRate } = ops.bernoulliForward(x, layer.W, layer.b, null, FIRE_RATE_MIN);
    return { logits, fireRate };
  }
  return tf.tidy(() => {
    // x W^T with an explicit transpose: tfjs-wasm's transposeB path is about ten times slower.
    const logits = tf.add(tf.matMul(x, tf.transpose(layer.W)), layer.b) as tf.Tensor2D;
    const fireRate = tf.clipByValue(tf.sigmoid(logits), FIRE_RATE_MIN, 1 - FIRE_RATE_MIN) as tf.Tensor2D;
    return { logits, fireRate };
  });
}

/**
 * bernoulliLayer and bernoulliSample together: logits, clipped fire rates and the sample (1 where u < fire
 * rate); on wasm in one kernel pass.
 * @param x input: [B, J]
 * @param u B * K uniform draws
 * @returns logits, fireRate, sample: [B, K]
 */
export function sampledBernoulliLayer(
  layer: Dense,
  x: tf.Tensor2D,
  u: Float32Array,
): { logits: tf.Tensor2D; fireRate: tf.Tensor2D; sample: tf.Tensor2D } {
  const [K, J] = layer.W.shape;
  const B = x.shape[0];
  if (x.shape[1] !== J) {
    throw new Error(`sampledBernoulliLayer(): input must be [B, ${J}] for weights [${K}, ${J}], got [${x.shape}]`);
  }
  if (u.length !== B * K) {
    throw new Error(`sampledBernoulliLayer(): need ${B * K} uniforms for [${B}, ${K}], got ${u.length}`);
  }
  const ops = tfjsOps();
  if (!ops) {
    const { logits, fireRate } = bernoulliLayer(layer, x);
    return { logits, fireRate, sample: bernoulliSample(fireRate, u) };
  }
  const ut = tf.tensor2d(u, [B, K]);
  const r = ops.bernoulliForward(x, layer.W, layer.b, ut, FIRE_RATE_MIN);
  ut.dispose();
  return { logits: r.logits, fireRate: r.fireRate, sample: r.sample! };
}

/** 1 where u < fireRate. u: [B * K] for fireRate [B, K]. */
export function bernoulliSample(fireRate: tf.Tensor2D, u: Float32Array): tf.Tensor2D {
  const [B, K] = fireRate.shape;
  if (u.length !== B * K) {
    throw new Error(`bernoulliSample(): need ${B * K} uniforms for [${B}, ${K}], got ${u.length}`);
  }
  return tf.tidy(() => tf.cast(tf.less(tf.tensor2d(u, [B, K]), fireRate), "float32") as tf.Tensor2D);
}

/** Prior fire rates, clipped: [K_L]. */
export function priorFireRate(vae: BinaryVae): tf.Tensor1D {
  return tf.tidy(() => tf.clipByValue(tf.sigmoid(vae.prior), FIRE_RATE_MIN, 1 - FIRE_RATE_MIN) as tf.Tensor1D);
}

/**
 * Samples the encoder on x and evaluates every decoder layer and the prior on the samples.
 * @param x [B, K_0] binary images
 * @param uniforms one array of B * K_{k+1} draws per encoder layer
 */
export function encodeVae(vae: BinaryVae, x: tf.Tensor2D, uniforms: Float32Array[]): VaeTrace {
  const sizes = vaeSizes(vae);
  if (x.shape[1] !== sizes[0]) throw new Error(`encodeVae(): x must be [B, ${sizes[0]}], got [${x.shape}]`);
  if (uniforms.length !== vae.encoder.length) {
    throw new Error(`encodeVae(): uniforms for ${uniforms.length} layers, the encoder has ${vae.encoder.length}`);
  }
  const encoder: HiddenTrace[] = [];
  let z = tf.clone(x);
  vae.encoder.forEach((layer, k) => {
    const { logits, fireRate, sample } = sampledBernoulliLayer(layer, z, uniforms[k]);
    encoder.push({ input: z, logits, fireRate, sample, output: sample });
    z = sample;
  });
  const decoder = vae.decoder.map((layer, k) => bernoulliLayer(layer, encoder[k].sample));
  return { x: encoder[0].input, encoder, uniforms, decoder, priorFireRate: priorFireRate(vae) };
}

/**
 * Sum over units of log P(target | clipped fire rate).
 * @param fireRate [B, K] or [K] (broadcast)
 * @param target [B, K], 0/1
 * @returns [B]
 */
export function bernoulliLogProb(fireRate: tf.Tensor, target: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() =>
    tf.sum(tf.log(tf.add(tf.mul(fireRate, target), tf.mul(tf.sub(1, fireRate), tf.sub(1, target)))), 1) as tf.Tensor1D
  );
}

/** Sum over units of the entropy of clipped fire rates fr: [B, K] -> [B]. */
export function bernoulliEntropy(fireRate: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const notFr = tf.sub(1, fireRate);
    return tf.neg(tf.sum(tf.add(tf.mul(fireRate, tf.log(fireRate)), tf.mul(notFr, tf.log(notFr))), 1)) as tf.Tensor1D;
  });
}

/** The per-example ELBO terms of a trace, as the original computes them (clipped fire rates). */
export async function vaeTerms(trace: VaeTrace): Promise<VaeTerms> {
  const L = trace.encoder.length;
  const ops = tfjsOps();
  // On wasm, one kernel pass per row of terms (the same sums, each in its own order of float32 additions).
  const flat = ops ? rowTermsKernel(trace, ops) : await rowTermsTfjs(trace);
  const B = trace.x.shape[0];
  const row = (i: number) => Float64Array.from(flat.subarray(i * B, (i + 1) * B));
  const terms: VaeTerms = {
    logPrior: row(0),
    logP: Array.from({ length: L }, (_, k) => row(1 + k)),
    entropy: Array.from({ length: L }, (_, k) => row(1 + L + k)),
    elbo: new Float64Array(B),
  };
  for (let b = 0; b < B; b++) {
    let s = terms.logPrior[b];
    for (let k = 0; k < L; k++) s += terms.logP[k][b] + terms.entropy[k][b];
    terms.elbo[b] = s;
  }
  return terms;
}

/** vaeTerms' rows (prior, logP per layer, entropy per layer), B values each, by tfjs ops. */
async function rowTermsTfjs(trace: VaeTrace): Promise<Float32Array> {
  const L = trace.encoder.length;
  const parts = tf.tidy(() =>
    tf.stack([
      bernoulliLogProb(trace.priorFireRate, trace.encoder[L - 1].sample),
      ...trace.decoder.map((d, k) => bernoulliLogProb(d.fireRate, trace.encoder[k].input)),
      ...trace.encoder.map((e) => bernoulliEntropy(e.fireRate)),
    ])
  );
  const flat = await parts.data() as Float32Array;
  parts.dispose();
  return flat;
}

/** The same rows by the wasm kernels. */
function rowTermsKernel(trace: VaeTrace, ops: TfjsOps): Float32Array {
  const L = trace.encoder.length;
  const rows = [
    ops.bernoulliLogProbRows(trace.priorFireRate, trace.encoder[L - 1].sample),
    ...trace.decoder.map((d, k) => ops.bernoulliLogProbRows(d.fireRate, trace.encoder[k].input)),
    ...trace.encoder.map((e) => ops.bernoulliEntropyRows(e.fireRate)),
  ];
  const B = trace.x.shape[0];
  const flat = new Float32Array(rows.length * B);
  rows.forEach((r, i) => flat.set(r, i * B));
  return flat;
}

/**
 * log p(x, z) - log q(z | x) per example, for importance weighting: [B].
 * Uses clipped fire rates, so that q is the distribution the encoder samples.
 */
export async function logImportanceWeight(trace: VaeTrace): Promise<Float64Array> {
  const L = trace.encoder.length;
  const w = tf.tidy(() => {
    let s = bernoulliLogProb(trace.priorFireRate, trace.encoder[L - 1].sample);
    trace.decoder.forEach((d, k) => (s = tf.add(s, bernoulliLogProb(d.fireRate, trace.encoder[k].input))));
    trace.encoder.forEach((e) => (s = tf.sub(s, bernoulliLogProb(e.fireRate, e.sample))));
    return s;
  });
  const out = Float64Array.from(await w.data());
  w.dispose();
  return out;
}

/**
 * Samples prior -> decoder, as generate_digits.py: returns the top-down samples and
 * the last layer's fire rates (pixel probabilities).
 * @param uniforms L + 1 arrays: [B * K_L] for the prior, then one per decoder layer from the top
 * @returns pixels: [B, K_0] sampled 0/1; probs: [B, K_0]
 */
export function sampleVae(vae: BinaryVae, batch: number, uniforms: Float32Array[]): {
  pixels: tf.Tensor2D;
  probs: tf.Tensor2D;
} {
  const L = vae.decoder.length;
  if (uniforms.length !== L + 1) throw new Error(`sampleVae(): need ${L + 1} uniform arrays, got ${uniforms.length}`);
  const sizes = vaeSizes(vae);
  return tf.tidy(() => {
    const fr = tf.tile(tf.expandDims(priorFireRate(vae), 0), [batch, 1]) as tf.Tensor2D;
    let z = bernoulliSample(fr, uniforms[0]);
    let probs = fr;
    for (let k = L - 1; k >= 0; k--) {
      probs = bernoulliLayer(vae.decoder[k], z).fireRate;
      if (probs.shape[1] !== sizes[k]) throw new Error(`sampleVae(): decoder ${k} gives [${probs.shape}]`);
      z = bernoulliSample(probs, uniforms[L - k]);
    }
    return { pixels: z, probs };
  });
}

/** Releases a trace's tensors. */
export function disposeVaeTrace(trace: VaeTrace): void {
  trace.x.dispose();
  for (const e of trace.encoder) tf.dispose([e.logits, e.fireRate, e.sample]);
  for (const d of trace.decoder) tf.dispose([d.logits, d.fireRate]);
  trace.priorFireRate.dispose();
}

/** Parameter tensors in a fixed order: encoder W, b per layer, decoder W, b per layer, prior. */
export function vaeParams(vae: BinaryVae): tf.Tensor[] {
  return [...vae.encoder.flatMap((l) => [l.W, l.b]), ...vae.decoder.flatMap((l) => [l.W, l.b]), vae.prior];
}

/** Names matching vaeParams: q1.W, q1.b, ..., p1.W, p1.b, ..., prior.b (q_{k+1} = encoder[k], p_{k+1} = decoder[k]). */
export function vaeParamNames(L: number): string[] {
  const names = (p: string) => Array.from({ length: L }, (_, k) => [`${p}${k + 1}.W`, `${p}${k + 1}.b`]).flat();
  return [...names("q"), ...names("p"), "prior.b"];
}

/** A VAE whose parameters are `params` (in vaeParams order). */
export function vaeWithParams(L: number, params: tf.Tensor[]): BinaryVae {
  if (params.length !== 4 * L + 1) {
    throw new Error(`vaeWithParams(): expected ${4 * L + 1} tensors, got ${params.length}`);
  }
  const dense = (i: number): Dense => ({ W: params[i] as tf.Tensor2D, b: params[i + 1] as tf.Tensor1D });
  return {
    encoder: Array.from({ length: L }, (_, k) => dense(2 * k)),
    decoder: Array.from({ length: L }, (_, k) => dense(2 * L + 2 * k)),
    prior: params[4 * L] as tf.Tensor1D,
  };
}

/** Releases the parameters. */
export function disposeVae(vae: BinaryVae): void {
  tf.dispose(vaeParams(vae));
}
