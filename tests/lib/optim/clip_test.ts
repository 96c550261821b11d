import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { adam } from "../../../lib/optim/adam.ts";
import { clipByGlobalNorm, globalNorm } from "../../../lib/optim/clip.ts";
import { chain } from "../../../lib/optim/transform.ts";

Deno.test("clipByGlobalNorm() scales updates whose global norm exceeds the limit, and leaves others", () => {
  const clip = clipByGlobalNorm(1);
  const updates = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]) }; // norm 5
  const { updates: out } = clip.update(updates, clip.init({}));
  const a = Array.from(out.a.dataSync()), b = Array.from(out.b.dataSync());
  assert(Math.abs(a[0] - 0.6) < 1e-7 && a[1] === 0 && Math.abs(b[0] - 0.8) < 1e-7, JSON.stringify([a, b]));
  const kept = clipByGlobalNorm(50).update(updates, clip.init({})).updates;
  assertEquals([Array.from(kept.a.dataSync()), Array.from(kept.b.dataSync())], [[3, 0], [4]]);
  assertThrows(() => clipByGlobalNorm(0), Error, "positive maximum norm");
});

Deno.test("chain(adam, clipByGlobalNorm) clips Adam's step, not the gradient (optax.chain order)", () => {
  // Adam's first step is lr * sign(g) per entry (up to eps): here 0.1 * [1, -1, 1], norm 0.1732.
  const params = { w: tf.tensor1d([0, 0, 0]) };
  const grads = { w: tf.tensor1d([1000, -0.001, 5]) }; // the gradient's own norm is about 1000
  const unclipped = chain(adam({ lr: 0.1 }), clipByGlobalNorm(1));
  const r1 = unclipped.update(grads, unclipped.init(params), params);
  assert(Math.abs(globalNorm(r1.updates) - 0.1 * Math.sqrt(3)) < 1e-6, "a step under the limit is kept");
  const clipped = chain(adam({ lr: 0.1 }), clipByGlobalNorm(0.05));
  const r2 = clipped.update(grads, clipped.init(params), params);
  assert(Math.abs(globalNorm(r2.updates) - 0.05) < 1e-7, `clipped to 0.05: ${globalNorm(r2.updates)}`);
  const u = Array.from(r2.updates.w.dataSync());
  assert(u[0] < 0 && u[1] > 0 && Math.abs(u[0] + u[1]) < 1e-6, `direction kept: ${u}`);
});
