/**
 * HNCA (Young 2022) for a network of Bernoulli layers with a softmax output.
 *
 * A hidden unit's credit uses its children: with fr its (clipped) fire rate
 * and delta = log P(children | unit off) - log P(children | unit on),
 *   rho1 = 1 / (fr + (1 - fr) e^delta),   rho0 = 1 / (fr e^-delta + (1 - fr)),
 *   g = -(R - b) (rho1 - rho0) fr (1 - fr).
 * The output layer uses the REINFORCE softmax signal. Every counterfactual is
 * computed with the parameters of the forward pass.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { drawUniforms, initBernoulliNet, sampleNet } from "../models/bernoulli_net.ts";
 * const rng = Rng.fromSeed(0);
 * const net = initBernoulliNet(rng.stream("init"), { input: 4, hidden: [3, 2], output: 2, centered: true });
 * const trace = sampleNet(net, tf.tensor2d([[1, -1, 1, 1]]), drawUniforms(net, 1, rng.stream("u")));
 * const advantage = tf.tensor1d([1]);
 * import { hnca } from "./hnca.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const signals = await hnca({ net, trace, advantage, path: "tfjs" });
 * assertEquals(signals.hidden.map((s) => s.shape), [[1, 3], [1, 2]]); // one logit signal per hidden layer
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bernoulliChildDelta, softmaxChildDelta } from "./counterfactual.ts";
import { softmaxSignal } from "./reinforce.ts";
import type { BanditEstimator } from "./types.ts";

/**
 * rho1 - rho0 from fire rates and deltas.
 * @param fireRate [B, K] clipped fire rates
 * @param delta [B, K] log P(children | off) - log P(children | on)
 */
export function creditFactor(fireRate: tf.Tensor2D, delta: tf.Tensor2D): tf.Tensor2D {
  if (fireRate.shape.join() !== delta.shape.join()) {
    throw new Error(`creditFactor(): fireRate [${fireRate.shape}] and delta [${delta.shape}] differ`);
  }
  return tf.tidy(() => {
    const notFr = tf.sub(1, fireRate);
    const rho1 = tf.div(1, tf.add(fireRate, tf.mul(notFr, tf.exp(delta))));
    const rho0 = tf.div(1, tf.add(tf.mul(fireRate, tf.exp(tf.neg(delta))), notFr));
    return tf.sub(rho1, rho0) as tf.Tensor2D;
  });
}

/**
 * HNCA's logit signal for one layer: -(R - b) (rho1 - rho0) fr (1 - fr).
 * With `differentiateRho`, the nonlinear-bandit code's quirk: autodiff of the
 * loss -fr (rho1 - rho0) R without holding rho constant, which multiplies
 * (rho1 - rho0) by (1 - fr (rho1 - rho0)).
 * @param fireRate [B, K]
 * @param delta [B, K] log P(children | off) - log P(children | on)
 * @param advantage [B]
 */
export function hncaLogitSignal(
  fireRate: tf.Tensor2D,
  delta: tf.Tensor2D,
  advantage: tf.Tensor1D,
  differentiateRho = false,
): tf.Tensor2D {
  if (advantage.shape[0] !== fireRate.shape[0]) {
    throw new Error(`hncaLogitSignal(): advantage is [${advantage.shape}] for a batch of ${fireRate.shape[0]}`);
  }
  return tf.tidy(() => {
    let credit = creditFactor(fireRate, delta);
    if (differentiateRho) credit = tf.mul(credit, tf.sub(1, tf.mul(fireRate, credit))) as tf.Tensor2D;
    return tf.mul(
      tf.mul(credit, tf.mul(fireRate, tf.sub(1, fireRate))),
      tf.neg(tf.expandDims(advantage, 1)),
    ) as tf.Tensor2D;
  });
}

/** HNCA logit signals for every layer. */
export const hnca: BanditEstimator = async ({ net, trace, advantage, path }) => {
  const L = net.hidden.length;
  const hidden: tf.Tensor2D[] = new Array(L);
  for (let l = L - 1; l >= 0; l--) {
    const delta = l === L - 1
      ? await softmaxChildDelta(net.output.W, trace.output, net.centered, path)
      : await bernoulliChildDelta(net.hidden[l + 1].W, trace.hidden[l + 1], net.centered, path);
    hidden[l] = hncaLogitSignal(trace.hidden[l].fireRate, delta, advantage);
    delta.dispose();
  }
  return { hidden, output: softmaxSignal(trace.output.onehot, trace.output.probs, advantage) };
};
