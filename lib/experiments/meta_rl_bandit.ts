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
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // deno task reproduce meta-rl-bandit --profile quick
 * const c = metaRlBandit.config.parse({});
 * assertEquals(c.units, 48);
 * assertEquals(metaRlBandit.tables(c).map((t) => t.name), ["metrics", "regret", "raster", "curve", "validation", "policy_map"]);
 * ```
 * @module
 */
import { bayesOptimalArms } from "../baselines/bandit_policies.ts";
import { type Experiment, type RunContext } from "../engine/experiment.ts";
import { armProbabilities } from "../envs/two_armed_bandit.ts";
import { ACTOR_CRITIC_PARAMS, type ActorCriticParams, initActorCritic } from "../models/haiku_lstm.ts";
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
} from "../optim/mod.ts";
import { inputSize, lossAndGrads, polynomialSchedule, rollout, toArrays } from "./meta_rl_bandit/rollout.ts";
import { episodeStats, evaluateFrozen, playBaseline, stalenessText } from "./meta_rl_bandit/evaluate.ts";
import { checkConfig, MetaRlConfig } from "./meta_rl_bandit/config.ts";

export { MetaRlConfig } from "./meta_rl_bandit/config.ts";
export { actorCriticLoss, polynomialSchedule, writeInput } from "./meta_rl_bandit/rollout.ts";
import { tables } from "./meta_rl_bandit/tables.ts";

async function run(ctx: RunContext<MetaRlConfig>): Promise<void> {
  const c = ctx.config;
  const T = c.trials, B = c.batch_episodes;
  checkConfig(c);
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
  if (c.update === "workers") ctx.log(stalenessText(staleness, B));
  evaluateFrozen(ctx, toArrays(params), bayesArms);
  ctx.saveParams(await paramsToNamed(params));
  disposeParams(params);
  disposeState(state);
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
