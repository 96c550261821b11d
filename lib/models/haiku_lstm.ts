/**
 * Haiku's LSTM (`hk.LSTM`), as the meta-RL replication uses it, with linear
 * heads: one linear layer on [x, h] gives the gates in the order input, cell,
 * forget, output; the forget gate gets a bias of +1; weights are
 * truncated-normal with standard deviation 1 / sqrt(fan_in), biases zero.
 *
 * Parameter names follow Haiku's (`lstm/linear.w` [I + H, 4H], ...).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { Rng } from "../rng/mod.ts";
 * import { initActorCritic, actorCriticStep, zeroState } from "./haiku_lstm.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const p = initActorCritic(Rng.fromSeed(0).stream("init"), { inputs: 3, units: 48, actions: 2 });
 * const out = actorCriticStep(p, tf.zeros([5, 3]), zeroState(5, 48));
 * assertEquals([out.logits.shape, out.value.shape], [[5, 2], [5]]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { truncatedNormal } from "./conv_bernoulli_net.ts";
import type { Rng } from "../rng/mod.ts";

/** Parameter names in a fixed order. */
export const ACTOR_CRITIC_PARAMS = ["lstm.w", "lstm.b", "policy.w", "policy.b", "value.w", "value.b"] as const;

/** Parameters by name. */
export type ActorCriticParams = Record<typeof ACTOR_CRITIC_PARAMS[number], tf.Tensor>;

/** An LSTM state: h and c, [B, H] each. */
export interface LstmState {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

/** Sizes. */
export interface ActorCriticShape {
  inputs: number;
  units: number;
  actions: number;
}

/** Haiku-default initialisation; streams "lstm", "policy", "value". */
export function initActorCritic(rng: Rng, s: ActorCriticShape): ActorCriticParams {
  const fan = s.inputs + s.units;
  return {
    "lstm.w": tf.tensor2d(truncatedNormal(rng.stream("lstm"), fan * 4 * s.units, 1 / Math.sqrt(fan)), [
      fan,
      4 * s.units,
    ]),
    "lstm.b": tf.zeros([4 * s.units]),
    "policy.w": tf.tensor2d(truncatedNormal(rng.stream("policy"), s.units * s.actions, 1 / Math.sqrt(s.units)), [
      s.units,
      s.actions,
    ]),
    "policy.b": tf.zeros([s.actions]),
    "value.w": tf.tensor2d(truncatedNormal(rng.stream("value"), s.units, 1 / Math.sqrt(s.units)), [s.units, 1]),
    "value.b": tf.zeros([1]),
  };
}

/** Zero state for a batch. */
export function zeroState(batch: number, units: number): LstmState {
  return { h: tf.zeros([batch, units]), c: tf.zeros([batch, units]) };
}

/**
 * One step for a batch.
 * @param x inputs: [B, I]
 * @returns logits [B, A], value [B], next state
 */
export function actorCriticStep(
  p: ActorCriticParams,
  x: tf.Tensor2D,
  state: LstmState,
): { logits: tf.Tensor2D; value: tf.Tensor1D; state: LstmState } {
  const H = state.h.shape[1];
  if (p["lstm.w"].shape[0] !== x.shape[1] + H) {
    throw new Error(
      `actorCriticStep(): x is [${x.shape}] and h is [${state.h.shape}], but lstm.w is [${p["lstm.w"].shape}]`,
    );
  }
  return tf.tidy(() => {
    const gated = tf.add(tf.matMul(tf.concat([x, state.h], 1), p["lstm.w"] as tf.Tensor2D), p["lstm.b"]);
    const [i, g, f, o] = tf.split(gated, 4, 1);
    const c = tf.add(tf.mul(tf.sigmoid(tf.add(f, 1)), state.c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    const h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(h, p["policy.w"] as tf.Tensor2D), p["policy.b"]) as tf.Tensor2D;
    const value = tf.reshape(tf.add(tf.matMul(h, p["value.w"] as tf.Tensor2D), p["value.b"]), [-1]) as tf.Tensor1D;
    return { logits, value, state: { h, c } };
  });
}

/**
 * The LSTM core as plain arrays (for rollouts and for the sequence op's
 * forward and backward): w [(I + H) x 4H] row-major, b [4H], gates i, g, f, o,
 * forget bias +1.
 */
export interface LstmArrays {
  w: Float32Array;
  b: Float32Array;
  inputs: number;
  units: number;
}

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * One step for B examples, in place: h and c [B x H] are read and replaced.
 * Optionally records the step's gate values into `gates` [B x 4H] (after the
 * nonlinearities) and the new cell into `cOut` for backpropagation.
 */
export function lstmStepArrays(
  p: LstmArrays,
  x: Float32Array,
  h: Float32Array,
  c: Float32Array,
  B: number,
  gates?: Float32Array,
): void {
  const I = p.inputs, H = p.units, G = 4 * H;
  const z = new Float64Array(G);
  for (let bi = 0; bi < B; bi++) {
    for (let k = 0; k < G; k++) z[k] = p.b[k];
    for (let j = 0; j < I; j++) {
      const v = x[bi * I + j];
      if (v === 0) continue;
      const row = j * G;
      for (let k = 0; k < G; k++) z[k] += v * p.w[row + k];
    }
    for (let j = 0; j < H; j++) {
      const v = h[bi * H + j];
      if (v === 0) continue;
      const row = (I + j) * G;
      for (let k = 0; k < G; k++) z[k] += v * p.w[row + k];
    }
    for (let u = 0; u < H; u++) {
      const ig = sig(z[u]), gg = Math.tanh(z[H + u]), fg = sig(z[2 * H + u] + 1), og = sig(z[3 * H + u]);
      const cn = fg * c[bi * H + u] + ig * gg;
      c[bi * H + u] = cn;
      h[bi * H + u] = og * Math.tanh(cn);
      if (gates) {
        gates[bi * G + u] = ig;
        gates[bi * G + H + u] = gg;
        gates[bi * G + 2 * H + u] = fg;
        gates[bi * G + 3 * H + u] = og;
      }
    }
  }
}

/**
 * The LSTM over a sequence from zero state, with a hand-written backward
 * pass (backpropagation through time in plain loops): tfjs would run it as
 * hundreds of small ops per step. Tests check it against tfjs autodiff of
 * actorCriticStep.
 * @param x [T, B, I]
 * @param w [I + H, 4H]
 * @param b [4H]
 * @returns h [T, B, H]
 */
export const lstmSequence: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor3D = (x, w, b) =>
  lstmSequenceWith(null)(x, w, b);

/** What a forward pass over a sequence recorded: h and c [T, B, H], gates [T, B, 4H] (after the nonlinearities). */
export interface LstmTrace {
  hs: Float32Array;
  cs: Float32Array;
  gates: Float32Array;
}

/**
 * The forward pass of lstmSequence in plain arrays, from zero state:
 * x [T, B, I] -> the trace. A rollout that records it lets the gradient skip
 * recomputing the same forward pass (lstmSequenceWith).
 */
export function lstmForward(p: LstmArrays, xs: Float32Array, T: number, B: number): LstmTrace {
  const I = p.inputs, H = p.units;
  const hs = new Float32Array(T * B * H), cs = new Float32Array(T * B * H), gates = new Float32Array(T * B * 4 * H);
  const h = new Float32Array(B * H), c = new Float32Array(B * H);
  for (let t = 0; t < T; t++) {
    lstmStepArrays(
      p,
      xs.subarray(t * B * I, (t + 1) * B * I),
      h,
      c,
      B,
      gates.subarray(t * B * 4 * H, (t + 1) * B * 4 * H),
    );
    hs.set(h, t * B * H);
    cs.set(c, t * B * H);
  }
  return { hs, cs, gates };
}

/**
 * lstmSequence with the forward pass given: `trace` must be lstmForward of
 * the same x, w and b (a rollout's record), and is then used as is; null
 * computes it. The result and gradients are the same either way, bit for bit.
 */
export function lstmSequenceWith(trace: LstmTrace | null): (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor3D {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, b, save] = args as [tf.Tensor3D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const [T, B, I] = x.shape;
    const H = w.shape[1] / 4;
    if (w.shape[0] !== I + H) throw new Error(`lstmSequence(): w must be [${I} + H, 4H], got [${w.shape}]`);
    const fwd = trace ??
      lstmForward(
        { w: w.dataSync() as Float32Array, b: b.dataSync() as Float32Array, inputs: I, units: H },
        x.dataSync() as Float32Array,
        T,
        B,
      );
    if (fwd.hs.length !== T * B * H) {
      throw new Error(`lstmSequenceWith(): the trace holds ${fwd.hs.length} values of h, x needs ${T * B * H}`);
    }
    const hOut = tf.tensor3d(fwd.hs, [T, B, H]);
    save([x, w, b, tf.tensor1d(fwd.cs), tf.tensor1d(fwd.gates), hOut]);
    return {
      value: hOut,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, , scs, sg, sh] = saved;
        const dh = dy.dataSync() as Float32Array;
        const grads = lstmBackward(
          { w: sw.dataSync() as Float32Array, b: new Float32Array(4 * H), inputs: I, units: H },
          sx.dataSync() as Float32Array,
          sh.dataSync() as Float32Array,
          scs.dataSync() as Float32Array,
          sg.dataSync() as Float32Array,
          dh,
          T,
          B,
        );
        return [tf.tensor3d(grads.dx, [T, B, I]), tf.tensor2d(grads.dw, [I + H, 4 * H]), tf.tensor1d(grads.db)];
      },
    };
  }) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor3D;
}

/** Backpropagation through time for lstmSequence (float64 accumulation). */
export function lstmBackward(
  p: LstmArrays,
  xs: Float32Array,
  hs: Float32Array,
  cs: Float32Array,
  gates: Float32Array,
  dhOut: Float32Array,
  T: number,
  B: number,
): { dx: Float32Array; dw: Float32Array; db: Float32Array } {
  const I = p.inputs, H = p.units, G = 4 * H;
  const dw = new Float64Array((I + H) * G), db = new Float64Array(G), dx = new Float32Array(T * B * I);
  const dhNext = new Float64Array(B * H), dcNext = new Float64Array(B * H);
  const dz = new Float64Array(G);
  for (let t = T - 1; t >= 0; t--) {
    for (let bi = 0; bi < B; bi++) {
      const base = (t * B + bi) * H, gbase = (t * B + bi) * G;
      for (let u = 0; u < H; u++) {
        const ig = gates[gbase + u],
          gg = gates[gbase + H + u],
          fg = gates[gbase + 2 * H + u],
          og = gates[gbase + 3 * H + u];
        const cn = cs[base + u], tc = Math.tanh(cn);
        const cPrev = t > 0 ? cs[((t - 1) * B + bi) * H + u] : 0;
        const dh = dhOut[base + u] + dhNext[bi * H + u];
        const dc = dh * og * (1 - tc * tc) + dcNext[bi * H + u];
        dz[u] = dc * gg * ig * (1 - ig); // input gate
        dz[H + u] = dc * ig * (1 - gg * gg); // cell candidate
        dz[2 * H + u] = dc * cPrev * fg * (1 - fg); // forget gate
        dz[3 * H + u] = dh * tc * og * (1 - og); // output gate
        dcNext[bi * H + u] = dc * fg;
      }
      for (let k = 0; k < G; k++) db[k] += dz[k];
      // z = [x, h_prev] w + b: gradients for w and for [x, h_prev].
      for (let j = 0; j < I; j++) {
        const v = xs[(t * B + bi) * I + j];
        let s = 0;
        const row = j * G;
        for (let k = 0; k < G; k++) {
          if (v !== 0) dw[row + k] += v * dz[k];
          s += p.w[row + k] * dz[k];
        }
        dx[(t * B + bi) * I + j] = s;
      }
      for (let j = 0; j < H; j++) {
        const v = t > 0 ? hs[((t - 1) * B + bi) * H + j] : 0;
        let s = 0;
        const row = (I + j) * G;
        for (let k = 0; k < G; k++) {
          if (v !== 0) dw[row + k] += v * dz[k];
          s += p.w[row + k] * dz[k];
        }
        dhNext[bi * H + j] = s;
      }
    }
  }
  return { dx, dw: Float32Array.from(dw), db: Float32Array.from(db) };
}
