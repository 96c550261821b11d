import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { adam, scaleByAdam, sgd } from "../../../lib/optim/adam.ts";
import { applyUpdates, disposeParams, disposeState, type OptState, type Params } from "../../../lib/optim/transform.ts";

/** Runs `opt` over the gradient sequence from w = 1; returns w after each step. */
function trajectory(opt: ReturnType<typeof adam>, grads: number[]): number[] {
  let params: Params = { w: tf.tensor1d([1]) };
  let state: OptState = opt.init(params);
  const out: number[] = [];
  for (const g of grads) {
    const grad = { w: tf.tensor1d([g]) };
    const r = opt.update(grad, state, params);
    const next = applyUpdates(params, r.updates);
    [grad, r.updates, params].forEach(disposeParams);
    disposeState(state);
    params = next;
    state = r.state;
    out.push(params.w.dataSync()[0]);
  }
  disposeParams(params);
  disposeState(state);
  return out;
}

const close = (a: number, b: number, tol = 2e-7) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

Deno.test("adam() takes the hand-computed bias-corrected steps", () => {
  // lr 0.1, b1 0.9, b2 0.999, eps 1e-8, w0 = 1, gradients 0.5 then -1:
  // t=1: m = 0.05, v = 2.5e-4, m/(1-0.9) = 0.5, v/(1-0.999) = 0.25, u = 0.5/(0.5+1e-8); w = 1 - 0.1 u = 0.900000002
  // t=2: m = 0.045 - 0.1 = -0.055, v = 2.4975e-4 + 1e-3 = 1.24975e-3,
  //      m/(1-0.81) = -0.2894737, v/(1-0.998001) = 0.6251876, u = -0.2894737/0.7906881 = -0.3661035; w = 0.9366104
  const w = trajectory(adam({ lr: 0.1 }), [0.5, -1]);
  assert(close(w[0], 0.900000002), `step 1: ${w[0]}`);
  assert(close(w[1], 0.9366103542), `step 2: ${w[1]}`);
});

Deno.test("adam({frozenCount}) keeps the bias correction of step 1, as the HNCA nonlinear-bandit code", () => {
  // t stays 1: step 2 divides by 1 - 0.9 and 1 - 0.999: m/0.1 = -0.55, v/0.001 = 1.24975, u = -0.55/1.1179222 = -0.4919842
  const w = trajectory(adam({ lr: 0.1, frozenCount: true }), [0.5, -1]);
  assert(close(w[0], 0.900000002), `step 1: ${w[0]}`);
  assert(close(w[1], 0.9491984172), `step 2: ${w[1]}`);
  // Without the quirk the second step differs.
  assert(!close(w[1], trajectory(adam({ lr: 0.1 }), [0.5, -1])[1], 1e-3));
});

Deno.test("adam() with a schedule uses the rate of the step count before each step", () => {
  const rates: number[] = [];
  const w = trajectory(adam({ lr: (count) => (rates.push(count), count === 0 ? 0.1 : 0) }), [0.5, -1, 2]);
  assertEquals(rates, [0, 1, 2]);
  assert(close(w[0], 0.900000002) && w[1] === w[0] && w[2] === w[0], JSON.stringify(w));
});

Deno.test("sgd() steps by -lr g", () => {
  const w = trajectory(sgd({ lr: 0.5 }), [0.5, -1]);
  assertEquals(w, [0.75, 1.25]);
});

Deno.test("scaleByAdam() names the parameter whose update does not fit its moments", () => {
  const t = scaleByAdam();
  const state = t.init({ w: tf.zeros([2]) });
  assertThrows(() => t.update({ w: tf.zeros([3]) }, state), Error, "update 'w' is [3] but its moments are [2]");
  assertThrows(() => t.update({ b: tf.zeros([2]) }, state), Error, "no moments for parameter 'b'");
});

Deno.test("adam() on a subset of the parameters transforms exactly those, leaving the state's other slots alone", () => {
  const opt = adam({ lr: 0.1 });
  const params = { a: tf.tensor1d([1]), b: tf.tensor1d([2]) };
  const state = opt.init(params);
  const full = opt.update({ a: tf.tensor1d([0.5]), b: tf.tensor1d([1]) }, state, params);
  const sub = opt.update({ a: tf.tensor1d([0.5]) }, state, params);
  assertEquals(Object.keys(sub.updates), ["a"]);
  assertEquals(sub.updates.a.dataSync()[0], full.updates.a.dataSync()[0]);
  assertEquals(Object.keys(sub.state.parts![0].slots.mu), ["a"]);
});
