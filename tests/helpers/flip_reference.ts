/**
 * HNCA's flipped-parent terms of a Bernoulli child layer in float64, the reference the
 * kernels are checked against: per example b and parent j, off minus on, summed over
 * the K children,
 *   ll[b, j]  = log P(children's outputs | j off) - log P(children's outputs | j on)
 *   ent[b, j] = H(children | j off) - H(children | j on)
 * with unclipped sigmoids. Parents are 0/1, or -1/+1 when `centered` (a flip then moves
 * a child's logit by 2 theta).
 *
 * @example
 * ```ts
 * import { flipTermsFloat64 } from "./flip_reference.ts";
 * // One example, one child with logit 0 and output 1, one parent (off) with weight log 3.
 * const { ll } = flipTermsFloat64({ B: 1, K: 1, J: 1, theta: [Math.log(3)], logits: [0], sample: [1], parent: [0] });
 * // log sigmoid(log 3) - log sigmoid(0) = log(3/4) - log(1/2) = log 1.5, and off minus on is its negative.
 * Math.abs(ll[0] + Math.log(1.5)) < 1e-12; // true
 * ```
 * @module
 */

/** log sigmoid(x), without overflow. */
export function logSigmoid(x: number): number {
  return x > 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

/** Entropy of Bernoulli(sigmoid(x)). */
export function logitEntropy(x: number): number {
  const lp = logSigmoid(x), lq = logSigmoid(-x);
  return -(Math.exp(lp) * lp + Math.exp(lq) * lq);
}

/**
 * @param c theta: [K, J] row-major; logits, sample: [B, K]; parent: [B, J] (0/1, or -1/+1 when centered)
 * @returns ll, ent: [B, J]
 */
export function flipTermsFloat64(c: {
  B: number;
  K: number;
  J: number;
  theta: ArrayLike<number>;
  logits: ArrayLike<number>;
  sample: ArrayLike<number>;
  parent: ArrayLike<number>;
  centered?: boolean;
}): { ll: Float64Array; ent: Float64Array } {
  const { B, K, J, theta, logits, sample, parent } = c;
  const m = c.centered ? 2 : 1;
  const ll = new Float64Array(B * J), ent = new Float64Array(B * J);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < J; j++) {
      const on = parent[b * J + j] === 1;
      let sl = 0, sh = 0;
      for (let k = 0; k < K; k++) {
        const y = logits[b * K + k], sign = 2 * sample[b * K + k] - 1;
        const flipped = y + m * theta[k * J + j] * (on ? -1 : 1);
        sl += logSigmoid(sign * flipped) - logSigmoid(sign * y);
        sh += logitEntropy(flipped) - logitEntropy(y);
      }
      ll[b * J + j] = on ? sl : -sl;
      ent[b * J + j] = on ? sh : -sh;
    }
  }
  return { ll, ent };
}
