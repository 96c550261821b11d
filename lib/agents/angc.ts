/**
 * The active neural generative coding agent (Ororbia & Mali 2022) as the
 * official code builds it (src/model/angc_model.py, src/train_agent.py): two
 * NGC circuits that learn from local errors, with either learning rule of
 * lib/agents/circuits.ts (`rule`).
 *
 * - Controller: state -> Q-values; a target copy is refreshed when the step
 *   within the episode is a multiple of `targetEvery` (50).
 * - Generator (world model): [state, one-hot action] -> next state. Its error
 *   on each new transition, ||s' - generator(s, a)||, measured before the
 *   update, is the epistemic signal, normalised by its running minimum (from
 *   0) and maximum.
 * - Replay of up to 1e6 transitions; once `batch` (512) are stored, every
 *   step samples a batch with replacement and settles both circuits on it:
 *   the controller towards onehot(a) y + (1 - onehot(a)) Q(s) with
 *   y = r + gamma max_a' Q_target(s') (1 - done), the generator towards s'.
 *   Each circuit has its own Adam (lr 0.002).
 * - Epsilon-greedy from 1.0, times 0.99991 per action, down to 0.01.
 *
 * With the released rule (`rule: "released"`, adjustments clipped at 100) the
 * controller's update is exactly DQN's gradient: the released ANGC is DQN
 * plus a generator whose only effect on the controller is through the reward
 * when it includes the epistemic term (with the `instrumental` reward, none).
 * The specified rule (`rule: "equations"`) is not backpropagation.
 *
 * Reward (`reward`): the released code computes r + epistemic but learns from
 * the instrumental reward r alone (`instrumental`); the paper describes
 * learning from both (`instrumental+epistemic`). Nothing here computes a
 * gradient (tests/lib/agents/angc_test.ts scans for it).
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { AngcAgent } from "./angc.ts";
 * import { releasedCircuit } from "./circuits.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const agent = new AngcAgent({
 *   observationSize: 2, actions: 3, hidden: [8, 8], eta: 0.002, gamma: 0.99, batch: 4,
 *   replayCapacity: 100, targetEvery: 50, circuit: releasedCircuit(100), reward: "instrumental",
 *   exploration: { start: 1, end: 0.01, decay: 0.99991 },
 * }, Rng.fromSeed(0));
 * const a = agent.act(Float32Array.of(-0.5, 0), Rng.fromSeed(1));
 * assert([0, 1, 2].includes(a), `action ${a}`);
 * agent.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ReplayBuffer } from "../models/replay_buffer.ts";
import { disposeParams, type Params } from "../optim/mod.ts";
import type { Circuit } from "./circuits.ts";
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

/** The agent's settings (train_agent.py's values in the experiment's defaults). */
export interface AngcConfig {
  observationSize: number;
  actions: number;
  /** Hidden layer sizes of both circuits ([256, 256]). */
  hidden: [number, number];
  /** Adam learning rate of both circuits (0.002). */
  eta: number;
  gamma: number;
  batch: number;
  replayCapacity: number;
  targetEvery: number;
  /** The learning rule of both circuits (lib/agents/circuits.ts). */
  circuit: Circuit;
  reward: "instrumental" | "instrumental+epistemic";
  exploration: Exploration;
}

const FIELDS = (n: number) => ({ s: n, a: 1, r: 1, e: 1, s2: n, d: 1 });

/** The ANGC agent. */
export class AngcAgent implements Agent {
  readonly kind = "angc";
  epsilon: number;
  private controller: Trainable;
  private target: Params;
  private world: Trainable;
  private replay: ReplayBuffer;
  /** Running bounds of the raw epistemic signal (the minimum starts at 0, the maximum at the first value). */
  private epiMin = 0;
  private epiMax: number | null = null;

  constructor(readonly cfg: AngcConfig, rng: Rng) {
    const { observationSize: n, actions: a, hidden, circuit } = cfg;
    this.controller = new Trainable(
      circuit.init(rng.stream("controller"), { inputs: n, hidden, outputs: a }),
      { lr: cfg.eta },
      circuit.constrain,
    );
    this.target = this.controller.copy();
    this.world = new Trainable(
      circuit.init(rng.stream("world"), { inputs: n + a, hidden, outputs: n }),
      { lr: cfg.eta },
      circuit.constrain,
    );
    this.replay = new ReplayBuffer(FIELDS(n), cfg.replayCapacity);
    this.epsilon = cfg.exploration.start;
  }

  /** Q-values of one observation. */
  qValues(obs: Float32Array): Float32Array {
    const q = tf.tidy(() => this.cfg.circuit.project(this.controller.params, tf.tensor2d(obs, [1, obs.length])));
    const out = row(q);
    q.dispose();
    return out;
  }

  act(obs: Float32Array, rng: Rng): number {
    const r = epsilonGreedy(this.epsilon, this.cfg.exploration, this.cfg.actions, rng, () => argmax(this.qValues(obs)));
    this.epsilon = r.epsilon;
    return r.action;
  }

  /** The generator's error on a transition: ||s' - generator(s, onehot a)||_2. */
  epistemic(s: Float32Array, a: number, s2: Float32Array): number {
    const n = s.length;
    const c = new Float32Array(n + this.cfg.actions);
    c.set(s);
    c[n + a] = 1;
    const mu = tf.tidy(() => this.cfg.circuit.project(this.world.params, tf.tensor2d(c, [1, c.length])));
    const m = row(mu);
    mu.dispose();
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (s2[i] - m[i]) ** 2;
    return Math.sqrt(sq);
  }

  private normalize(e: number): number {
    return (e - this.epiMin) / ((this.epiMax ?? e) - this.epiMin);
  }

  learn(step: Step, t: number, rng: Rng): LearnReport {
    const raw = this.epistemic(step.s, step.a, step.s2);
    this.epiMin = Math.min(this.epiMin, raw);
    this.epiMax = this.epiMax === null ? raw : Math.max(this.epiMax, raw);
    this.replay.record({ s: step.s, a: [step.a], r: [step.r], e: [raw], s2: step.s2, d: [step.done] });
    if (this.replay.size >= this.cfg.batch) this.update(rng);
    if (t % this.cfg.targetEvery === 0) {
      disposeParams(this.target);
      this.target = this.controller.copy();
    }
    return { epistemic: this.normalize(raw) };
  }

  /** One memory-driven settling of both circuits on a sampled batch. */
  private update(rng: Rng): void {
    const N = this.cfg.batch, n = this.cfg.observationSize, A = this.cfg.actions;
    const b = this.replay.sample(N, rng);
    const reward = Float32Array.from(
      b.r,
      (r, i) => (this.cfg.reward === "instrumental" ? r : r + this.normalize(b.e[i])),
    );
    const circuit = this.cfg.circuit;
    const [dc, dw] = tf.tidy(() => {
      const s = tf.tensor2d(b.s, [N, n]), s2 = tf.tensor2d(b.s2, [N, n]);
      const onehot = tf.cast(tf.oneHot(tf.tensor1d(Int32Array.from(b.a), "int32"), A), "float32") as tf.Tensor2D;
      const qMax = tf.max(circuit.project(this.target, s2), 1, true);
      const y = tf.add(
        tf.tensor2d(reward, [N, 1]),
        tf.mul(tf.mul(qMax, this.cfg.gamma), tf.sub(1, tf.tensor2d(b.d, [N, 1]))),
      );
      // onehot(a) y + (1 - onehot(a)) Q(s): the controller's own output except at the taken action.
      const target = (q: tf.Tensor2D) => tf.add(tf.mul(onehot, y), tf.mul(q, tf.sub(1, onehot))) as tf.Tensor2D;
      const c = tf.concat([s, onehot], 1) as tf.Tensor2D;
      return [circuit.updates(this.controller.params, s, target), circuit.updates(this.world.params, c, s2)];
    });
    this.controller.step(dc);
    this.world.step(dw);
  }

  endEpisode(): void {
    this.epsilon = episodeEpsilon(this.epsilon, this.cfg.exploration);
  }

  async save(): Promise<AgentSnapshot> {
    const c = await this.controller.save("controller"), w = await this.world.save("world");
    const tensors = {
      ...c.tensors,
      ...w.tensors,
      ...(await saveTargetAndReplay({ target: this.target, replay: this.replay })),
    };
    return {
      tensors,
      state: {
        epsilon: this.epsilon,
        epiMin: this.epiMin,
        epiMax: this.epiMax,
        replayCount: this.replay.count,
        controller: c.skeleton,
        world: w.skeleton,
      },
    };
  }

  restore(snap: AgentSnapshot): void {
    const s = snap.state as {
      epsilon: number;
      epiMin: number;
      epiMax: number | null;
      replayCount: number;
      controller: unknown;
      world: unknown;
    };
    this.controller.restore(snap.tensors, s.controller, "controller");
    this.world.restore(snap.tensors, s.world, "world");
    disposeParams(this.target);
    ({ target: this.target, replay: this.replay } = restoreTargetAndReplay(
      snap.tensors,
      Object.keys(this.controller.params),
      { fields: FIELDS(this.cfg.observationSize), capacity: this.cfg.replayCapacity, count: s.replayCount },
    ));
    this.epsilon = s.epsilon;
    this.epiMin = s.epiMin;
    this.epiMax = s.epiMax;
  }

  dispose(): void {
    this.controller.dispose();
    this.world.dispose();
    disposeParams(this.target);
  }
}
