/**
 * Evaluating the frozen meta-RL agent: episode statistics (cumulative
 * regret, agreement with the Bayes-optimal choice), the policy map, and the
 * baseline policies played on the same test episodes.
 *
 * @example
 * ```ts
 * import { episodeStats } from "./evaluate.ts";
 * import { ok as assert } from "node:assert";
 * assert(typeof episodeStats === "function");
 * ```
 * @module
 */
import { bayesOptimalArms, makePolicy, type PolicyName } from "../../baselines/bandit_policies.ts";
import { type RunContext } from "../../engine/experiment.ts";
import { armProbabilities, pull, regret } from "../../envs/two_armed_bandit.ts";
import { lstmStepArrays } from "../../models/haiku_lstm.ts";
import type { Rng } from "../../rng/mod.ts";
import { type PolicyArrays, policyLogits, rollout, writeInput } from "./rollout.ts";
import type { MetaRlConfig } from "./config.ts";

/** Episode statistics: cumulative regret at the last trial (mean over episodes) and agreement with Bayes-optimal. */
export function episodeStats(
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
export function policyMap(
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
export function playBaseline(
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

/** The staleness of the round-robin workers' updates, for the run's log. */
export function stalenessText(staleness: number[], B: number): string {
  const counts = new Map<number, number>();
  for (const s of staleness) counts.set(s, (counts.get(s) ?? 0) + 1);
  return `worker updates: staleness (updates applied between a worker's parameters and its own update) of the first ${
    Math.min(staleness.length, 2 * B)
  }: ${staleness.slice(0, 2 * B).join(", ")}; counts ${
    [...counts].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(", ")
  }`;
}

/** The frozen agent after training: its policy map, the raster, and regret against the baselines on test episodes. */
export function evaluateFrozen(
  ctx: RunContext<MetaRlConfig>,
  frozen: PolicyArrays,
  bayesArms: ReturnType<typeof bayesOptimalArms>,
): void {
  const c = ctx.config, T = c.trials;
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
}
