import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { initNgc, NGC_PARAMS, type NgcParams, ngcProject, ngcUpdates } from "../../../lib/models/ngc.ts";
import { adam, applyUpdates, disposeParams } from "../../../lib/optim/mod.ts";
import { dqnGrads, dqnLoss } from "../../../lib/agents/dqn.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

type M = number[][];
const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const T = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const add = (a: M, b: M): M => a.map((r, i) => r.map((v, j) => v + b[i][j]));
const sub = (a: M, b: M): M => a.map((r, i) => r.map((v, j) => v - b[i][j]));
const rowAdd = (a: M, b: M): M => a.map((r) => r.map((v, j) => v + b[0][j]));
const f = (a: M): M => a.map((r) => r.map((v) => (v >= 0 ? v : 0.01 * v)));
const df = (a: M): M => a.map((r) => r.map((v) => (v >= 0 ? 1 : 0.01)));
const had = (a: M, b: M): M => a.map((r, i) => r.map((v, j) => v * b[i][j]));
const scale = (a: M, s: number): M => a.map((r) => r.map((v) => v * s));

/** ngc.py's _compute_update written out in float64 from its equations. */
function reference(p: Record<string, M>, x: M, y: M, clip: number) {
  const n = x.length;
  let h1 = rowAdd(mm(x, p.w1), p.b1);
  let h2 = rowAdd(mm(f(h1), p.w2), p.b2);
  const h3 = rowAdd(mm(f(h2), p.w3), p.b3);
  let e1 = scale(h1, 0), e2 = scale(h2, 0), e3 = sub(y, h3);
  const syn = (pre: M, post: M) =>
    scale(mm(T(pre), post), -1 / n).map((r) => r.map((v) => Math.max(-clip, Math.min(clip, v))));
  const bias = (post: M) => [post[0].map((_, j) => -post.reduce((s, r) => s + r[j], 0) / n)];
  const u: Record<string, M> = {};
  for (let k = 0; k < 3; k++) {
    if (k === 0) [u.w3, u.b3] = [syn(f(h2), e3), bias(e3)];
    if (k === 1) [u.w2, u.b2] = [syn(f(h1), e2), bias(e2)];
    if (k === 2) [u.w1, u.b1] = [syn(x, e1), bias(e1)];
    const nh1 = add(h1, add(scale(e1, -1), had(mm(e2, T(p.w2)), df(h1))));
    const nh2 = add(h2, add(scale(e2, -1), had(mm(e3, T(p.w3)), df(h2))));
    h1 = nh1;
    h2 = nh2;
    e1 = sub(h1, rowAdd(mm(x, p.w1), p.b1));
    e2 = sub(h2, rowAdd(mm(f(h1), p.w2), p.b2));
    e3 = sub(y, rowAdd(mm(f(h2), p.w3), p.b3));
  }
  return u;
}

Deno.test("ngcUpdates() is one settling-and-update step of ngc.py, checked against a float64 reference", async () => {
  const rng = Rng.fromSeed(2);
  const spec = { inputs: 3, hidden: [5, 4] as [number, number], outputs: 2 };
  const p = initNgc(rng.stream("p"), spec);
  const x = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => rng.normal()));
  const y = Array.from({ length: 6 }, () => Array.from({ length: 2 }, () => 2 * rng.normal()));
  const plain = Object.fromEntries(await Promise.all(NGC_PARAMS.map(async (k) => [k, await p[k].array()]))) as Record<
    string,
    M
  >;
  for (const clip of [200, 0.05]) {
    const before = tf.memory().numTensors;
    const u = ngcUpdates(p, tf.tensor2d(x), tf.tensor2d(y), clip);
    const ref = reference(plain, x, y, clip < 200 ? clip : Infinity);
    for (const k of NGC_PARAMS) {
      const got = (await u[k].array()) as M;
      got.forEach((r, i) =>
        r.forEach((v, j) =>
          assert(
            Math.abs(v - ref[k][i][j]) <= 1e-5 * (1 + Math.abs(ref[k][i][j])),
            `${k}[${i}][${j}] clip ${clip}: ${v} vs ${ref[k][i][j]}`,
          )
        )
      );
    }
    // dW1 depends on the settled first-layer errors: nonzero, so the schedule reached layer 1.
    assert(Math.max(...(await u.w1.data()).map(Math.abs)) > 0);
    if (clip < 200) assert((await u.w3.data()).some((v) => Math.abs(v) === Math.fround(clip)), "the clip was active");
    disposeParams(u);
    assertEquals(tf.memory().numTensors, before + 2, "only the two input tensors are left");
  }
  disposeParams(p);
});

Deno.test("ngcUpdates() with Adam learns a fixed mapping: the projection's error falls (no backpropagation)", () => {
  const rng = Rng.fromSeed(4);
  let p: NgcParams = initNgc(rng.stream("p"), { inputs: 2, hidden: [16, 16], outputs: 1 });
  const xs = Array.from({ length: 32 }, () => [2 * rng.uniform() - 1, 2 * rng.uniform() - 1]);
  const x = tf.tensor2d(xs), y = tf.tensor2d(xs.map(([a, b]) => [a * b + 0.5 * a]));
  const err = () => tf.tidy(() => tf.mean(tf.square(tf.sub(y, ngcProject(p, x)))).dataSync()[0]);
  const opt = adam({ lr: 0.01 });
  let state = opt.init(p);
  const start = err();
  for (let i = 0; i < 200; i++) {
    const u = ngcUpdates(p, x, y, 100);
    const r = opt.update(u, state, p);
    const next = applyUpdates(p, r.updates) as NgcParams;
    disposeParams(u);
    disposeParams(r.updates);
    disposeParams(p);
    p = next;
    state = r.state;
  }
  const end = err();
  assert(end < 0.2 * start, `error ${start} -> ${end}`);
});

Deno.test("ngcProject() and ngcUpdates() name a batch of the wrong shape", () => {
  const p = initNgc(Rng.fromSeed(0), { inputs: 2, hidden: [3, 3], outputs: 1 });
  let msg = "";
  try {
    ngcUpdates(p, tf.zeros([4, 2]) as tf.Tensor2D, tf.zeros([4, 2]) as tf.Tensor2D, 100);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "ngcUpdates(): y is [4,2], expected [4, 1]");
});

/** tf.grads of DQN's loss (half the squared TD error of the taken action, batch mean) through ngcProject. */
function tapeGrads(p: NgcParams, s: tf.Tensor2D, onehot: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor[] {
  return tf.grads((...ps: tf.Tensor[]) => {
    const q = ngcProject(Object.fromEntries(NGC_PARAMS.map((k, i) => [k, ps[i]])) as NgcParams, s);
    return dqnLoss(q, onehot, y);
  })(NGC_PARAMS.map((k) => p[k]));
}

/** A random controller, batch, actions and TD targets, as the agents see them. */
function qBatch(seed: number, n: number) {
  const rng = Rng.fromSeed(seed);
  const p = initNgc(rng.stream("p"), { inputs: 2, hidden: [32, 24], outputs: 3 });
  const s = tf.tensor2d(Array.from({ length: n }, () => [2 * rng.uniform() - 1.2, 0.14 * rng.uniform() - 0.07]));
  const a = Int32Array.from({ length: n }, () => Math.floor(3 * rng.uniform()));
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(a, "int32"), 3), "float32") as tf.Tensor2D;
  const y = tf.tensor2d(Array.from({ length: n }, () => [-1 + 5 * rng.normal()]));
  return { p, s, onehot, y };
}

/** max |a - b| / max |b| over every parameter. */
async function relativeGap(a: Record<string, tf.Tensor>, b: tf.Tensor[]): Promise<number> {
  let gap = 0, scale = 0;
  for (let i = 0; i < NGC_PARAMS.length; i++) {
    const u = await a[NGC_PARAMS[i]].data(), g = await b[i].data();
    u.forEach((v, j) => {
      gap = Math.max(gap, Math.abs(v - g[j]));
      scale = Math.max(scale, Math.abs(g[j]));
    });
  }
  return gap / scale;
}

Deno.test("ngcUpdates() with the released settings is backpropagation: it equals tf.grads of DQN's loss", async () => {
  // K = 3, beta = 1, errors fed back through W^T, zero initial hidden errors: the scheduled updates are the
  // gradient of 1/2 ||y - yhat||^2 / N, where the controller's target differs from its output only at the
  // taken action (onehot y + (1 - onehot) Q(s)).
  for (const seed of [1, 2, 3]) {
    const { p, s, onehot, y } = qBatch(seed, 64);
    const target = tf.tidy(() => tf.add(tf.mul(onehot, y), tf.mul(ngcProject(p, s), tf.sub(1, onehot)))) as tf.Tensor2D;
    const u = ngcUpdates(p, s, target, 100);
    const g = tapeGrads(p, s, onehot, y);
    const gap = await relativeGap(u, g);
    assert(gap < 1e-6, `seed ${seed}: released NGC updates and backprop differ by ${gap} (relative)`);
    // dW1 is not trivially small: the comparison reaches the first layer.
    assert(Math.max(...(await g[0].data()).map(Math.abs)) > 1e-4);
    disposeParams(u);
    tf.dispose([...g, s, onehot, y, target]);
    disposeParams(p);
  }
});

Deno.test("dqnGrads() (backpropagation written out) equals tf.grads of dqnLoss", async () => {
  for (const seed of [4, 5]) {
    const { p, s, onehot, y } = qBatch(seed, 48);
    const before = tf.memory().numTensors;
    const d = dqnGrads(p, s, onehot, y);
    assertEquals(tf.memory().numTensors, before + NGC_PARAMS.length, "only the gradients are left");
    const g = tapeGrads(p, s, onehot, y);
    const gap = await relativeGap(d, g);
    assert(gap < 1e-6, `seed ${seed}: dqnGrads and tf.grads differ by ${gap} (relative)`);
    disposeParams(d);
    tf.dispose([...g, s, onehot, y]);
    disposeParams(p);
  }
});

Deno.test("dqnGrads() names actions or targets of the wrong shape", () => {
  const { p, s, onehot, y } = qBatch(6, 8);
  let msg = "";
  try {
    dqnGrads(p, s, onehot, tf.zeros([8, 2]) as tf.Tensor2D);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "dqnGrads(): onehot is [8,3] and y [8,2], expected [8, 3] and [8, 1]");
  tf.dispose([s, onehot, y]);
  disposeParams(p);
});
