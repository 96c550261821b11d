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
import { disposeParams, disposeState, paramsToNamed } from "../optim/mod.ts";
import { rollout, toArrays } from "./meta_rl_bandit/rollout.ts";
import { episodeStats, evaluateFrozen, playBaseline, stalenessText } from "./meta_rl_bandit/evaluate.ts";
import { checkConfig, MetaRlConfig } from "./meta_rl_bandit/config.ts";
import {
  checkpointTrainState,
  initTrainState,
  learningRateDecay,
  optimizerOf,
  trainBatch,
  type TrainState,
} from "./meta_rl_bandit/train.ts";

export { MetaRlConfig } from "./meta_rl_bandit/config.ts";
export { actorCriticLoss, polynomialSchedule, writeInput } from "./meta_rl_bandit/rollout.ts";
import { tables } from "./meta_rl_bandit/tables.ts";

/**
 * The learning curve's validation episodes: a frozen copy of the parameters plays the same episodes
 * (and the same action and reward draws) each time; before training, so do the baselines.
 */
function validation(ctx: RunContext<MetaRlConfig>, bayesArms: ReturnType<typeof bayesOptimalArms>) {
  const c = ctx.config, T = c.trials, rng = ctx.rng.stream("validation");
  const probs = Array.from({ length: c.validation_episodes }, () => armProbabilities(rng, c.structure));
  const curve = (s: TrainState, episodes: number) => {
    if (c.validation_episodes === 0) return;
    const actions = ctx.rng.stream("validation-actions"), rewards = ctx.rng.stream("validation-rewards");
    const r = rollout(toArrays(s.params), probs, T, actions, rewards);
    ctx.emit("curve", { episodes, ...episodeStats(r, T, c.validation_episodes, bayesArms) });
  };
  const baselines = () => {
    for (const name of c.validation_episodes > 0 ? c.baselines : []) {
      const actions = ctx.rng.stream("validation-actions", name), rewards = ctx.rng.stream("validation-rewards", name);
      const r = playBaseline(name, probs, T, c, actions, rewards);
      ctx.emit("validation", { agent: name, ...episodeStats(r, T, c.validation_episodes, bayesArms) });
    }
  };
  return { curve, baselines };
}

/** Mean reward per trial of the current parameters on eval_episodes fresh episodes (the metrics row's k-th draw). */
function evaluate(ctx: RunContext<MetaRlConfig>, s: TrainState, k: number): number {
  const c = ctx.config, rng = ctx.rng.stream("eval", k);
  const probs = Array.from({ length: c.eval_episodes }, () => armProbabilities(rng, c.structure));
  const r = rollout(
    toArrays(s.params),
    probs,
    c.trials,
    ctx.rng.stream("eval-actions", k),
    ctx.rng.stream("eval-rewards", k),
  );
  return r.rewards.reduce((a, b) => a + b, 0) / (c.trials * c.eval_episodes);
}

async function run(ctx: RunContext<MetaRlConfig>): Promise<void> {
  const c = ctx.config;
  checkConfig(c);
  const decay = learningRateDecay(c);
  ctx.log(`learning rate decays over ${decay} episodes`);
  const { schedule, optimizer } = optimizerOf(c, decay);
  const s = initTrainState(ctx, optimizer);
  const bayesArms = bayesOptimalArms(c.structure, c.trials);
  const { curve, baselines } = validation(ctx, bayesArms);
  if (!ctx.resume) {
    curve(s, 0);
    baselines();
  }
  while (s.done < c.episodes) {
    s.trainRewardSum += trainBatch(ctx, s, optimizer, decay);
    s.trainEpisodes += c.batch_episodes;
    const done = s.done;
    ctx.progress(done, c.episodes, `episode ${done}/${c.episodes}`);
    if (done % c.eval_every === 0 || done === c.episodes) {
      const train_reward = s.trainRewardSum / s.trainEpisodes;
      ctx.emit("metrics", {
        episodes: done,
        eval_reward: evaluate(ctx, s, done),
        train_reward,
        lr: schedule(done - 1),
      });
      s.trainRewardSum = 0;
      s.trainEpisodes = 0;
    }
    if (done % c.curve_every === 0 || done === c.episodes) curve(s, done);
    if (done % c.checkpoint_every === 0 && done < c.episodes) await checkpointTrainState(ctx, s);
  }
  s.workers.forEach(disposeParams);
  if (c.update === "workers") ctx.log(stalenessText(s.staleness, c.batch_episodes));
  evaluateFrozen(ctx, toArrays(s.params), bayesArms);
  ctx.saveParams(await paramsToNamed(s.params));
  disposeParams(s.params);
  disposeState(s.opt);
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
