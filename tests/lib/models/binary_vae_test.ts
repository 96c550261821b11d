import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import {
  bernoulliEntropy,
  bernoulliLogProb,
  disposeVaeTrace,
  drawVaeUniforms,
  encodeVae,
  initBinaryVae,
  logImportanceWeight,
  sampleVae,
  vaeParamNames,
  vaeParams,
  vaeSizes,
  vaeTerms,
  vaeWithParams,
} from "../../../lib/models/binary_vae.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

Deno.test("initBinaryVae() lays out encoder [K_{k+1}, K_k] and decoder [K_k, K_{k+1}] weights", () => {
  const vae = initBinaryVae(Rng.fromSeed(0), { pixels: 5, latent: [4, 3] });
  assertEquals(vae.encoder.map((l) => l.W.shape), [[4, 5], [3, 4]]);
  assertEquals(vae.decoder.map((l) => l.W.shape), [[5, 4], [4, 3]]);
  assertEquals(vae.prior.shape, [3]);
  assertEquals(vaeSizes(vae), [5, 4, 3]);
  assertEquals(vaeParamNames(2), ["q1.W", "q1.b", "q2.W", "q2.b", "p1.W", "p1.b", "p2.W", "p2.b", "prior.b"]);
  const again = vaeWithParams(2, vaeParams(vae));
  assertEquals(again.decoder[1].W, vae.decoder[1].W);
  assertThrows(() => initBinaryVae(Rng.fromSeed(0), { pixels: 5, latent: [] }), /at least one latent layer/);
});

Deno.test("bernoulliLogProb() and bernoulliEntropy() match hand computation", async () => {
  const fr = tf.tensor2d([[0.25, 0.5]]);
  const lp = (await bernoulliLogProb(fr, tf.tensor2d([[1, 0]])).data())[0];
  assert(Math.abs(lp - (Math.log(0.25) + Math.log(0.5))) < 1e-6, `${lp}`);
  const h = (await bernoulliEntropy(fr).data())[0];
  const want = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)) + Math.log(2);
  assert(Math.abs(h - want) < 1e-6, `${h} vs ${want}`);
});

Deno.test("encodeVae() samples where u < fire rate and vaeTerms() adds up to the ELBO", async () => {
  const vae = initBinaryVae(Rng.fromSeed(1), { pixels: 4, latent: [3, 2] });
  const x = tf.tensor2d([[1, 0, 1, 1], [0, 0, 1, 0]]);
  const u = drawVaeUniforms(vae, 2, Rng.fromSeed(2));
  const trace = encodeVae(vae, x, u);
  const fr = await trace.encoder[0].fireRate.data(), z = await trace.encoder[0].sample.data();
  fr.forEach((p, i) => assertEquals(z[i], u[0][i] < p ? 1 : 0));
  const terms = await vaeTerms(trace);
  for (let b = 0; b < 2; b++) {
    const sum = terms.logPrior[b] + terms.logP[0][b] + terms.logP[1][b] + terms.entropy[0][b] + terms.entropy[1][b];
    assert(Math.abs(sum - terms.elbo[b]) < 1e-9, `${sum} vs ${terms.elbo[b]}`);
  }
  // log p(x, z) - log q(z | x): the ELBO's log p terms less log q of the samples (by hand).
  const w = await logImportanceWeight(trace);
  for (let b = 0; b < 2; b++) {
    let logQ = 0;
    for (const e of trace.encoder) {
      const [f, s] = [await e.fireRate.data(), await e.sample.data()];
      const K = e.fireRate.shape[1];
      for (let k = 0; k < K; k++) logQ += Math.log(s[b * K + k] ? f[b * K + k] : 1 - f[b * K + k]);
    }
    const want = terms.logPrior[b] + terms.logP[0][b] + terms.logP[1][b] - logQ;
    assert(Math.abs(w[b] - want) < 1e-4, `${w[b]} vs ${want}`);
  }
  disposeVaeTrace(trace);
  assertThrows(() => encodeVae(vae, tf.zeros([1, 3]) as tf.Tensor2D, u), /x must be \[B, 4\], got \[1,3\]/);
});

Deno.test("sampleVae() draws prior -> decoder with the given uniforms", async () => {
  const vae = initBinaryVae(Rng.fromSeed(1), { pixels: 4, latent: [3, 2] });
  const rng = Rng.fromSeed(3);
  const u = [2, 3, 4].map((k) => rng.fillUniform24(new Float32Array(5 * k)));
  const { pixels, probs } = sampleVae(vae, 5, u);
  assertEquals(pixels.shape, [5, 4]);
  const [px, pr] = [await pixels.data(), await probs.data()];
  px.forEach((v, i) => assertEquals(v, u[2][i] < pr[i] ? 1 : 0));
  assertThrows(() => sampleVae(vae, 5, u.slice(1)), /need 3 uniform arrays, got 2/);
});
