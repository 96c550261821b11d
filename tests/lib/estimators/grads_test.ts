import * as tf from "@tensorflow/tfjs";
import { assert } from "../../helpers/assert.ts";
import { outerProductGrads } from "../../../lib/estimators/grads.ts";
import { Rng } from "../../../lib/rng/mod.ts";

Deno.test("outerProductGrads() gives the mean gradient and the per-example variance of explicit per-example gradients", () => {
  // The identity behind every grad_var_* column: mean over entries of Var_b[g_b x_b^T] (ddof 0)
  // = (sum_b |g_b|^2 |x_b|^2 / B - |dW|^2) / (K J), checked against per-example gradients in float64.
  const rng = Rng.fromSeed(7);
  const B = 6, K = 3, J = 4;
  const g = Array.from({ length: B * K }, () => rng.normal());
  const x = Array.from({ length: B * J }, () => (rng.uniform() < 0.5 ? 1 : -1) * (1 + rng.uniform()));
  const r = outerProductGrads(tf.tensor2d(g, [B, K]), tf.tensor2d(x, [B, J]));
  let varW = 0, varB = 0;
  const dW = r.dW.arraySync() as number[][], db = r.db.arraySync() as number[];
  for (let k = 0; k < K; k++) {
    const gb = Array.from({ length: B }, (_, b) => g[b * K + k]);
    const meanB = gb.reduce((a, v) => a + v, 0) / B;
    varB += gb.reduce((a, v) => a + (v - meanB) ** 2, 0) / B;
    assert(Math.abs(db[k] - meanB) < 1e-6, `db[${k}]`);
    for (let j = 0; j < J; j++) {
      const per = Array.from({ length: B }, (_, b) => g[b * K + k] * x[b * J + j]);
      const mean = per.reduce((a, v) => a + v, 0) / B;
      varW += per.reduce((a, v) => a + (v - mean) ** 2, 0) / B;
      assert(Math.abs(dW[k][j] - mean) < 1e-5, `dW[${k}][${j}] ${dW[k][j]} vs ${mean}`);
    }
  }
  varW /= K * J;
  varB /= K;
  const gotW = r.varW.dataSync()[0], gotB = r.varB.dataSync()[0];
  assert(Math.abs(gotW - varW) < 1e-4 * varW, `varW ${gotW} vs ${varW}`);
  assert(Math.abs(gotB - varB) < 1e-4 * varB, `varB ${gotB} vs ${varB}`);
});
