/**
 * The specified NGC circuit (lib/models/ngc_equations.ts) against a float64
 * transcription of the seed document's equations (written from the equations
 * in the module doc, not from the implementation), and against
 * backpropagation, which it must not be.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import {
  clipNgcEquations,
  initNgcEquations,
  NGC_EQUATIONS_DEFAULTS,
  type NgcEquationsConfig,
  type NgcEquationsParams,
  ngcEquationsProject,
  ngcEquationsSettle,
  ngcEquationsUpdates,
} from "../../../lib/models/ngc_equations.ts";
import { disposeParams } from "../../../lib/optim/mod.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

type M = number[][];
const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
const T = (a: M): M => a[0].map((_, j) => a.map((r) => r[j]));
const map2 = (a: M, b: M, f: (x: number, y: number) => number): M => a.map((r, i) => r.map((v, j) => f(v, b[i][j])));
const map1 = (a: M, f: (x: number) => number): M => a.map((r) => r.map(f));
const relu = (a: M) => map1(a, (v) => Math.max(0, v));
const zeros = (n: number, m: number): M => Array.from({ length: n }, () => new Array(m).fill(0));

/**
 * The seed's equations in float64, row vectors, layers 0 (output, clamped to y) .. L (input, clamped to x):
 * for t = 1..T: d^l = e^{l-1} E^{l-1} - e^l, z^l += beta (-gamma_v z^l + d^l) for the hidden l; then
 * zbar^l = phi(z^{l+1}) W^l and e^l = (phi^l(z^l) - zbar^l) / (2 beta_e), phi^0 the identity; the first
 * step starts from e^0 = y / (2 beta_e). Then dW^l = -(1/N) phi(z^{l+1})^T e^l (.) M_W and
 * dE^l = gamma_e dW^l^T (.) M_E.
 */
function reference(W: M[], E: M[], x: M, y: M, c: NgcEquationsConfig): { dW: M[]; dE: M[]; e: M[] } {
  const L = W.length, n = x.length, k = 1 / (2 * c.betaE);
  const z: M[] = [y];
  for (let l = 1; l < L; l++) z.push(zeros(n, W[l][0].length));
  z.push(x);
  let e: M[] = [map1(y, (v) => v * k)];
  for (let l = 1; l < L; l++) e.push(zeros(n, W[l][0].length));
  for (let t = 0; t < c.steps; t++) {
    for (let l = 1; l < L; l++) {
      const d = map2(mm(e[l - 1], E[l - 1]), e[l], (a, b) => a - b);
      z[l] = map2(z[l], d, (zz, dd) => zz + c.beta * (-c.leak * zz + dd));
    }
    e = W.map((w, l) => map2(l === 0 ? z[0] : relu(z[l]), mm(relu(z[l + 1]), w), (a, b) => (a - b) * k));
  }
  const mod = (w: M) => map1(w, (v) => (c.modulation === "soft-bound" ? c.wBound - Math.abs(v) : 1));
  const dW = W.map((w, l) => map2(map1(mm(T(relu(z[l + 1])), e[l]), (v) => -v / n), mod(w), (a, b) => a * b));
  const dE = E.map((er, l) => map2(map1(T(dW[l]), (v) => c.gammaE * v), mod(er), (a, b) => a * b));
  return { dW, dE, e };
}

async function plain(p: NgcEquationsParams, prefix: string, L: number): Promise<M[]> {
  return await Promise.all(Array.from({ length: L }, (_, l) => p[`${prefix}${l}`].array() as Promise<M>));
}

function batch(seed: number, n: number, inputs: number, outputs: number) {
  const rng = Rng.fromSeed(seed);
  const x = Array.from({ length: n }, () => Array.from({ length: inputs }, () => rng.normal()));
  const y = Array.from({ length: n }, () => Array.from({ length: outputs }, () => 2 * rng.normal()));
  return { x, y };
}

function close(got: M, want: M, what: string): void {
  got.forEach((r, i) =>
    r.forEach((v, j) =>
      assert(
        Math.abs(v - want[i][j]) <= 2e-5 * (1 + Math.abs(want[i][j])),
        `${what}[${i}][${j}]: ${v} vs ${want[i][j]}`,
      )
    )
  );
}

Deno.test("ngcEquationsUpdates() follows the seed's settling and update equations (float64 reference)", async () => {
  const spec = { inputs: 3, hidden: [5, 4], outputs: 2 };
  const configs: NgcEquationsConfig[] = [
    NGC_EQUATIONS_DEFAULTS,
    // Every term switched on and away from its neutral value: leak, beta_e != 1/2, gamma_e, the soft bound.
    { ...NGC_EQUATIONS_DEFAULTS, steps: 7, beta: 0.3, leak: 0.05, betaE: 0.8, gammaE: 0.9, modulation: "soft-bound" },
  ];
  for (const cfg of configs) {
    const p = initNgcEquations(Rng.fromSeed(1), spec, { ...cfg, initStd: 0.5, maxColumnNorm: 0 });
    const { x, y } = batch(2, 6, 3, 2);
    const W = await plain(p, "w", 3), E = await plain(p, "e", 3);
    const ref = reference(W, E, x, y, cfg);
    const before = tf.memory().numTensors;
    const xt = tf.tensor2d(x), yt = tf.tensor2d(y);
    const u = ngcEquationsUpdates(p, xt, yt, cfg);
    for (let l = 0; l < 3; l++) {
      close((await u[`w${l}`].array()) as M, ref.dW[l], `dW${l} (${cfg.modulation}, T ${cfg.steps})`);
      close((await u[`e${l}`].array()) as M, ref.dE[l], `dE${l} (${cfg.modulation}, T ${cfg.steps})`);
      assert(Math.max(...ref.dW[l].flat().map(Math.abs)) > 1e-4, `dW${l} is not trivially zero`);
    }
    const settled = ngcEquationsSettle(p, xt, yt, cfg);
    for (let l = 0; l < 3; l++) close((await settled.e[l].array()) as M, ref.e[l], `e${l}`);
    settled.z.slice(1, 3).forEach((t) => t.dispose());
    settled.e.forEach((t) => t.dispose());
    disposeParams(u);
    tf.dispose([xt, yt]);
    assertEquals(tf.memory().numTensors, before, "no tensor is left behind");
    disposeParams(p);
  }
});

Deno.test("the specified rule is not backpropagation: its dW differs from the gradient of the projection's error", async () => {
  const spec = { inputs: 3, hidden: [6, 5], outputs: 2 };
  const p = initNgcEquations(Rng.fromSeed(3), spec, { initStd: 0.5, maxColumnNorm: 0 });
  const { x, y } = batch(4, 16, 3, 2);
  const xt = tf.tensor2d(x), yt = tf.tensor2d(y);
  const u = ngcEquationsUpdates(p, xt, yt, NGC_EQUATIONS_DEFAULTS);
  // The gradient of 1/2 ||y - project(x)||^2 / N with respect to every W.
  const names = ["w0", "w1", "w2"];
  const g = tf.grads((...ws: tf.Tensor[]) => {
    const q = ngcEquationsProject({ ...p, ...Object.fromEntries(names.map((k, i) => [k, ws[i] as tf.Tensor2D])) }, xt);
    return tf.div(tf.sum(tf.square(tf.sub(yt, q))), 2 * x.length) as tf.Scalar;
  })(names.map((k) => p[k]));
  for (let i = 0; i < names.length; i++) {
    const a = await u[names[i]].data(), b = await g[i].data();
    let dot = 0, na = 0, nb = 0;
    a.forEach((v, j) => {
      dot += v * b[j];
      na += v * v;
      nb += b[j] * b[j];
    });
    const cos = dot / Math.sqrt(na * nb);
    assert(cos < 0.9, `${names[i]}: cosine ${cos} between the specified update and backprop's gradient`);
  }
  disposeParams(u);
  tf.dispose([...g, xt, yt]);
  disposeParams(p);
});

Deno.test("clipNgcEquations() rescales every column of W and E to norm at most the bound, and no further", () => {
  const p = initNgcEquations(Rng.fromSeed(5), { inputs: 4, hidden: [7], outputs: 3 }, {
    initStd: 1,
    maxColumnNorm: 0,
  });
  const c = clipNgcEquations(p, 1);
  for (const k of Object.keys(p)) {
    const before = tf.norm(p[k], "euclidean", 0).dataSync(), after = tf.norm(c[k], "euclidean", 0).dataSync();
    before.forEach((b, j) => {
      const want = Math.min(b, 1);
      assert(Math.abs(after[j] - want) < 1e-5, `${k} column ${j}: ${b} -> ${after[j]}`);
    });
  }
  disposeParams(p);
  disposeParams(c);
});

Deno.test("ngcEquations functions name a batch of the wrong shape", () => {
  const p = initNgcEquations(Rng.fromSeed(0), { inputs: 2, hidden: [3], outputs: 1 }, NGC_EQUATIONS_DEFAULTS);
  let msg = "";
  try {
    ngcEquationsUpdates(p, tf.zeros([4, 2]) as tf.Tensor2D, tf.zeros([4, 2]) as tf.Tensor2D, NGC_EQUATIONS_DEFAULTS);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "ngcEquationsSettle(): y is [4,2], expected [4, 1]");
});

Deno.test("initNgcEquations() names bad layer sizes", () => {
  const bad = (hidden: number[]) => {
    try {
      initNgcEquations(Rng.fromSeed(0), { inputs: 2, hidden, outputs: 1 }, NGC_EQUATIONS_DEFAULTS);
      return "";
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert(bad([]).includes("at least one hidden layer"), bad([]));
  assert(bad([3, 0]).includes("layer sizes must be positive integers"), bad([3, 0]));
});
