/**
 * Exactness of HNCA for the binary VAE: on a tiny VAE (4 pixels, 2-2-2
 * latent units) the mean of the estimate over 100k samples must match the
 * exact gradient of the ELBO (enumeration) for every all_child x full_reward
 * setting, on both counterfactual paths, and its variance must be below
 * REINFORCE's.
 */
import * as tf from "@tensorflow/tfjs";
import { assert } from "../../../helpers/assert.ts";
import { checkVaeEstimator, describe, tinyVae } from "../../../helpers/vae_moments.ts";
import { exactElbo } from "../../../helpers/exact_vae.ts";
import { initBackend } from "../../../../lib/engine/run/backend.ts";
import {
  childFlipTerms,
  rhoPair,
  type VaeEstimator,
  vaeHnca,
  vaeReinforce,
} from "../../../../lib/estimators/vae/mod.ts";

await initBackend("wasm");

const X = [1, 0, 1, 1];
const BASELINES = [-6, -3, -1];

for (const allChild of [false, true]) {
  for (const fullReward of [false, true]) {
    Deno.test(`vaeHnca() matches the exact gradient (all_child ${allChild}, full_reward ${fullReward})`, async () => {
      const r = await checkVaeEstimator(tinyVae(1), X, vaeHnca, {
        flags: { allChild, fullReward },
        baselines: BASELINES,
        seed: 3,
      });
      console.log(`  ${describe(r)}`);
      assert(r.worst < r.bound, describe(r));
    });
  }
}

Deno.test("vaeHnca() matches the exact gradient on the tfjs counterfactual path", async () => {
  const r = await checkVaeEstimator(tinyVae(2), X, vaeHnca, {
    path: "tfjs",
    flags: { allChild: true, fullReward: false },
  });
  console.log(`  ${describe(r)}`);
  assert(r.worst < r.bound, describe(r));
});

Deno.test("vaeHnca() has lower encoder gradient variance than vaeReinforce(), both with the same baselines", async () => {
  const vae = tinyVae(4);
  const h = await checkVaeEstimator(vae, X, vaeHnca, { baselines: BASELINES, seed: 5 });
  const r = await checkVaeEstimator(vae, X, vaeReinforce, { baselines: BASELINES, seed: 5 });
  console.log(`  HNCA ${describe(h)}\n  REINFORCE ${describe(r)}\n  ratio ${(h.variance / r.variance).toFixed(3)}`);
  assert(h.variance < r.variance, `HNCA ${h.variance} >= REINFORCE ${r.variance}`);
});

Deno.test("the VAE exactness test rejects HNCA with the child-entropy term's sign flipped", async () => {
  // A subtle bug: dq = H(off) - H(on) instead of H(on) - H(off).
  const broken: VaeEstimator = async (input) => {
    const right = await vaeHnca(input);
    const k = input.layer;
    if (k === input.vae.encoder.length - 1) return right;
    // The correct signal holds -fr (1 - fr) dq with dq = -entropy (off minus on); subtract it twice.
    const child = await childFlipTerms(input.vae.encoder[k + 1].W, input.trace.encoder[k + 1], "tfjs", true);
    const fr = input.trace.encoder[k].fireRate;
    const signal = tf.tidy(() =>
      tf.sub(right.signal, tf.mul(tf.mul(tf.mul(fr, tf.sub(1, fr)), child.entropy!), 2))
    ) as tf.Tensor2D;
    tf.dispose([right.signal, child.ll, child.entropy!]);
    return { signal, rewardMean: right.rewardMean };
  };
  const r = await checkVaeEstimator(tinyVae(1), X, broken, { seed: 3 });
  console.log(`  ${describe(r)}`);
  assert(r.worst > r.bound, `the biased estimator passed: ${describe(r)}`);
});

Deno.test("exactElbo() agrees with a Monte Carlo average of the one-sample ELBO", async () => {
  const { toExactVae } = await import("../../../helpers/vae_moments.ts");
  const { disposeVaeTrace, drawVaeUniforms, encodeVae, vaeTerms } = await import(
    "../../../../lib/models/binary_vae.ts"
  );
  const { Rng } = await import("../../../../lib/rng/mod.ts");
  const vae = tinyVae(1);
  const exact = exactElbo(await toExactVae(vae), X);
  const B = 50_000;
  const xt = tf.tensor2d(Array.from({ length: B }, () => X));
  const trace = encodeVae(vae, xt, drawVaeUniforms(vae, B, Rng.fromSeed(1)));
  xt.dispose();
  const { elbo } = await vaeTerms(trace);
  disposeVaeTrace(trace);
  const m = elbo.reduce((a, b) => a + b, 0) / B;
  const sd = Math.sqrt(elbo.reduce((a, b) => a + (b - m) ** 2, 0) / B);
  const z = Math.abs(m - exact) / (sd / Math.sqrt(B));
  assert(z < 4, `Monte Carlo ${m} vs exact ${exact}: z = ${z.toFixed(2)}`);
});

Deno.test("rhoPair() gives q(children | j = v) / q(children) for v = 1, 0", async () => {
  // One unit with fire rate 0.3 whose children are 4x as likely with it off: delta = log 4.
  const { rho1, rho0 } = rhoPair(tf.tensor2d([[0.3]]), tf.tensor2d([[Math.log(4)]]));
  const marginal = 0.3 * 1 + 0.7 * 4;
  const [r1, r0] = [(await rho1.data())[0], (await rho0.data())[0]];
  assert(Math.abs(r1 - 1 / marginal) < 1e-6 && Math.abs(r0 - 4 / marginal) < 1e-6, `rho1 ${r1}, rho0 ${r0}`);
});

Deno.test("vaeHnca()'s wasm kernels give the tfjs ops' signal on a VAE wider than one vector", async () => {
  // Layers of 13, 9 and 6 units: the kernels' vector loops and their tails. The tfjs path is the op-by-op
  // code the kernels replace (flip terms materialized, the signal from tfjs ops). The tfjs path's flip terms are
  // within 5e-4 of float64 (flip_terms_test.ts), the two agree to about 1e-4 here, and a wrong or missing term
  // would be off by its own size, of order 1.
  const { disposeVaeTrace, drawVaeUniforms, encodeVae, initBinaryVae, vaeTerms } = await import(
    "../../../../lib/models/binary_vae.ts"
  );
  const { Rng } = await import("../../../../lib/rng/mod.ts");
  const rng = Rng.fromSeed(21);
  const vae = initBinaryVae(rng.stream("init"), { pixels: 30, latent: [13, 9, 6] });
  const B = 7;
  const xt = tf.tensor2d(Array.from({ length: B * 30 }, () => (rng.uniform() < 0.4 ? 1 : 0)), [B, 30]);
  const trace = encodeVae(vae, xt, drawVaeUniforms(vae, B, rng.stream("u")));
  const terms = await vaeTerms(trace);
  for (const fullReward of [false, true]) {
    for (let layer = 0; layer < 3; layer++) {
      const input = { layer, vae, trace, terms, baseline: -2, flags: { allChild: false, fullReward }, rng, upper: vae };
      const wasm = await vaeHnca({ ...input, path: "wasm" });
      const tfjs = await vaeHnca({ ...input, path: "tfjs" });
      const a = await wasm.signal.data(), b = await tfjs.signal.data();
      let worst = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
      }
      assert(worst < 1e-3, `layer ${layer}, full_reward ${fullReward}: largest relative difference ${worst}`);
      assert(wasm.rewardMean === tfjs.rewardMean, `reward means ${wasm.rewardMean} vs ${tfjs.rewardMean}`);
      tf.dispose([wasm.signal, tfjs.signal]);
    }
  }
  disposeVaeTrace(trace);
});
