import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { adam, sgd } from "../../../lib/optim/adam.ts";
import { namedMoments, namedTensors, restoreMoments, restoreTensors } from "../../../lib/optim/checkpoint.ts";

Deno.test("namedTensors() and namedMoments() round-trip parameters and Adam moments", async () => {
  const opt = adam({ lr: 0.1 });
  const params = [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([5])];
  const grads = [tf.tensor2d([[1, -1], [0.5, 2]]), tf.tensor1d([-3])];
  const next = opt.update(grads, opt.init(params), params);
  const names = ["w", "b"];
  const saved = { ...await namedTensors(names, next.params), ...await namedMoments(names, next.state) };
  assertEquals(Object.keys(saved).sort(), ["b", "m.b", "m.w", "v.b", "v.w", "w"]);
  assertEquals(saved.w.shape, [2, 2]);
  const restored = restoreTensors(names, saved);
  const state = restoreMoments(names, saved, next.state.count);
  assertEquals(await restored[0].array(), await next.params[0].array());
  assertEquals(state.count, 1);
  assertEquals(await state.slots[1][1].array(), await next.state.slots[1][1].array());
  // The same next step from the restored state as from the original.
  const a = opt.update(grads, next.state, next.params), b = opt.update(grads, state, restored);
  assertEquals(await a.params[0].array(), await b.params[0].array());
});

Deno.test("namedMoments() of a slot-less optimizer is empty and restores as such", async () => {
  const params = [tf.tensor1d([1])];
  const state = sgd({ lr: 0.1 }).init(params);
  const saved = { ...await namedTensors(["w"], params, "best."), ...await namedMoments(["w"], state) };
  assertEquals(Object.keys(saved), ["best.w"]);
  assertEquals(restoreMoments(["w"], saved, 3), { count: 3, slots: [] });
  assertThrows(() => restoreTensors(["w"], saved), /The checkpoint has no tensor 'w'/);
});
