import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { type A2cConfig, a2cSimpsonLoss, a2cSimpsonLossTf, discountedReturns } from "../../../lib/estimators/a2c.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

Deno.test("discountedReturns() sums rewards backwards with the discount, per episode", () => {
  // T = 3, B = 2: episode 0 rewards 0, 0, 10; episode 1 rewards 10, 0, 0.
  const R = discountedReturns([0, 10, 0, 0, 10, 0], 3, 2, 0.9);
  const want = [8.1, 10, 9, 0, 10, 0];
  want.forEach((v, i) => assert(Math.abs(R[i] - v) < 1e-12, `R[${i}] = ${R[i]}, expected ${v}`));
});

Deno.test("a2cSimpsonLoss() on a hand-computed step: equal logits, reward 1, value 0.5", () => {
  // T = 1, B = 1, A = 4. p = 1/4 each: Simpson index 1/4; advantage 1 - 0.5 = 0.5.
  const c: A2cConfig = {
    T: 1,
    B: 1,
    actions: 4,
    gamma: 0.9,
    entropyCoef: 0.03,
    valueCoef: 0.1,
    valueOfElement0: false,
  };
  const r = a2cSimpsonLoss([0, 0, 0, 0], [0.5], [2], [1], c);
  assert(Math.abs(r.loss - (0.03 * 0.25 + Math.log(4) * 0.5 + 0.1 * 0.25)) < 1e-12, `loss ${r.loss}`);
  // d/dz_a: Simpson 2 p (p - S) = 0 at equal p; policy -A (1[a = 2] - 1/4).
  assertEquals(Array.from(r.gLogits, (v) => Math.round(v * 1e12) / 1e12), [0.125, 0.125, -0.375, 0.125]);
  assert(Math.abs(r.gValues[0] - 0.1 * -2 * 0.5) < 1e-12);
});

for (const valueOfElement0 of [false, true]) {
  Deno.test(`a2cSimpsonLoss() gradients equal tf.grads of the tfjs loss (valueOfElement0: ${valueOfElement0})`, () => {
    const rng = Rng.fromSeed(4);
    const c: A2cConfig = { T: 7, B: 3, actions: 4, gamma: 0.9, entropyCoef: 0.03, valueCoef: 0.1, valueOfElement0 };
    const logits = Float32Array.from({ length: 7 * 3 * 4 }, () => rng.normal());
    const values = Float32Array.from({ length: 7 * 3 }, () => 3 * rng.normal());
    const actions = Int32Array.from({ length: 7 * 3 }, () => rng.int(4));
    const rewards = Float32Array.from({ length: 7 * 3 }, () => (rng.uniform() < 0.3 ? 10 : 0));
    const mine = a2cSimpsonLoss(logits, values, actions, rewards, c);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.valueAndGrads((l: tf.Tensor, v: tf.Tensor) =>
      a2cSimpsonLossTf(l as tf.Tensor3D, v as tf.Tensor2D, actions, rewards, c)
    )([tf.tensor3d(logits, [7, 3, 4]), tf.tensor2d(values, [7, 3])]);
    assert(
      Math.abs(value.dataSync()[0] - mine.loss) < 1e-4 * Math.abs(mine.loss),
      `loss ${mine.loss} vs ${value.dataSync()[0]}`,
    );
    const [gl, gv] = grads.map((g) => g.dataSync());
    gl.forEach((v, i) => assert(Math.abs(v - mine.gLogits[i]) < 1e-6, `gLogits[${i}]: ${mine.gLogits[i]} vs ${v}`));
    gv.forEach((v, i) => assert(Math.abs(v - mine.gValues[i]) < 1e-5, `gValues[${i}]: ${mine.gValues[i]} vs ${v}`));
    if (valueOfElement0) {
      // Only batch element 0's value is trained.
      for (let t = 0; t < 7; t++) for (let b = 1; b < 3; b++) assertEquals(mine.gValues[t * 3 + b], 0);
      assert(mine.gValues[0] !== 0);
    }
    [value, ...grads].forEach((t) => t.dispose());
    // The inputs of the closure were kept by valueAndGrads' caller: 2 tensors.
    assert(tf.memory().numTensors <= before + 2, "tensors leaked");
  });
}

Deno.test("a2cSimpsonLoss() names a value of the wrong shape", () => {
  const c: A2cConfig = {
    T: 2,
    B: 1,
    actions: 4,
    gamma: 0.9,
    entropyCoef: 0.03,
    valueCoef: 0.1,
    valueOfElement0: false,
  };
  let msg = "";
  try {
    a2cSimpsonLoss(new Float32Array(8), new Float32Array(3), new Int32Array(2), new Float32Array(2), c);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "a2cSimpsonLoss(): values has 3 values, expected [T=2, B=1]");
});
