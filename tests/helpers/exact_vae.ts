/**
 * The exact ELBO of a tiny hierarchical binary VAE, by enumerating every joint
 * state of its latent units, and its exact gradient with respect to the
 * encoder's parameters (float64, no tfjs: independent of the code under test).
 *
 *   ELBO(x) = sum_z q(z | x) [log p(z_L) + sum_k log p(z_k | z_{k+1}) - log q(z | x)],  z_0 = x.
 *
 * The gradient is a central difference of the exact ELBO (step 1e-5: error
 * about 1e-10, far below any sampling error the tests can see).
 *
 * @module
 */
import type { ExactLayer } from "./exact_bandit.ts";

/** Parameters as plain arrays, in the layout of lib/models/binary_vae.ts. */
export interface ExactVae {
  encoder: ExactLayer[];
  decoder: ExactLayer[];
  prior: number[];
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function fireRates(layer: ExactLayer, input: number[]): number[] {
  return layer.W.map((row, u) => sigmoid(row.reduce((s, w, j) => s + w * input[j], layer.b[u])));
}

function logProb(fr: number[], target: number[]): number {
  return fr.reduce((s, p, u) => s + Math.log(target[u] ? p : 1 - p), 0);
}

/** The exact ELBO of one image. */
export function exactElbo(vae: ExactVae, x: number[]): number {
  const L = vae.encoder.length;
  let elbo = 0;
  const walk = (k: number, zs: number[][], logQ: number, q: number) => {
    if (k === L) {
      let logP = logProb(vae.prior.map(sigmoid), zs[L]);
      for (let i = 0; i < L; i++) logP += logProb(fireRates(vae.decoder[i], zs[i + 1]), zs[i]);
      elbo += q * (logP - logQ);
      return;
    }
    const fr = fireRates(vae.encoder[k], zs[k]);
    for (let mask = 0; mask < 1 << fr.length; mask++) {
      const z = fr.map((_, u) => (mask >> u) & 1);
      const lp = logProb(fr, z);
      walk(k + 1, [...zs, z], logQ + lp, q * Math.exp(lp));
    }
  };
  walk(0, [x], 0, 1);
  return elbo;
}

/** d ELBO / d (encoder parameters), flattened per layer as [W row-major..., b...]. */
export function exactEncoderGradient(vae: ExactVae, x: number[], h = 1e-5): number[][] {
  return vae.encoder.map((layer, k) => {
    const out: number[] = [];
    const bump = (set: (l: ExactLayer, v: number) => ExactLayer, v: number) => {
      const enc = vae.encoder.map((l, i) => (i === k ? set(l, v) : l));
      return exactElbo({ ...vae, encoder: enc }, x);
    };
    layer.W.forEach((row, u) =>
      row.forEach((w, j) => {
        const set = (l: ExactLayer, v: number) => ({
          W: l.W.map((r, uu) => r.map((ww, jj) => (uu === u && jj === j ? v : ww))),
          b: l.b,
        });
        out.push((bump(set, w + h) - bump(set, w - h)) / (2 * h));
      })
    );
    layer.b.forEach((bv, u) => {
      const set = (l: ExactLayer, v: number) => ({ W: l.W, b: l.b.map((bb, uu) => (uu === u ? v : bb)) });
      out.push((bump(set, bv + h) - bump(set, bv - h)) / (2 * h));
    });
    return out;
  });
}
