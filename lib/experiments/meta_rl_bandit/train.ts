/**
 * Meta-RL training, one update at a time: the training state (the manager's
 * parameters, each worker's, the optimizer, the counters a checkpoint keeps),
 * its optimizer and schedules, one batch of training episodes, and the
 * checkpoint. `run()` in ../meta_rl_bandit.ts strings them together.
 *
 * @example
 * ```ts
 * import { learningRateDecay } from "./train.ts";
 * import { MetaRlConfig } from "./config.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const c = MetaRlConfig.parse({ episodes: 1000, trials: 100, max_unroll_steps: 1000 });
 * assertEquals(learningRateDecay(c), 1000); // over every episode, unless the original's half-schedule quirk is on
 * ```
 * @module
 */
import { type RunContext } from "../../engine/experiment.ts";
import { armProbabilities } from "../../envs/two_armed_bandit.ts";
import { ACTOR_CRITIC_PARAMS, type ActorCriticParams, initActorCritic } from "../../models/haiku_lstm.ts";
import {
  adam,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  cloneParams,
  disposeParams,
  disposeState,
  type GradientTransformation,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
} from "../../optim/mod.ts";
import { inputSize, lossAndGrads, polynomialSchedule, rollout, toArrays } from "./rollout.ts";
import type { MetaRlConfig } from "./config.ts";

/** The episodes over which the learning rate (and entropy) decay: the original's quirk halves them. */
export function learningRateDecay(c: MetaRlConfig): number {
  return c.reference_quirks.includes("lr_schedule_half")
    ? Math.floor((c.episodes * c.trials) / c.max_unroll_steps)
    : (c.decay_episodes ?? c.episodes);
}

/** What training carries from one update to the next, and what a checkpoint saves. */
export interface TrainState {
  params: ActorCriticParams;
  /** Each worker's parameters: those the manager returned after its previous update. */
  workers: ActorCriticParams[];
  /** Round robin: the number of updates applied when each worker got its parameters. */
  workerVersion: number[];
  updates: number;
  /** Each update's staleness (updates applied since its worker got its parameters). */
  staleness: number[];
  opt: OptState;
  done: number;
  trainRewardSum: number;
  trainEpisodes: number;
}

/** The learning-rate schedule by episodes, and the optimizer: Adam at that rate, then clipping of its update. */
export function optimizerOf(
  c: MetaRlConfig,
  decay: number,
): { schedule: (episodes: number) => number; optimizer: GradientTransformation } {
  const schedule = (episodes: number) => polynomialSchedule(c.lr_start, c.lr_end, 1, decay, episodes);
  // optax.chain(adam, clip_by_global_norm); the schedule counts episodes: one update per episode
  // (workers) or per batch (mean).
  const episodesPerUpdate = c.update === "workers" ? 1 : c.batch_episodes;
  const optimizer = chain(
    adam({ lr: (count) => schedule(count * episodesPerUpdate) }),
    clipByGlobalNorm(c.clip_global_norm),
  );
  return { schedule, optimizer };
}

/** A fresh training state from the run's "init" stream, or the one its checkpoint saved. */
export function initTrainState(ctx: RunContext<MetaRlConfig>, optimizer: GradientTransformation): TrainState {
  const c = ctx.config;
  const params = initActorCritic(ctx.rng.stream("init"), { inputs: inputSize(c), units: c.units, actions: 2 });
  const workers = Array.from({ length: c.update === "workers" ? c.batch_episodes : 0 }, () => cloneParams(params));
  const s: TrainState = {
    params,
    workers,
    workerVersion: workers.map(() => 0),
    updates: 0,
    staleness: [],
    opt: optimizer.init(params),
    done: 0,
    trainRewardSum: 0,
    trainEpisodes: 0,
  };
  if (!ctx.resume) return s;
  const t = ctx.resume.tensors;
  const load = (prefix: string) => namedToParams(t, ACTOR_CRITIC_PARAMS, prefix) as ActorCriticParams;
  [s.params, ...s.workers].forEach(disposeParams);
  disposeState(s.opt);
  const saved = ctx.resume.state as SavedState;
  return {
    ...s,
    params: load(""),
    workers: s.workers.map((_, w) => load(`worker${w}.`)),
    opt: restoreState(saved.opt, t),
    workerVersion: saved.workerVersion,
    updates: saved.updates,
    done: saved.done,
    trainRewardSum: saved.trainRewardSum,
    trainEpisodes: saved.trainEpisodes,
  };
}

interface SavedState {
  opt: unknown;
  done: number;
  trainRewardSum: number;
  trainEpisodes: number;
  workerVersion: number[];
  updates: number;
}

/** Applies gradients (computed elsewhere) to the manager's parameters, disposing what they replace. */
function apply(s: TrainState, optimizer: GradientTransformation, grads: Params): void {
  const { updates, state: next } = optimizer.update(grads, s.opt, s.params);
  const updated = applyUpdates(s.params, updates);
  [grads, updates, s.params].forEach(disposeParams);
  disposeState(s.opt);
  s.params = updated as ActorCriticParams;
  s.opt = next;
}

/**
 * One batch of B training episodes (the update number is done / B) and its updates: one per worker in
 * worker order (update "workers"), or one on the batch's mean loss. Returns the batch's summed mean reward
 * per trial; advances `done` by B.
 */
export function trainBatch(
  ctx: RunContext<MetaRlConfig>,
  s: TrainState,
  optimizer: GradientTransformation,
  decay: number,
): number {
  const c = ctx.config, T = c.trials, B = c.batch_episodes, u = s.done / B;
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
    const rolls = s.workers.map((w, i) => rollout(toArrays(w), [probs[i]], T, actionRng, rewardRng, true));
    for (let i = 0; i < B; i++) {
      const { value: loss, grads } = lossAndGrads(s.workers[i], rolls[i], T, 1, c, entropyCoef(s.done + i));
      loss.dispose();
      s.staleness.push(s.updates - s.workerVersion[i]);
      apply(s, optimizer, grads);
      s.updates++;
      s.workerVersion[i] = s.updates;
      disposeParams(s.workers[i]);
      s.workers[i] = cloneParams(s.params);
      rewardSum += rolls[i].rewards.reduce((a, b) => a + b, 0) / T;
    }
  } else {
    const r = rollout(toArrays(s.params), probs, T, actionRng, rewardRng, true);
    const { value: loss, grads } = lossAndGrads(s.params, r, T, B, c, entropyCoef(s.done));
    loss.dispose();
    apply(s, optimizer, grads);
    rewardSum = r.rewards.reduce((a, b) => a + b, 0) / T;
  }
  s.done += B;
  return rewardSum;
}

/** Checkpoints the training state: every parameter set and the optimizer's as tensors, the counters as JSON. */
export async function checkpointTrainState(ctx: RunContext<MetaRlConfig>, s: TrainState): Promise<void> {
  const tensors = await paramsToNamed(s.params);
  for (let w = 0; w < s.workers.length; w++) Object.assign(tensors, await paramsToNamed(s.workers[w], `worker${w}.`));
  const saved = await saveState(s.opt);
  Object.assign(tensors, saved.tensors);
  const state: SavedState = {
    opt: saved.skeleton,
    done: s.done,
    trainRewardSum: s.trainRewardSum,
    trainEpisodes: s.trainEpisodes,
    workerVersion: s.workerVersion,
    updates: s.updates,
  };
  await ctx.checkpoint({ step: s.done, tensors, state });
}
