import * as tf from "@tensorflow/tfjs";
import { assert, assertThrows } from "../../../helpers/assert.ts";
import { checkVaeEstimator, describe, tinyVae } from "../../../helpers/vae_moments.ts";
import { initBackend } from "../../../../lib/engine/run/backend.ts";
import { scoreSignal, vaeReinforce } from "../../../../lib/estimators/vae/mod.ts";

await initBackend("wasm");

const X = [1, 0, 1, 1];

for (const baselines of [undefined, [-6, -3, -1]]) {
  Deno.test(`vaeReinforce() matches the exact gradient (${baselines ? "with" : "without"} baselines)`, async () => {
    const r = await checkVaeEstimator(tinyVae(1), X, vaeReinforce, { baselines, seed: 3 });
    console.log(`  ${describe(r)}`);
    assert(r.worst < r.bound, describe(r));
  });
}

Deno.test("scoreSignal() is -(f - b)(z - fr) and checks its shapes", async () => {
  const g = scoreSignal(tf.tensor2d([[1, 0]]), tf.tensor2d([[0.25, 0.5]]), [2]);
  assert((await g.data()).join() === [-1.5, 1].join(), `got ${await g.data()}`);
  assertThrows(() => scoreSignal(tf.tensor2d([[1, 0]]), tf.tensor2d([[0.25, 0.5]]), [2, 3]), /disagree/);
});
