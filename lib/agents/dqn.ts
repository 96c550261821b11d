/**
 * The DQN baseline: the controller's network (the same layers and leaky
 * ReLU, lib/models/ngc.ts's projection) trained by backpropagation on the
 * same replay, batch, exploration, discount and target-network schedule as
 * ANGC, so that only the learning rule differs. The loss is half the squared
 * TD error of the taken action, averaged over the batch (whose gradient at
 * the output is the controller's output error), minimised by Adam at the
 * same learning rate. The gradient is backpropagation written out
 * (`dqnGrads`, checked against `tf.grads` of `dqnLoss`), with explicit
 * transposes: tfjs-wasm's matMul with a transpose flag, which the tape's
 * matMul gradient uses, is about ten times slower than a transpose and a plain
 * product.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { DqnAgent } from "./dqn.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const agent = new DqnAgent({
 *   observationSize: 4, actions: 2, hidden: [8, 8], eta: 0.002, gamma: 0.99, batch: 4,
 *   replayCapacity: 100, targetEvery: 50, exploration: { start: 1, end: 0.01, decay: 0.99991 },
 * }, Rng.fromSeed(0));
 * const a = agent.act(new Float32Array(4), Rng.fromSeed(1));
 * assert(a === 0 || a === 1, `action ${a}`);
 * agent.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initNgc, NGC_PARAMS, ngcForward, type NgcParams, ngcProject } from "../models/ngc.ts";
import { ReplayBuffer } from "../models/replay_buffer.ts";
import { disposeParams, type Params } from "../optim/mod.ts";
import type { Rng } from "../rng/mod.ts";
import { restoreTargetAndReplay, row, saveTargetAndReplay, Trainable } from "./trainable.ts";
import {
  type Agent,
  type AgentSnapshot,
  argmax,
  episodeEpsilon,
  epsilonGreedy,
  type Exploration,
  type LearnReport,
  type Step,
} from "./types.ts";

/** The baseline's settings. */
export interface DqnConfig {
  observationSize: number;
  actions: number;
  hidden: [number, number];
  eta: number;
  gamma: number;
  batch: number;
  replayCapacity: number;
  targetEvery: number;
  exploration: Exploration;
}

const FIELDS = (n: number) => ({ s: n, a: 1, r: 1, s2: n, d: 1 });

/** Half the squared TD error of the taken actions, mean over the batch. q: [N, A]. */
export function dqnLoss(q: tf.Tensor2D, onehot: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() =>
    tf.div(tf.sum(tf.square(tf.sub(y, tf.sum(tf.mul(q, onehot), 1, true)))), 2 * q.shape[0]) as tf.Scalar
  );
}

/**
 * The gradient of `dqnLoss(ngcProject(p, s), onehot, y)` with respect to every
 * parameter, by backpropagation written out. s: [N, n_x], onehot: [N, A],
 * y: [N, 1].
 */
export function dqnGrads(p: NgcParams, s: tf.Tensor2D, onehot: tf.Tensor2D, y: tf.Tensor2D): NgcParams {
  const n = s.shape[0];
  if (onehot.shape[0] !== n || onehot.shape[1] !== p.w3.shape[1] || y.shape[0] !== n || y.shape[1] !== 1) {
    throw new Error(
      `dqnGrads(): onehot is [${onehot.shape}] and y [${y.shape}], expected [${n}, ${p.w3.shape[1]}] and [${n}, 1]`,
    );
  }
  return tf.tidy(() => {
    const { h1, z1, h2, z2, h3 } = ngcForward(p, s);
    // d loss / d h3 = -(y - q_a) onehot / N, nonzero only at the taken action.
    const d3 = tf.div(tf.mul(tf.sub(tf.sum(tf.mul(h3, onehot), 1, true), y), onehot), n) as tf.Tensor2D;
    // Through the leaky ReLU as tfjs's own LeakyRelu gradient: slope 1 where h > 0, else 0.01 (tf.step).
    const d2 = tf.mul(tf.matMul(d3, tf.transpose(p.w3)), tf.step(h2, 0.01)) as tf.Tensor2D;
    const d1 = tf.mul(tf.matMul(d2, tf.transpose(p.w2)), tf.step(h1, 0.01)) as tf.Tensor2D;
    const w = (pre: tf.Tensor, d: tf.Tensor2D) => tf.matMul(tf.transpose(pre as tf.Tensor2D), d) as tf.Tensor2D;
    const b = (d: tf.Tensor2D) => tf.sum(d, 0, true) as tf.Tensor2D;
    return { w1: w(s, d1), w2: w(z1, d2), w3: w(z2, d3), b1: b(d1), b2: b(d2), b3: b(d3) };
  });
}

/** Deep Q-learning. */
export class DqnAgent implements Agent {
  readonly kind = "dqn";
  epsilon: number;
  private net: Trainable<NgcParams>;
  private target: NgcParams;
  private replay: ReplayBuffer;

  constructor(readonly cfg: DqnConfig, rng: Rng) {
    const { observationSize: n, actions: a, hidden } = cfg;
    this.net = new Trainable(
      initNgc(rng.stream("controller"), { inputs: n, hidden, outputs: a }),
      { lr: cfg.eta },
    );
    this.target = this.net.copy();
    this.replay = new ReplayBuffer(FIELDS(n), cfg.replayCapacity);
    this.epsilon = cfg.exploration.start;
  }

  act(obs: Float32Array, rng: Rng): number {
    const r = epsilonGreedy(this.epsilon, this.cfg.exploration, this.cfg.actions, rng, () => {
      const q = tf.tidy(() => ngcProject(this.net.params, tf.tensor2d(obs, [1, obs.length])));
      const v = row(q);
      q.dispose();
      return argmax(v);
    });
    this.epsilon = r.epsilon;
    return r.action;
  }

  learn(step: Step, t: number, rng: Rng): LearnReport {
    this.replay.record({ s: step.s, a: [step.a], r: [step.r], s2: step.s2, d: [step.done] });
    if (this.replay.size >= this.cfg.batch) this.update(rng);
    if (t % this.cfg.targetEvery === 0) {
      disposeParams(this.target);
      this.target = this.net.copy();
    }
    return { epistemic: null };
  }

  private update(rng: Rng): void {
    const N = this.cfg.batch, n = this.cfg.observationSize;
    const b = this.replay.sample(N, rng);
    const grads = tf.tidy(() => {
      const s = tf.tensor2d(b.s, [N, n]), s2 = tf.tensor2d(b.s2, [N, n]);
      const onehot = tf.cast(
        tf.oneHot(tf.tensor1d(Int32Array.from(b.a), "int32"), this.cfg.actions),
        "float32",
      ) as tf.Tensor2D;
      const qMax = tf.max(ngcProject(this.target, s2), 1, true);
      const y = tf.add(
        tf.tensor2d(b.r, [N, 1]),
        tf.mul(tf.mul(qMax, this.cfg.gamma), tf.sub(1, tf.tensor2d(b.d, [N, 1]))),
      ) as tf.Tensor2D;
      return dqnGrads(this.net.params, s, onehot, y) as Params;
    });
    this.net.step(grads);
  }

  endEpisode(): void {
    this.epsilon = episodeEpsilon(this.epsilon, this.cfg.exploration);
  }

  async save(): Promise<AgentSnapshot> {
    const c = await this.net.save("controller");
    const tensors = { ...c.tensors, ...(await saveTargetAndReplay({ target: this.target, replay: this.replay })) };
    return { tensors, state: { epsilon: this.epsilon, replayCount: this.replay.count, controller: c.skeleton } };
  }

  restore(snap: AgentSnapshot): void {
    const s = snap.state as { epsilon: number; replayCount: number; controller: unknown };
    this.net.restore(snap.tensors, s.controller, "controller");
    disposeParams(this.target);
    const restored = restoreTargetAndReplay(snap.tensors, [...NGC_PARAMS], {
      fields: FIELDS(this.cfg.observationSize),
      capacity: this.cfg.replayCapacity,
      count: s.replayCount,
    });
    this.target = restored.target as NgcParams;
    this.replay = restored.replay;
    this.epsilon = s.epsilon;
  }

  dispose(): void {
    this.net.dispose();
    disposeParams(this.target);
  }
}
