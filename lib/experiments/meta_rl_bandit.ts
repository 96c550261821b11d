/**
 * Meta-RL on two-armed bandits (Wang et al. 2018), as replicated in JAX by
 * nathanwispinski/meta-rl: an LSTM actor-critic trained across many bandit
 * episodes learns, with its weights frozen, to explore and then exploit
 * within an episode.
 *
 * As the replication (configs/bandit_config_train.py, modules/agents.py):
 * - input [one-hot previous action, previous reward], zeros at an episode's
 *   start; Haiku LSTM(48) with linear policy and value heads; actions sampled
 *   from softmax(logits); 100 trials per episode, state reset per episode;
 * - loss per episode: delta_t = r_t + 0.9 d_t V_{t+1} - V_t (target not
 *   differentiated, d = 0 at the last trial); -mean_t log pi(a_t) delta_t
 *   + 0.05 mean_t delta_t^2 + beta sum_t sum_a pi log pi (beta's power-3
 *   schedule runs from 0 to 0, so it is off);
 * - Adam whose learning rate decays linearly from 3e-4 to 0, with
 *   clip_by_global_norm(50) applied to Adam's update; 20,000 episodes.
 *
 * Bug of the replication, reproducible as `reference_quirks: [lr_schedule_half]`:
 * its schedule length is total_steps / max_unroll_steps = 2,000,000 / 200 =
 * 10,000 updates, but updates come after every 100-trial episode, so the
 * learning rate is 0 for the second half of training. By default the decay
 * spans all of training.
 *
 * Workers (`update: workers`, the default): the replication runs 5
 * asynchronous workers; each plays an episode with the parameters the manager
 * last sent it, and the manager applies each episode's gradient on its own,
 * to whatever the shared parameters are by then. Here that is made
 * deterministic as a round robin: in each round the `batch_episodes` workers
 * play one episode each, with the parameters each got back after its own
 * previous update, and their gradients are applied one at a time in worker
 * order. From the second round on, every gradient is applied to parameters
 * four updates newer than the ones it was computed on (the other four
 * workers' updates came in between); in the first round the staleness is
 * 0, 1, 2, 3, 4. The run's log states the staleness of every update. The
 * replication's true asynchrony (staleness depending on timing) is not
 * reproducible bit for bit, so this fixed schedule stands in for it.
 * `update: mean` (profile mean-updates) instead makes one update per round on
 * the mean loss of its episodes, all played with the same parameters: a fifth
 * of the Adam steps, no staleness.
 *
 * After training, with frozen parameters: the replication's 101 episodes with
 * p1 = 0, 0.01, ..., 1 (the action raster), and 1,000 random episodes on
 * which the agent and the baselines (random, oracle, Thompson sampling, UCB1,
 * Bayes-optimal) are compared by cumulative regret.
 *
 * Beyond the replication (issue 11), each with its default off or equal to
 * the replication's behaviour where it changes training:
 * - `trial_input`: the trial number t / T as a fourth input (Wang et al.
 *   2016); `entropy_end: null`: a constant entropy cost;
 * - the learning curve of the frozen agent: before training and every
 *   `curve_every` episodes, a frozen copy plays the same `validation_episodes`
 *   random episodes (its own draws, never the test episodes), recording the
 *   regret at the last trial and the fraction of trials on which it picks an
 *   arm the Bayes-optimal policy would pick after the same history; the
 *   baselines play them once (table `validation`). A random search selects
 *   its settings on this table and reports the test episodes;
 * - the policy map: after `map_pulls` pulls of each arm with s1 and s2
 *   successes, in `map_orders` random orders, the agent's mean probability
 *   of choosing arm 1 next, against the Bayes-optimal choice.
 *
 * Speed: a rollout records the LSTM's forward pass and the gradient reuses it
 * (lstmSequenceWith) instead of recomputing it; the numbers are the same bit
 * for bit.
 *
 * @example
 * ```ts
 * import { metaRlBandit } from "./meta_rl_bandit.ts";
 * // deno task reproduce meta-rl-bandit --profile quick
 * const c = metaRlBandit.config.parse({});
 * c.units; // 48
 * metaRlBandit.tables(c).map((t) => t.name); // ["metrics", "regret", "raster"]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { bayesOptimalArms, makePolicy, POLICY_NAMES, type PolicyName } from "../baselines/bandit_policies.ts";
import { type Experiment, f64Metric, type RunContext, type TableSpec } from "../engine/experiment.ts";
import { armProbabilities, observation, pull, regret } from "../envs/two_armed_bandit.ts";
import {
  ACTOR_CRITIC_PARAMS,
  type ActorCriticParams,
  initActorCritic,
  type LstmArrays,
  lstmSequenceWith,
  lstmStepArrays,
  type LstmTrace,
} from "../models/haiku_lstm.ts";
import { stopGradient } from "../models/stop_gradient.ts";
import {
  adam,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  cloneParams,
  disposeParams,
  disposeState,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
  zipParams,
} from "../optim/mod.ts";
import type { Rng } from "../rng/mod.ts";

/** Hyperparameters; defaults are the replication's bandit_config_train.py. */
export const MetaRlConfig = z.strictObject({
  structure: z.enum(["correlated", "independent"]).default("correlated").describe(
    "how arm probabilities are drawn (reward_structure)",
  ),
  trials: z.number().int().positive().default(100).describe("trials per episode (steps_per_episode)"),
  units: z.number().int().positive().default(48).describe("LSTM units (num_lstm_units)"),
  gamma: z.number().min(0).max(1).default(0.9).describe("discount"),
  value_coef: z.number().nonnegative().default(0.05).describe("critic loss coefficient (v_loss_coef)"),
  entropy_start: z.number().default(0).describe("entropy coefficient at the start (e_loss_coef_start)"),
  entropy_end: z.number().nullable().default(0).describe(
    "entropy coefficient at the end of the decay (e_loss_coef_end); null: constant at entropy_start, as A3C's entropy cost (Mirowski et al. 2016, whose training Wang et al. 2016 follow)",
  ),
  entropy_power: z.number().positive().default(3).describe(
    "power of the entropy coefficient's decay (e_loss_decay_factor)",
  ),
  lr_start: z.number().nonnegative().default(3e-4).describe("Adam learning rate at the start"),
  lr_end: z.number().nonnegative().default(0).describe("learning rate at and after the end of the decay"),
  decay_episodes: z.number().int().positive().nullable().default(null)
    .describe(
      "episodes over which the learning rate and entropy coefficient decay (null: all of training; see reference_quirks)",
    ),
  max_unroll_steps: z.number().int().positive().default(200).describe(
    "the replication's unroll length (only used by the quirk lr_schedule_half)",
  ),
  reference_quirks: z.array(z.enum(["lr_schedule_half"])).default([])
    .describe(
      "lr_schedule_half: the replication's schedule length episodes x trials / max_unroll_steps (10,000), which ends halfway because updates come every 100-trial episode, not every 200 steps; the learning rate is 0 for the second half",
    ),
  clip_global_norm: z.number().positive().default(50).describe(
    "global-norm clipping of Adam's update (after Adam, as optax.chain)",
  ),
  episodes: z.number().int().positive().default(20000).describe(
    "training episodes (total_training_steps / steps_per_episode)",
  ),
  batch_episodes: z.number().int().positive().default(5).describe(
    "episodes played together per round (the replication's 5 workers)",
  ),
  update: z.enum(["workers", "mean"]).default("workers")
    .describe(
      "workers: each episode's gradient is one update, as the replication's manager applies them (in worker order, each computed on the parameters its worker got back after its previous update); mean: one update on the batch's mean loss",
    ),
  eval_every: z.number().int().positive().default(2000).describe(
    "episodes between evaluations (eval_every_steps / 100)",
  ),
  eval_episodes: z.number().int().positive().default(400).describe(
    "episodes per evaluation during training (num_eval_episodes)",
  ),
  test_episodes: z.number().int().positive().default(1000).describe(
    "random episodes for the regret comparison after training",
  ),
  trial_input: z.boolean().default(false).describe(
    "also give the network the trial number, as t / trials (0 at the first trial), as Wang et al. 2016 did; the replication gives none",
  ),
  validation_episodes: z.number().int().nonnegative().default(1000).describe(
    "random episodes, drawn once per run, on which a frozen copy is evaluated every curve_every episodes (the learning curve and the selection of a search); 0: none",
  ),
  curve_every: z.number().int().positive().default(2000).describe(
    "training episodes between evaluations of the frozen copy on the validation episodes",
  ),
  map_pulls: z.number().int().nonnegative().default(5).describe(
    "the policy map: histories of map_pulls pulls of each arm with every number of successes; 0: no map",
  ),
  map_orders: z.number().int().positive().default(20).describe(
    "random orders of each policy-map history, over which the agent's probability of arm 1 is averaged",
  ),
  raster: z.boolean().default(true).describe(
    "play the replication's 101 raster episodes after training (off in a search, where 100 runs' rasters would only fill the summary)",
  ),
  baselines: z.array(z.enum(POLICY_NAMES)).default([...POLICY_NAMES]).describe(
    "policies compared with the agent on the same episodes",
  ),
  checkpoint_every: z.number().int().positive().default(1000).describe("episodes between checkpoints"),
});
/** The resolved config. */
export type MetaRlConfig = z.infer<typeof MetaRlConfig>;

function tables(): TableSpec[] {
  return [
    {
      name: "metrics",
      doc: "One row per evaluation during training.",
      step: "episodes",
      columns: [
        { name: "episodes", type: "int", role: "index", doc: "training episodes completed" },
        f64Metric(
          "eval_reward",
          "mean reward per trial of eval_episodes fresh episodes, actions sampled",
          "reward per trial",
        ),
        f64Metric(
          "train_reward",
          "mean reward per trial of the training episodes since the previous row",
          "reward per trial",
        ),
        f64Metric("lr", "learning rate of the last update"),
      ],
    },
    {
      name: "regret",
      doc:
        "After training, on test_episodes random episodes shared by the agent and the baselines: one row per policy and trial.",
      columns: [
        {
          name: "agent",
          type: "str",
          role: "index",
          doc: "meta-rl (the frozen agent) or a baseline: random, oracle, thompson, ucb1, bayes-optimal",
        },
        { name: "t", type: "int", role: "index", doc: "trial (1 to trials)" },
        f64Metric(
          "cumulative_regret",
          "mean over episodes of the sum over trials up to t of (max p - p of the chosen arm)",
          "reward",
        ),
        f64Metric("optimal_choice", "fraction of episodes choosing the better arm at trial t", "fraction"),
      ],
    },
    {
      name: "raster",
      doc:
        "After training: the replication's evaluation, one episode per p1 = 0, 0.01, ..., 1 (p2 = 1 - p1), actions sampled.",
      columns: [
        { name: "p1", type: "f64", role: "index", doc: "win probability of arm 1 (arm 2: 1 - p1)" },
        { name: "t", type: "int", role: "index", doc: "trial" },
        {
          name: "arm2",
          type: "int",
          role: "metric",
          doc: "1 when the agent chose arm 2, 0 for arm 1 (its mean over seeds is the fraction choosing arm 2)",
        },
      ],
    },
    {
      name: "curve",
      doc:
        "The learning curve of the frozen agent: every curve_every training episodes (and before training), a frozen copy plays the same validation_episodes random episodes.",
      step: "episodes",
      columns: [
        { name: "episodes", type: "int", role: "index", doc: "training episodes completed" },
        f64Metric(
          "cumulative_regret",
          "cumulative expected regret at the last trial, mean over the episodes",
          "reward",
        ),
        f64Metric(
          "bayes_agreement",
          "fraction of trials on which the agent picks an arm the Bayes-optimal policy picks after the same history",
          "fraction",
        ),
      ],
    },
    {
      name: "validation",
      doc: "The baselines on the validation episodes (the learning curve's horizontal lines).",
      columns: [
        { name: "agent", type: "str", role: "index", doc: "random, oracle, thompson, ucb1 or bayes-optimal" },
        f64Metric(
          "cumulative_regret",
          "cumulative expected regret at the last trial, mean over the episodes",
          "reward",
        ),
        f64Metric(
          "bayes_agreement",
          "fraction of trials on which the policy picks an arm the Bayes-optimal policy picks after the same history",
          "fraction",
        ),
      ],
    },
    {
      name: "policy_map",
      doc:
        "After training: the frozen agent's choice after histories of map_pulls pulls of each arm, s1 and s2 of them successes, against the Bayes-optimal policy's.",
      columns: [
        { name: "s1", type: "int", role: "index", doc: "successes in map_pulls pulls of arm 1" },
        { name: "s2", type: "int", role: "index", doc: "successes in map_pulls pulls of arm 2" },
        f64Metric(
          "p_arm1",
          "the agent's probability of choosing arm 1 next, mean over map_orders random orders of the history",
          "probability",
        ),
        f64Metric("bayes_arm1", "the Bayes-optimal choice: 1 for arm 1, 0 for arm 2, 0.5 when both are optimal"),
        f64Metric("difference", "p_arm1 - bayes_arm1"),
      ],
    },
  ];
}

/** optax.polynomial_schedule: (start - end) (1 - min(count, steps) / steps)^power + end. */
export function polynomialSchedule(start: number, end: number, power: number, steps: number, count: number): number {
  const frac = 1 - Math.min(count, steps) / steps;
  return (start - end) * Math.pow(frac, power) + end;
}

/** Samples a from softmax(logits) by inverse CDF with one uniform. logits: [A]. */
function sampleAction(logits: ArrayLike<number>, u: number): number {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  let z = 0;
  for (let i = 0; i < logits.length; i++) z += Math.exp(logits[i] - m);
  let c = 0;
  for (let i = 0; i < logits.length - 1; i++) {
    c += Math.exp(logits[i] - m) / z;
    if (u < c) return i;
  }
  return logits.length - 1;
}

/** What a batch of episodes recorded. */
interface Rollout {
  /** inputs [T, B, I]: one-hot previous action, previous reward (and t / T with trial_input) */
  x: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  /** regret of each choice, [T, B] */
  regrets: Float32Array;
  /** 1 where the better arm was chosen, [T, B] */
  optimal: Float32Array;
  /** The LSTM's forward pass, when recorded: the gradient then does not recompute it. */
  trace?: LstmTrace;
}

/** Parameters as plain arrays, for rollouts. */
interface PolicyArrays {
  lstm: LstmArrays;
  policyW: Float32Array;
  policyB: Float32Array;
}

function toArrays(p: ActorCriticParams): PolicyArrays {
  const w = p["lstm.w"] as tf.Tensor2D;
  return {
    lstm: {
      w: w.dataSync() as Float32Array,
      b: p["lstm.b"].dataSync() as Float32Array,
      inputs: w.shape[0] - w.shape[1] / 4,
      units: w.shape[1] / 4,
    },
    policyW: p["policy.w"].dataSync() as Float32Array,
    policyB: p["policy.b"].dataSync() as Float32Array,
  };
}

/** Network inputs: 3, or 4 with the trial number. */
function inputSize(c: MetaRlConfig): number {
  return c.trial_input ? 4 : 3;
}

/**
 * Writes the input of trial t (0-based) of T after `prev` at x[0 .. I):
 * [one-hot previous action, previous reward], then t / T when I is 4.
 */
export function writeInput(
  x: Float32Array,
  prev: { arm: number; reward: number } | null,
  t: number,
  T: number,
  I: number,
) {
  x.set(observation(prev));
  if (I === 4) x[3] = t / T;
}

/** The policy's logits [2] from h (one example's [H]). */
function policyLogits(p: PolicyArrays, h: Float32Array, at: number, logits: number[]): void {
  const H = p.lstm.units;
  for (let a = 0; a < 2; a++) {
    let z = p.policyB[a];
    for (let u = 0; u < H; u++) z += h[at + u] * p.policyW[u * 2 + a];
    logits[a] = z;
  }
}

/**
 * Runs B episodes with arm probabilities `probs`, sampling from the policy
 * (plain arrays, no tfjs). `record`: keep the LSTM's trace for the gradient.
 */
function rollout(
  p: PolicyArrays,
  probs: [number, number][],
  T: number,
  actionRng: Rng,
  rewardRng: Rng,
  record = false,
): Rollout {
  const B = probs.length, H = p.lstm.units, I = p.lstm.inputs;
  const out: Rollout = {
    x: new Float32Array(T * B * I),
    actions: new Int32Array(T * B),
    rewards: new Float32Array(T * B),
    regrets: new Float32Array(T * B),
    optimal: new Float32Array(T * B),
  };
  const h = new Float32Array(B * H), c = new Float32Array(B * H);
  const trace: LstmTrace | undefined = record
    ? { hs: new Float32Array(T * B * H), cs: new Float32Array(T * B * H), gates: new Float32Array(T * B * 4 * H) }
    : undefined;
  if (trace) out.trace = trace;
  const prev: ({ arm: number; reward: number } | null)[] = new Array(B).fill(null);
  const logits = [0, 0];
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) writeInput(out.x.subarray((t * B + b) * I, (t * B + b + 1) * I), prev[b], t, T, I);
    lstmStepArrays(
      p.lstm,
      out.x.subarray(t * B * I, (t + 1) * B * I),
      h,
      c,
      B,
      trace?.gates.subarray(t * B * 4 * H, (t + 1) * B * 4 * H),
    );
    if (trace) {
      trace.hs.set(h, t * B * H);
      trace.cs.set(c, t * B * H);
    }
    for (let b = 0; b < B; b++) {
      policyLogits(p, h, b * H, logits);
      const a = sampleAction(logits, actionRng.uniform());
      const r = pull(probs[b], a, rewardRng);
      out.actions[t * B + b] = a;
      out.rewards[t * B + b] = r;
      out.regrets[t * B + b] = regret(probs[b], a);
      out.optimal[t * B + b] = probs[b][a] >= Math.max(...probs[b]) ? 1 : 0;
      prev[b] = { arm: a, reward: r };
    }
  }
  return out;
}

/** The replication's actor-critic loss, mean over the batch's episodes. */
export function actorCriticLoss(
  p: ActorCriticParams,
  r: Rollout,
  T: number,
  B: number,
  c: MetaRlConfig,
  entropyCoef: number,
): tf.Scalar {
  return tf.tidy(() => {
    // [T, B, H]; the rollout's own forward pass when it recorded one (the same numbers, not recomputed).
    const h = lstmSequenceWith(r.trace ?? null)(tf.tensor3d(r.x, [T, B, inputSize(c)]), p["lstm.w"], p["lstm.b"]);
    const flat = tf.reshape(h, [T * B, -1]) as tf.Tensor2D;
    const lg = tf.reshape(tf.add(tf.matMul(flat, p["policy.w"] as tf.Tensor2D), p["policy.b"]), [
      T,
      B,
      -1,
    ]) as tf.Tensor3D;
    const v = tf.reshape(tf.add(tf.matMul(flat, p["value.w"] as tf.Tensor2D), p["value.b"]), [T, B]) as tf.Tensor2D;
    const rewards = tf.tensor2d(r.rewards, [T, B]);
    // V_{t+1} with d = 0 at the last trial: the next values, then a row of zeros.
    const next = tf.concat([tf.slice(v, [1, 0], [T - 1, B]), tf.zeros([1, B])], 0);
    const delta = tf.sub(tf.add(rewards, tf.mul(c.gamma, stopGradient(next))), v);
    const critic = tf.mean(tf.square(delta));
    const logp = tf.logSoftmax(lg);
    const taken = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor2d(r.actions, [T, B], "int32"), lg.shape[2])), 2);
    const actor = tf.neg(tf.mean(tf.mul(taken, stopGradient(delta))));
    let loss = tf.add(actor, tf.mul(c.value_coef, critic));
    if (entropyCoef !== 0) {
      // sum over trials and actions of pi log pi, mean over episodes
      const negEntropy = tf.div(tf.sum(tf.mul(tf.exp(logp), logp)), B);
      loss = tf.add(loss, tf.mul(entropyCoef, negEntropy));
    }
    return loss as tf.Scalar;
  });
}

/** The loss and its gradients (by parameter name) for parameters p. */
function lossAndGrads(
  p: ActorCriticParams,
  r: Rollout,
  T: number,
  B: number,
  c: MetaRlConfig,
  entropyCoef: number,
): { value: tf.Scalar; grads: Params } {
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
    actorCriticLoss(zipParams(ACTOR_CRITIC_PARAMS, ps) as ActorCriticParams, r, T, B, c, entropyCoef)
  )(ACTOR_CRITIC_PARAMS.map((n) => p[n]));
  return { value: value as tf.Scalar, grads: zipParams(ACTOR_CRITIC_PARAMS, grads) };
}

async function run(ctx: RunContext<MetaRlConfig>): Promise<void> {
  const c = ctx.config;
  const T = c.trials, B = c.batch_episodes;
  if (2 * c.map_pulls >= T) {
    throw new Error(`map_pulls (${c.map_pulls}) must be below trials / 2 (${T / 2}); 0 draws no policy map`);
  }
  if (c.episodes % B !== 0) throw new Error(`episodes (${c.episodes}) must be a multiple of batch_episodes (${B})`);
  if (c.eval_every % B !== 0) {
    throw new Error(`eval_every (${c.eval_every}) must be a multiple of batch_episodes (${B})`);
  }
  let params = initActorCritic(ctx.rng.stream("init"), { inputs: inputSize(c), units: c.units, actions: 2 });
  // Each worker's parameters: those the manager returned after its previous update.
  let workers: ActorCriticParams[] = Array.from({ length: c.update === "workers" ? B : 0 }, () => cloneParams(params));
  // Round robin: the number of updates applied when each worker got its parameters, and each update's staleness.
  let workerVersion = workers.map(() => 0);
  let updates = 0;
  const staleness: number[] = [];
  const decay = c.reference_quirks.includes("lr_schedule_half")
    ? Math.floor((c.episodes * c.trials) / c.max_unroll_steps)
    : (c.decay_episodes ?? c.episodes);
  ctx.log(`learning rate decays over ${decay} episodes`);
  const schedule = (episodes: number) => polynomialSchedule(c.lr_start, c.lr_end, 1, decay, episodes);
  // Adam at the scheduled rate, then clipping of its update (optax.chain(adam, clip_by_global_norm)).
  // The schedule counts episodes: one update per episode (workers) or per batch (mean).
  const episodesPerUpdate = c.update === "workers" ? 1 : B;
  const optimizer = chain(
    adam({ lr: (count) => schedule(count * episodesPerUpdate) }),
    clipByGlobalNorm(c.clip_global_norm),
  );
  let state: OptState = optimizer.init(params);
  let done = 0, trainRewardSum = 0, trainEpisodes = 0;
  if (ctx.resume) {
    const t = ctx.resume.tensors;
    const load = (prefix: string) => namedToParams(t, ACTOR_CRITIC_PARAMS, prefix) as ActorCriticParams;
    [params, ...workers].forEach(disposeParams);
    disposeState(state);
    params = load("");
    workers = workers.map((_, w) => load(`worker${w}.`));
    const s = ctx.resume.state as {
      opt: unknown;
      done: number;
      trainRewardSum: number;
      trainEpisodes: number;
      workerVersion: number[];
      updates: number;
    };
    state = restoreState(s.opt, t);
    ({ workerVersion, updates } = s);
    ({ done, trainRewardSum, trainEpisodes } = s);
  }
  const evaluate = (k: number) => {
    const rng = ctx.rng.stream("eval", k);
    const probs = Array.from({ length: c.eval_episodes }, () => armProbabilities(rng, c.structure));
    const r = rollout(toArrays(params), probs, T, ctx.rng.stream("eval-actions", k), ctx.rng.stream("eval-rewards", k));
    return r.rewards.reduce((a, b) => a + b, 0) / (T * c.eval_episodes);
  };
  // The learning curve: a frozen copy on the same validation episodes (and the same action and reward draws) each time.
  const bayesArms = bayesOptimalArms(c.structure, T);
  const validationRng = ctx.rng.stream("validation");
  const validationProbs = Array.from(
    { length: c.validation_episodes },
    () => armProbabilities(validationRng, c.structure),
  );
  const curve = (episodes: number) => {
    if (c.validation_episodes === 0) return;
    const r = rollout(
      toArrays(params),
      validationProbs,
      T,
      ctx.rng.stream("validation-actions"),
      ctx.rng.stream("validation-rewards"),
    );
    ctx.emit("curve", { episodes, ...episodeStats(r, T, c.validation_episodes, bayesArms) });
  };
  if (!ctx.resume) {
    curve(0);
    for (const name of c.validation_episodes > 0 ? c.baselines : []) {
      const r = playBaseline(
        name,
        validationProbs,
        T,
        c,
        ctx.rng.stream("validation-actions", name),
        ctx.rng.stream("validation-rewards", name),
      );
      ctx.emit("validation", { agent: name, ...episodeStats(r, T, c.validation_episodes, bayesArms) });
    }
  }
  /** Applies gradients (computed elsewhere) to the global parameters. */
  const apply = (grads: Params) => {
    const { updates, state: next } = optimizer.update(grads, state, params);
    const updated = applyUpdates(params, updates);
    [grads, updates, params].forEach(disposeParams);
    disposeState(state);
    params = updated;
    state = next;
  };

  while (done < c.episodes) {
    const u = done / B;
    const episodeRng = ctx.rng.stream("train-episodes", u);
    const probs = Array.from({ length: B }, () => armProbabilities(episodeRng, c.structure));
    const actionRng = ctx.rng.stream("train-actions", u), rewardRng = ctx.rng.stream("train-rewards", u);
    const entropyCoef = (episodes: number) =>
      c.entropy_end === null
        ? c.entropy_start
        : polynomialSchedule(c.entropy_start, c.entropy_end, c.entropy_power, decay, episodes);
    let rewardSum = 0;
    if (c.update === "workers") {
      // Each worker plays its episode with its own parameters; then the gradients are applied in worker order.
      const rolls = workers.map((w, i) => rollout(toArrays(w), [probs[i]], T, actionRng, rewardRng, true));
      for (let i = 0; i < B; i++) {
        const { value: loss, grads } = lossAndGrads(workers[i], rolls[i], T, 1, c, entropyCoef(done + i));
        loss.dispose();
        staleness.push(updates - workerVersion[i]);
        apply(grads);
        updates++;
        workerVersion[i] = updates;
        disposeParams(workers[i]);
        workers[i] = cloneParams(params);
        rewardSum += rolls[i].rewards.reduce((a, b) => a + b, 0) / T;
      }
    } else {
      const r = rollout(toArrays(params), probs, T, actionRng, rewardRng, true);
      const { value: loss, grads } = lossAndGrads(params, r, T, B, c, entropyCoef(done));
      loss.dispose();
      apply(grads);
      rewardSum = r.rewards.reduce((a, b) => a + b, 0) / T;
    }
    done += B;
    trainRewardSum += rewardSum;
    trainEpisodes += B;
    ctx.progress(done, c.episodes, `episode ${done}/${c.episodes}`);
    if (done % c.eval_every === 0 || done === c.episodes) {
      ctx.emit("metrics", {
        episodes: done,
        eval_reward: evaluate(done),
        train_reward: trainRewardSum / trainEpisodes,
        lr: schedule(done - 1),
      });
      trainRewardSum = 0;
      trainEpisodes = 0;
    }
    if (done % c.curve_every === 0 || done === c.episodes) curve(done);
    if (done % c.checkpoint_every === 0 && done < c.episodes) {
      const tensors = await paramsToNamed(params);
      for (let w = 0; w < workers.length; w++) Object.assign(tensors, await paramsToNamed(workers[w], `worker${w}.`));
      const saved = await saveState(state);
      Object.assign(tensors, saved.tensors);
      await ctx.checkpoint({
        step: done,
        tensors,
        state: { opt: saved.skeleton, done, trainRewardSum, trainEpisodes, workerVersion, updates },
      });
    }
  }
  workers.forEach(disposeParams);
  if (c.update === "workers") {
    const counts = new Map<number, number>();
    for (const s of staleness) counts.set(s, (counts.get(s) ?? 0) + 1);
    ctx.log(
      `worker updates: staleness (updates applied between a worker's parameters and its own update) of the first ${
        Math.min(staleness.length, 2 * B)
      }: ${staleness.slice(0, 2 * B).join(", ")}; counts ${
        [...counts].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(", ")
      }`,
    );
  }
  const frozen = toArrays(params);
  if (c.map_pulls > 0) policyMap(frozen, c, bayesArms, ctx.rng.stream("policy-map"), ctx.emit);

  // Frozen: the raster of 101 episodes, p1 = 0 .. 1.
  const rasterProbs = Array.from({ length: 101 }, (_, k): [number, number] => [k / 100, 1 - k / 100]);
  const raster = rollout(frozen, rasterProbs, T, ctx.rng.stream("raster-actions"), ctx.rng.stream("raster-rewards"));
  if (c.raster) {
    rasterProbs.forEach((pr, k) => {
      for (let t = 0; t < T; t++) ctx.emit("raster", { p1: pr[0], t: t + 1, arm2: raster.actions[t * 101 + k] });
    });
  }

  // Frozen: regret on shared random episodes, the agent and each baseline.
  const testRng = ctx.rng.stream("test-episodes");
  const testProbs = Array.from({ length: c.test_episodes }, () => armProbabilities(testRng, c.structure));
  const agent = rollout(
    frozen,
    testProbs,
    T,
    ctx.rng.stream("test-actions", "meta-rl"),
    ctx.rng.stream("test-rewards", "meta-rl"),
  );
  const emitRegret = (name: string, regrets: Float32Array, optimal: Float32Array) => {
    const N = c.test_episodes;
    const cum = new Float64Array(N);
    for (let t = 0; t < T; t++) {
      let opt = 0, sum = 0;
      for (let e = 0; e < N; e++) {
        cum[e] += regrets[t * N + e];
        sum += cum[e];
        opt += optimal[t * N + e];
      }
      ctx.emit("regret", { agent: name, t: t + 1, cumulative_regret: sum / N, optimal_choice: opt / N });
    }
  };
  emitRegret("meta-rl", agent.regrets, agent.optimal);
  for (const name of c.baselines) {
    const { regrets, optimal } = playBaseline(
      name,
      testProbs,
      T,
      c,
      ctx.rng.stream("test-actions", name),
      ctx.rng.stream("test-rewards", name),
    );
    emitRegret(name, regrets, optimal);
  }
  ctx.saveParams(await paramsToNamed(params));
  disposeParams(params);
  disposeState(state);
}

/** Episode statistics: cumulative regret at the last trial (mean over episodes) and agreement with Bayes-optimal. */
function episodeStats(
  r: { actions: Int32Array; rewards: Float32Array; regrets: Float32Array },
  T: number,
  N: number,
  bayesArms: ReturnType<typeof bayesOptimalArms>,
): { cumulative_regret: number; bayes_agreement: number } {
  let regretSum = 0, agree = 0;
  const n = [0, 0], s = [0, 0];
  for (let e = 0; e < N; e++) {
    n[0] =
      n[1] =
      s[0] =
      s[1] =
        0;
    for (let t = 0; t < T; t++) {
      const a = r.actions[t * N + e];
      if (bayesArms(t, n, s)[a]) agree++;
      regretSum += r.regrets[t * N + e];
      n[a]++;
      s[a] += r.rewards[t * N + e];
    }
  }
  return { cumulative_regret: regretSum / N, bayes_agreement: agree / (N * T) };
}

/**
 * The policy map: for each (s1, s2), histories of map_pulls pulls of each arm
 * with s1 and s2 successes, in map_orders random orders; the agent's mean
 * probability of arm 1 at the next trial against the Bayes-optimal choice.
 */
function policyMap(
  p: PolicyArrays,
  c: MetaRlConfig,
  bayesArms: ReturnType<typeof bayesOptimalArms>,
  rng: Rng,
  emit: RunContext<MetaRlConfig>["emit"],
): void {
  const n = c.map_pulls, T = c.trials, I = p.lstm.inputs, H = p.lstm.units, K = c.map_orders;
  const logits = [0, 0];
  for (let s1 = 0; s1 <= n; s1++) {
    for (let s2 = 0; s2 <= n; s2++) {
      // K orders of the same history, as a batch of K episodes.
      const h = new Float32Array(K * H), cell = new Float32Array(K * H), x = new Float32Array(K * I);
      const seqs = Array.from({ length: K }, () => {
        const pulls: { arm: number; reward: number }[] = [];
        for (let i = 0; i < n; i++) pulls.push({ arm: 0, reward: i < s1 ? 1 : 0 }, { arm: 1, reward: i < s2 ? 1 : 0 });
        for (let i = pulls.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [pulls[i], pulls[j]] = [pulls[j], pulls[i]];
        }
        return pulls;
      });
      for (let t = 0; t <= 2 * n; t++) {
        for (let k = 0; k < K; k++) writeInput(x.subarray(k * I, (k + 1) * I), t > 0 ? seqs[k][t - 1] : null, t, T, I);
        lstmStepArrays(p.lstm, x, h, cell, K);
      }
      let pArm1 = 0;
      for (let k = 0; k < K; k++) {
        policyLogits(p, h, k * H, logits);
        pArm1 += 1 / (1 + Math.exp(logits[1] - logits[0]));
      }
      pArm1 /= K;
      const [b1, b2] = bayesArms(2 * n, [n, n], [s1, s2]);
      const bayes = b1 && b2 ? 0.5 : b1 ? 1 : 0;
      emit("policy_map", { s1, s2, p_arm1: pArm1, bayes_arm1: bayes, difference: pArm1 - bayes });
    }
  }
}

/** A baseline policy on the test episodes: regrets, optimal choices, actions and rewards, [T, N]. */
function playBaseline(
  name: PolicyName,
  probs: [number, number][],
  T: number,
  c: MetaRlConfig,
  actionRng: Rng,
  rewardRng: Rng,
) {
  const N = probs.length;
  const regrets = new Float32Array(T * N), optimal = new Float32Array(T * N);
  const actions = new Int32Array(T * N), rewards = new Float32Array(T * N);
  const policy = makePolicy(name, { structure: c.structure, horizon: T });
  for (let e = 0; e < N; e++) {
    policy.reset(probs[e]);
    for (let t = 0; t < T; t++) {
      const a = policy.act(actionRng);
      const r = pull(probs[e], a, rewardRng);
      policy.update(a, r);
      actions[t * N + e] = a;
      rewards[t * N + e] = r;
      regrets[t * N + e] = regret(probs[e], a);
      optimal[t * N + e] = probs[e][a] >= Math.max(...probs[e]) ? 1 : 0;
    }
  }
  return { regrets, optimal, actions, rewards };
}

/** The registered experiment. */
export const metaRlBandit: Experiment<MetaRlConfig> = {
  id: "meta-rl-bandit",
  module: import.meta.url,
  version: "1",
  title: "Meta-RL: an LSTM actor-critic learns to explore and exploit two-armed bandits",
  config: MetaRlConfig,
  datasets: [],
  tables,
  run,
};
