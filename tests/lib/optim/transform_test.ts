import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { adam } from "../../../lib/optim/adam.ts";
import { clipByGlobalNorm } from "../../../lib/optim/clip.ts";
import {
  applyUpdates,
  chain,
  disposeParams,
  disposeState,
  namedToParams,
  paramsToNamed,
  restoreState,
  saveState,
} from "../../../lib/optim/transform.ts";

Deno.test("saveState() and restoreState() round-trip a chain's state; the next step is the same", async () => {
  const opt = chain(adam({ lr: (n) => 0.1 / (1 + n) }), clipByGlobalNorm(50));
  const params = { w: tf.tensor2d([[1, 2], [3, 4]]), b: tf.tensor1d([5]) };
  const grads = { w: tf.tensor2d([[1, -1], [0.5, 2]]), b: tf.tensor1d([-3]) };
  const first = opt.update(grads, opt.init(params), params);
  const after = applyUpdates(params, first.updates);
  const saved = await saveState(first.state);
  const named = { ...await paramsToNamed(after), ...saved.tensors };
  const json = JSON.parse(JSON.stringify(saved.skeleton));
  const restored = restoreState(json, named);
  const p2 = namedToParams(named, ["w", "b"]);
  const a = opt.update(grads, first.state, after), b = opt.update(grads, restored, p2);
  for (const n of ["w", "b"]) assertEquals(await a.updates[n].array(), await b.updates[n].array());
  assertEquals(restored.parts![1].count, 1);
  assertEquals(Object.keys(saved.tensors).sort(), ["opt.0.0.mu.b", "opt.0.0.mu.w", "opt.0.0.nu.b", "opt.0.0.nu.w"]);
});

Deno.test("the optimizer loop leaks no tensor when the caller disposes what it replaces", () => {
  const opt = chain(adam({ lr: 0.01 }), clipByGlobalNorm(1));
  let params = { w: tf.randomNormal([4, 3], 0, 1, "float32", 1) };
  let state = opt.init(params);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    const grads = { w: tf.onesLike(params.w) };
    const r = opt.update(grads, state, params);
    const next = applyUpdates(params, r.updates);
    [grads, r.updates, params].forEach(disposeParams);
    disposeState(state);
    params = next;
    state = r.state;
  }
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("applyUpdates() and namedToParams() name what does not fit", () => {
  assertThrows(
    () => applyUpdates({ w: tf.zeros([2]) }, { w: tf.zeros([3]) }),
    Error,
    "update 'w' is [3] but its parameter is [2]",
  );
  assertThrows(() => applyUpdates({ w: tf.zeros([2]) }, { v: tf.zeros([2]) }), Error, "update 'v' has no parameter");
  assertThrows(() => namedToParams({}, ["w"], "best."), Error, "The checkpoint has no tensor 'best.w'");
});
