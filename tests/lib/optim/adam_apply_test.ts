import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { adam, type AdamConfig } from "../../../lib/optim/adam.ts";
import { adamApply } from "../../../lib/optim/adam_apply.ts";
import {
  applyUpdates,
  disposeParams,
  disposeState,
  type OptState,
  type Params,
  saveState,
} from "../../../lib/optim/transform.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

/** Three steps of adam().update + applyUpdates and of adamApply from the same start; every value of both. */
async function bothWays(cfg: AdamConfig) {
  const rng = Rng.fromSeed(5);
  const values = (n: number, s: number) => Float32Array.from({ length: n }, () => s * rng.normal());
  const start = { w: tf.tensor2d(values(6 * 7, 1), [6, 7]), b: tf.tensor1d(values(5, 1)) };
  const grads = [0, 1, 2].map(() => ({ w: tf.tensor2d(values(42, 0.1), [6, 7]), b: tf.tensor1d(values(5, 0.1)) }));
  const run = (fused: boolean) => {
    let params: Params = { w: tf.clone(start.w), b: tf.clone(start.b) };
    let state: OptState = adam(cfg).init(params);
    for (const g of grads) {
      let next: { params: Params; state: OptState };
      if (fused) next = adamApply(cfg, g, state, params);
      else {
        const r = adam(cfg).update(g, state, params);
        next = { params: applyUpdates(params, r.updates), state: r.state };
        disposeParams(r.updates);
      }
      disposeParams(params);
      disposeState(state);
      ({ params, state } = next);
    }
    return { params, state };
  };
  const a = run(false), b = run(true);
  const dump = async (r: { params: Params; state: OptState }) => {
    const s = await saveState(r.state);
    const out: Record<string, number[]> = { skeleton: [JSON.stringify(s.skeleton).length] };
    for (const [n, t] of Object.entries(r.params)) out[n] = Array.from(t.dataSync());
    for (const [n, t] of Object.entries(s.tensors)) out[n] = Array.from(t.data as Float32Array);
    return { out, skeleton: s.skeleton };
  };
  const [da, db] = [await dump(a), await dump(b)];
  [a, b].forEach((r) => {
    disposeParams(r.params);
    disposeState(r.state);
  });
  tf.dispose([start.w, start.b, ...grads.flatMap((g) => [g.w, g.b])]);
  return [da, db];
}

for (
  const [label, cfg] of [
    ["a constant learning rate", { lr: 1e-2 }],
    ["a schedule and other moments", { lr: (n: number) => 1e-2 / (1 + n), b1: 0.8, b2: 0.99, eps: 1e-6 }],
    ["the frozen step count", { lr: 1e-2, frozenCount: true }],
  ] as [string, AdamConfig][]
) {
  Deno.test(`adamApply() is bit-identical to adam().update + applyUpdates(), state included (${label})`, async () => {
    const [a, b] = await bothWays(cfg);
    assertEquals(b.skeleton, a.skeleton);
    assertEquals(b.out, a.out);
  });
}

Deno.test("adamApply() refuses a state that is not adam()'s", () => {
  const params = { w: tf.zeros([2]) };
  const g = { w: tf.ones([2]) };
  assertThrows(() => adamApply({ lr: 1 }, g, { count: 0, slots: {} }, params), /not adam\(\)'s/);
  tf.dispose([params.w, g.w]);
});

Deno.test("adamApply() clones a parameter that has no gradient, as applyUpdates() does, and keeps no moments for it", () => {
  const params = { w: tf.tensor1d([1, 2]), b: tf.tensor1d([3]) };
  const g = { w: tf.tensor1d([0.5, -0.5]) };
  const cfg = { lr: 0.1 };
  const state = adam(cfg).init(params);
  const fused = adamApply(cfg, g, state, params);
  const r = adam(cfg).update(g, state, params);
  const plain = applyUpdates(params, r.updates);
  assertEquals(Array.from(fused.params.w.dataSync()), Array.from(plain.w.dataSync()));
  assertEquals(Array.from(fused.params.b.dataSync()), [3]);
  assert(fused.params.b !== params.b, "a new tensor, not the parameter itself");
  assertEquals(Object.keys(fused.state.parts![0].slots.mu), ["w"]);
  [fused.params, plain, r.updates, params, g].forEach(disposeParams);
  [fused.state, r.state, state].forEach(disposeState);
});

Deno.test("adamApply() names a parameter whose moments the state lacks", () => {
  const params = { w: tf.zeros([2]), b: tf.zeros([1]) };
  const state = adam({ lr: 1 }).init({ w: params.w });
  const g = { w: tf.ones([2]), b: tf.ones([1]) };
  assertThrows(() => adamApply({ lr: 1 }, g, state, params), /no moments for parameter 'b'/);
  [params, g].forEach(disposeParams);
  disposeState(state);
});
