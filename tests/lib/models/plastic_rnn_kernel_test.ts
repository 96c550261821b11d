import { assert, assertEquals } from "../../helpers/assert.ts";
import {
  initPlasticRnn,
  PLASTIC_VARIANTS,
  plasticRnnBackward,
  type PlasticRnnParams,
  type PlasticRnnSpec,
  unroll,
  type UnrollDriver,
} from "../../../lib/models/plastic_rnn.ts";
import { backwardKernel, unrollKernel } from "../../../lib/models/plastic_rnn_kernel.ts";
import { PLASTIC_KERNEL_PARAMS } from "../../../lib/kernels/plastic_rnn.ts";
import { Rng } from "../../../lib/rng/mod.ts";

/** A driver replaying recorded inputs [T, B, I] and actions [T, B]. */
function replay(x: Float32Array, actions: Int32Array, B: number, I: number): UnrollDriver {
  return {
    observe: (t, xt) => xt.set(x.subarray(t * B * I, (t + 1) * B * I)),
    act: (t, _p, a) => a.set(actions.subarray(t * B, (t + 1) * B)),
  };
}

/** Parameters with plasticity strong enough for the traces to matter and to reach the clip. */
function params(spec: PlasticRnnSpec, seed: number): PlasticRnnParams {
  const p = initPlasticRnn(Rng.fromSeed(seed).stream("init"), spec);
  if (p["alpha"]) p["alpha"] = p["alpha"].map((v) => 60 * v);
  if (p["eta"]) p["eta"][0] = 0.3;
  if (p["etaet"]) p["etaet"][0] = 0.3;
  return p;
}

function episodes(seed: number, T: number, B: number, I: number, A: number) {
  const rng = Rng.fromSeed(seed).stream("ep");
  const x = Float32Array.from({ length: T * B * I }, () => (rng.uniform() < 0.3 ? 1 : 0));
  const actions = Int32Array.from({ length: T * B }, () => rng.int(A));
  return { x, actions };
}

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

for (const [variant, hidden] of PLASTIC_VARIANTS.flatMap((v) => [[v, 10], [v, 11]] as const)) {
  Deno.test(`unrollKernel() and backwardKernel() match the fused path within float32 rounding (${variant}, H ${hidden})`, () => {
    // Neither 10 nor 11 is a multiple of 4 (the padding columns), and 11 leaves the kernels' row pairs an odd last row.
    const spec: PlasticRnnSpec = {
      variant,
      inputs: 17,
      hidden,
      actions: 4,
      traceClip: variant === "modul" ? 0.05 : 0.5,
    };
    const p = params(spec, 3);
    const T = 60, B = 3;
    const ep = episodes(4, T, B, 17, 4);
    const fused = unroll(p, spec, B, T, replay(ep.x, ep.actions, B, 17));
    const kern = unrollKernel(p, spec, B, T, replay(ep.x, ep.actions, B, 17));
    if (variant !== "rnn") {
      const clipped = fused.trace.filter((v) => Math.abs(v) === Math.fround(spec.traceClip)).length;
      assert(clipped > 0, `${variant}: the traces never reached the clip, which the test would then not check`);
    }
    for (const k of ["logits", "values"] as const) {
      const d = maxAbs(fused[k].map((v, i) => v - kern[k][i]));
      assert(d <= 1e-4 * Math.max(1, maxAbs(fused[k])), `${variant} ${k}: largest difference ${d}`);
    }
    const rng = Rng.fromSeed(9);
    const gLogits = Float64Array.from({ length: T * B * 4 }, () => rng.normal());
    const gValues = Float64Array.from({ length: T * B }, () => rng.normal());
    const gf = plasticRnnBackward(p, fused, gLogits, gValues);
    const gk = backwardKernel(p, kern, gLogits, gValues);
    for (const [name, v] of Object.entries(gf)) {
      const scale = Math.max(maxAbs(v), 1e-6), d = maxAbs(v.map((x, i) => x - gk[name][i]));
      assert(d <= 1e-4 * scale, `${variant} d/d ${name}: largest difference ${d}, scale ${scale}`);
    }
    assert(Object.values(gf).some((v) => maxAbs(v) > 1e-3), "every gradient is (near) zero");
  });
}

Deno.test("the kernel path gives the same bits on every run", () => {
  const spec: PlasticRnnSpec = { variant: "modplast-fanout", inputs: 17, hidden: 12, actions: 4, traceClip: 2 };
  const p = params(spec, 1);
  const ep = episodes(2, 40, 2, 17, 4);
  const run = () => {
    const traj = unrollKernel(p, spec, 2, 40, replay(ep.x, ep.actions, 2, 17));
    const g = backwardKernel(p, traj, new Float64Array(40 * 2 * 4).fill(0.1), new Float64Array(40 * 2).fill(-0.2));
    return [Array.from(traj.logits), ...Object.values(g).map((v) => Array.from(v))];
  };
  assertEquals(run(), run());
});

Deno.test("PLASTIC_KERNEL_PARAMS names each kernel's parameters in the order of its AssemblyScript signature", async () => {
  const source = await Deno.readTextFile(new URL("../../../lib/kernels/assembly/plastic_rnn.ts", import.meta.url));
  const signatures = new Map(
    [...source.matchAll(/export function (\w+)\(([^)]*)\)/g)].map((m) => [
      m[1],
      m[2].split(",").map((s) => s.trim().split(":")[0].trim()).filter(Boolean),
    ]),
  );
  assertEquals(new Set(Object.keys(PLASTIC_KERNEL_PARAMS)), new Set(signatures.keys()));
  for (const [name, list] of Object.entries(PLASTIC_KERNEL_PARAMS)) assertEquals([...list], signatures.get(name), name);
});
