/**
 * Exactness of the bandit estimators: on tiny networks, the mean of each
 * estimator over many samples must match the exact gradient (enumeration)
 * within a z-test per parameter, and HNCA's variance must be below REINFORCE's.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { exactBanditGradient, type ExactLayer } from "../../helpers/exact_bandit.ts";
import { zCritical } from "../../helpers/ztest.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import {
  type BanditEstimator,
  bernoulliChildDelta,
  type CounterfactualPath,
  creditFactor,
  hnca,
  hncaLogitSignal,
  reinforce,
  softmaxChildDelta,
  softmaxSignal,
} from "../../../lib/estimators/mod.ts";
import {
  type BernoulliNet,
  disposeTrace,
  drawUniforms,
  initBernoulliNet,
  sampleNet,
} from "../../../lib/models/bernoulli_net.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

/** Per-parameter mean and variance of an estimator's per-example gradient, over n samples of one context. */
async function estimatorMoments(
  net: BernoulliNet,
  x: number[],
  reward: number[],
  estimate: BanditEstimator,
  path: CounterfactualPath,
  n: number,
  seed: number,
) {
  const B = 5000;
  const layers = [...net.hidden, net.output];
  const sums = layers.map((l) => new Float64Array(l.W.size + l.b.size));
  const sqs = layers.map((l) => new Float64Array(l.W.size + l.b.size));
  const rng = Rng.fromSeed(seed).stream("moments");
  for (let done = 0; done < n; done += B) {
    const xt = tf.tensor2d(Array.from({ length: B }, () => x));
    const trace = sampleNet(net, xt, drawUniforms(net, B, rng));
    const action = await trace.output.action.data();
    const adv = tf.tensor1d(Array.from(action, (a) => reward[a] - 0.25)); // a constant baseline: still unbiased
    const signals = await estimate({ net, trace, advantage: adv, path });
    const all = [...signals.hidden, signals.output];
    const inputs = [...trace.hidden.map((h) => h.input), trace.output.input];
    for (let l = 0; l < layers.length; l++) {
      const g = await all[l].data(), inp = await inputs[l].data();
      const [K, J] = layers[l].W.shape;
      for (let b = 0; b < B; b++) {
        for (let k = 0; k < K; k++) {
          const gk = g[b * K + k];
          for (let j = 0; j < J; j++) {
            const v = gk * inp[b * J + j];
            sums[l][k * J + j] += v;
            sqs[l][k * J + j] += v * v;
          }
          sums[l][K * J + k] += gk;
          sqs[l][K * J + k] += gk * gk;
        }
      }
    }
    tf.dispose([xt, adv, ...all]);
    disposeTrace(trace);
  }
  return layers.map((_, l) => ({
    mean: Array.from(sums[l], (s) => s / n),
    variance: Array.from(sqs[l], (q, i) => q / n - (sums[l][i] / n) ** 2),
  }));
}

async function toExact(net: BernoulliNet): Promise<{ hidden: ExactLayer[]; output: ExactLayer }> {
  const conv = async (l: { W: tf.Tensor2D; b: tf.Tensor1D }) => ({
    W: (await l.W.array()) as number[][],
    b: (await l.b.array()) as number[],
  });
  return { hidden: await Promise.all(net.hidden.map(conv)), output: await conv(net.output) };
}

/** Largest |z| of (estimator mean + exact dJ) over all parameters (the estimators estimate -dJ). */
async function maxZ(
  net: BernoulliNet,
  x: number[],
  reward: number[],
  estimate: BanditEstimator,
  path: CounterfactualPath,
  n: number,
  seed: number,
) {
  const p = await toExact(net);
  const exact = exactBanditGradient(p.hidden, p.output, x, reward, net.centered);
  const moments = await estimatorMoments(net, x, reward, estimate, path, n, seed);
  const exactLayers = [...exact.hidden, exact.output];
  let worst = 0;
  let hiddenVariance = 0;
  moments.forEach((m, l) => {
    const flat = [...exactLayers[l].W.flat(), ...exactLayers[l].b];
    m.mean.forEach((mu, i) => {
      const se = Math.sqrt(m.variance[i] / n);
      const z = se > 0 ? Math.abs(mu + flat[i]) / se : (Math.abs(mu + flat[i]) < 1e-12 ? 0 : Infinity);
      worst = Math.max(worst, z);
    });
    if (l < moments.length - 1) hiddenVariance += m.variance.reduce((a, b) => a + b, 0);
  });
  const params = moments.reduce((a, m) => a + m.mean.length, 0);
  return { worst, params, hiddenVariance };
}

function tinyNet(centered: boolean, seed: number, scale = 3): BernoulliNet {
  // Glorot weights scaled up so that units are far from fire rate 1/2 and credit matters.
  const net = initBernoulliNet(Rng.fromSeed(seed).stream("init"), { input: 3, hidden: [3, 2], output: 3, centered });
  return {
    hidden: net.hidden.map((l) => ({ W: tf.mul(l.W, scale) as tf.Tensor2D, b: tf.add(l.b, 0.3) as tf.Tensor1D })),
    output: {
      W: tf.mul(net.output.W, scale) as tf.Tensor2D,
      b: tf.add(net.output.b, tf.tensor1d([0.2, -0.1, 0])) as tf.Tensor1D,
    },
    centered,
  };
}

const X = [1, 0, 1];
const REWARD = [1, 0, 0.4];
const N = 100_000;

for (const centered of [true, false]) {
  for (const path of ["wasm", "tfjs"] as const) {
    Deno.test(`hnca() matches the exact gradient (${centered ? "centered" : "0/1"} units, ${path} path)`, async () => {
      const net = tinyNet(centered, 1);
      const r = await maxZ(net, X, REWARD, hnca, path, N, 7);
      console.log(
        `  max |z| ${r.worst.toFixed(2)} over ${r.params} parameters (bound ${zCritical(r.params).toFixed(2)})`,
      );
      assert(
        r.worst < zCritical(r.params),
        `max |z| ${r.worst.toFixed(2)} over ${r.params} parameters exceeds ${zCritical(r.params).toFixed(2)}`,
      );
    });
  }
  Deno.test(`reinforce() matches the exact gradient (${centered ? "centered" : "0/1"} units)`, async () => {
    const net = tinyNet(centered, 1);
    const r = await maxZ(net, X, REWARD, reinforce, "tfjs", N, 7);
    console.log(
      `  max |z| ${r.worst.toFixed(2)} over ${r.params} parameters (bound ${zCritical(r.params).toFixed(2)})`,
    );
    assert(r.worst < zCritical(r.params), `max |z| ${r.worst.toFixed(2)} exceeds ${zCritical(r.params).toFixed(2)}`);
  });
  Deno.test(`hnca() has lower hidden-layer gradient variance than reinforce() (${centered ? "centered" : "0/1"} units)`, async () => {
    const net = tinyNet(centered, 2);
    const h = await maxZ(net, X, REWARD, hnca, "wasm", N, 11);
    const r = await maxZ(net, X, REWARD, reinforce, "wasm", N, 11);
    console.log(
      `  summed hidden-parameter variance: HNCA ${h.hiddenVariance.toFixed(5)}, REINFORCE ${
        r.hiddenVariance.toFixed(5)
      } (ratio ${(h.hiddenVariance / r.hiddenVariance).toFixed(3)})`,
    );
    assert(h.hiddenVariance < r.hiddenVariance, `HNCA ${h.hiddenVariance} >= REINFORCE ${r.hiddenVariance}`);
  });
}

Deno.test("the exactness test rejects a biased estimator (HNCA with the counterfactual sign flipped)", async () => {
  const broken: BanditEstimator = async ({ net, trace, advantage, path }) => {
    const L = net.hidden.length;
    const hidden: tf.Tensor2D[] = [];
    for (let l = 0; l < L; l++) {
      const delta = l === L - 1
        ? await softmaxChildDelta(net.output.W, trace.output, net.centered, path)
        : await bernoulliChildDelta(net.hidden[l + 1].W, trace.hidden[l + 1], net.centered, path);
      const fr = trace.hidden[l].fireRate;
      hidden.push(
        tf.tidy(() =>
          tf.mul(
            tf.mul(creditFactor(fr, tf.neg(delta)), tf.mul(fr, tf.sub(1, fr))),
            tf.neg(tf.expandDims(advantage, 1)),
          )
        ),
      );
      delta.dispose();
    }
    return { hidden, output: softmaxSignal(trace.output.onehot, trace.output.probs, advantage) };
  };
  const net = tinyNet(true, 1);
  const r = await maxZ(net, X, REWARD, broken, "wasm", N, 7);
  assert(r.worst > zCritical(r.params), `the biased estimator passed: max |z| ${r.worst.toFixed(2)}`);
});

Deno.test("exactBanditGradient() agrees with a finite difference of J", () => {
  const hidden = [{ W: [[0.5, -1], [1.2, 0.3]], b: [0.1, -0.2] }];
  const output = { W: [[1, -1], [0.4, 0.9]], b: [0, 0.3] };
  const g = exactBanditGradient(hidden, output, [1, -1], [1, 0], true);
  const eps = 1e-6;
  const J = (w: number) =>
    exactBanditGradient([{ W: [[w, -1], [1.2, 0.3]], b: [0.1, -0.2] }], output, [1, -1], [1, 0], true).value;
  const fd = (J(0.5 + eps) - J(0.5 - eps)) / (2 * eps);
  assert(Math.abs(fd - g.hidden[0].W[0][0]) < 1e-8, `${fd} vs ${g.hidden[0].W[0][0]}`);
  const Jo = (w: number) =>
    exactBanditGradient(hidden, { W: [[1, -1], [0.4, w]], b: [0, 0.3] }, [1, -1], [1, 0], true).value;
  const fdo = (Jo(0.9 + eps) - Jo(0.9 - eps)) / (2 * eps);
  assert(Math.abs(fdo - g.output.W[1][1]) < 1e-8, `${fdo} vs ${g.output.W[1][1]}`);
  assertEquals(g.hidden.length, 1);
});

Deno.test("hncaLogitSignal(differentiateRho) equals autodiff of -fr (rho1 - rho0) R with rho not held constant", async () => {
  const rng = Rng.fromSeed(9);
  const logits = tf.tensor2d(Array.from({ length: 12 }, () => 2 * rng.normal()), [3, 4]);
  const delta = tf.tensor2d(Array.from({ length: 12 }, () => rng.normal()), [3, 4]);
  const R = tf.tensor1d([1, 0, 1]);
  const autodiff = tf.grad((z: tf.Tensor) => {
    const fr = tf.sigmoid(z);
    const rho1 = tf.div(1, tf.add(fr, tf.mul(tf.sub(1, fr), tf.exp(delta))));
    const rho0 = tf.div(1, tf.add(tf.mul(fr, tf.exp(tf.neg(delta))), tf.sub(1, fr)));
    return tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(fr, tf.sub(rho1, rho0)), 1)), R)) as tf.Scalar;
  })(logits);
  const closed = hncaLogitSignal(tf.sigmoid(logits) as tf.Tensor2D, delta, R, true);
  const a = await autodiff.data(), b = await closed.data();
  const worst = Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
  assert(worst < 1e-6, `largest difference ${worst}`);
  const correct = await hncaLogitSignal(tf.sigmoid(logits) as tf.Tensor2D, delta, R).data();
  assert(
    Math.max(...Array.from(a, (v, i) => Math.abs(v - correct[i]))) > 1e-3,
    "the quirk must differ from the correct signal",
  );
});
