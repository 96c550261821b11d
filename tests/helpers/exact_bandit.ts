/**
 * Exact gradient of the expected reward of a tiny Bernoulli network with a
 * softmax policy, by enumerating every joint state of its hidden units
 * (float64, no tfjs: independent of the code under test).
 *
 *   J = sum_h P(h | x) sum_a p(a | h) r(a)
 *   dJ/dW_l = sum_h P(h) E[r | h] (o_l - sigmoid(z_l)) (outer) input_l
 *   dJ/dW_out = sum_h P(h) sum_a p(a | h) (r_a - E[r | h]) e_a (outer) input_out
 *
 * @module
 */

/** Parameters as plain arrays: W [units][inputs], b [units]. */
export interface ExactLayer {
  W: number[][];
  b: number[];
}

/** The gradient of J for every parameter, same layout as the parameters. */
export interface ExactGrad {
  hidden: ExactLayer[];
  output: ExactLayer;
  /** J itself. */
  value: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function zeros(l: ExactLayer): ExactLayer {
  return { W: l.W.map((r) => r.map(() => 0)), b: l.b.map(() => 0) };
}

/** Enumerates hidden states; `reward[a]` is the reward of action a. */
export function exactBanditGradient(
  hidden: ExactLayer[],
  output: ExactLayer,
  x: number[],
  reward: number[],
  centered: boolean,
): ExactGrad {
  const grad: ExactGrad = { hidden: hidden.map(zeros), output: zeros(output), value: 0 };
  const walk = (l: number, input: number[], prob: number, path: { input: number[]; o: number[]; fr: number[] }[]) => {
    if (l === hidden.length) {
      const z = output.W.map((row, a) => row.reduce((s, w, j) => s + w * input[j], output.b[a]));
      const zmax = Math.max(...z);
      const e = z.map((v) => Math.exp(v - zmax));
      const sum = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / sum);
      const er = p.reduce((s, pa, a) => s + pa * reward[a], 0);
      grad.value += prob * er;
      p.forEach((pa, a) => {
        const c = prob * pa * (reward[a] - er);
        grad.output.b[a] += c;
        input.forEach((xi, j) => (grad.output.W[a][j] += c * xi));
      });
      path.forEach((step, k) => {
        step.o.forEach((o, u) => {
          const c = prob * er * (o - step.fr[u]);
          grad.hidden[k].b[u] += c;
          step.input.forEach((xi, j) => (grad.hidden[k].W[u][j] += c * xi));
        });
      });
      return;
    }
    const layer = hidden[l];
    const fr = layer.W.map((row, u) => sigmoid(row.reduce((s, w, j) => s + w * input[j], layer.b[u])));
    const K = fr.length;
    for (let mask = 0; mask < 1 << K; mask++) {
      const o = fr.map((_, u) => (mask >> u) & 1);
      const p = o.reduce((s, ou, u) => s * (ou ? fr[u] : 1 - fr[u]), 1);
      const next = o.map((ou) => (centered ? 2 * ou - 1 : ou));
      walk(l + 1, next, prob * p, [...path, { input, o, fr }]);
    }
  };
  walk(0, x, 1, []);
  return grad;
}
