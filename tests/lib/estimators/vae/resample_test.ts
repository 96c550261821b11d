/**
 * resampledReward() on wasm sums each term with the ELBO-row kernels; it must give what the tfjs ops
 * it replaces give for the same layers and the same uniform draws.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../../helpers/assert.ts";
import { initBackend } from "../../../../lib/engine/run/backend.ts";
import { resampledReward } from "../../../../lib/estimators/vae/resample.ts";
import {
  bernoulliEntropy,
  bernoulliLayer,
  bernoulliLogProb,
  bernoulliSample,
  disposeVaeTrace,
  drawVaeUniforms,
  encodeVae,
  initBinaryVae,
  priorFireRate,
} from "../../../../lib/models/binary_vae.ts";
import { Rng } from "../../../../lib/rng/mod.ts";

await initBackend("wasm");

Deno.test("resampledReward() on wasm gives the tfjs ops' reward, layer by layer, with the same draws", async () => {
  // Layers of 13, 9 and 6 units: the kernels' vector loops and their tails.
  const rng = Rng.fromSeed(31);
  const vae = initBinaryVae(rng.stream("init"), { pixels: 30, latent: [13, 9, 6] });
  const B = 5, L = 3;
  const x = tf.tensor2d(Array.from({ length: B * 30 }, () => (rng.uniform() < 0.4 ? 1 : 0)), [B, 30]);
  const trace = encodeVae(vae, x, drawVaeUniforms(vae, B, rng.stream("u")));
  for (let k = 0; k < L; k++) {
    const K = vae.encoder[k].W.shape[0];
    const alt = tf.tensor2d(Array.from({ length: B * K }, () => (rng.uniform() < 0.5 ? 1 : 0)), [B, K]);
    const got = await resampledReward(vae, vae, trace, k, alt, Rng.fromSeed(7).stream("layer", k));
    // The tfjs ops of the original formulation, with the draws resampledReward() takes from the same stream.
    const draws = Rng.fromSeed(7).stream("layer", k);
    const uniforms = Array.from(
      { length: L - k - 1 },
      (_, i) => draws.fillUniform24(new Float32Array(B * vae.encoder[k + 1 + i].W.shape[0])),
    );
    const expected = tf.tidy(() => {
      let total = bernoulliLogProb(bernoulliLayer(vae.decoder[k], alt).fireRate, trace.encoder[k].input);
      let z: tf.Tensor2D = alt;
      for (let i = k + 1; i < L; i++) {
        const q = bernoulliLayer(vae.encoder[i], z).fireRate;
        const next = bernoulliSample(q, uniforms[i - k - 1]);
        const p = bernoulliLayer(vae.decoder[i], next).fireRate;
        total = tf.add(total, tf.add(bernoulliEntropy(q), bernoulliLogProb(p, z)));
        z = next;
      }
      return tf.add(total, bernoulliLogProb(priorFireRate(vae), z));
    });
    const want = await expected.data();
    assertEquals(got.length, B);
    for (let b = 0; b < B; b++) {
      // float32 sums of about 60 terms of order 1 in different orders.
      assert(
        Math.abs(got[b] - want[b]) <= 1e-4 * Math.max(1, Math.abs(want[b])),
        `layer ${k}, example ${b}: ${got[b]} vs ${want[b]}`,
      );
    }
    tf.dispose([alt, expected]);
  }
  const wrong = tf.zeros([B, 4]) as tf.Tensor2D;
  let message = "";
  try {
    await resampledReward(vae, vae, trace, 0, wrong, rng);
  } catch (e) {
    message = (e as Error).message;
  }
  assert(/zAlt is \[5,4\]/.test(message), message);
  tf.dispose(wrong);
  disposeVaeTrace(trace);
});
