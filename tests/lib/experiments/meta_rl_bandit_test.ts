import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import {
  actorCriticLoss,
  metaRlBandit,
  MetaRlConfig,
  polynomialSchedule,
  writeInput,
} from "../../../lib/experiments/meta_rl_bandit.ts";
import {
  ACTOR_CRITIC_PARAMS,
  type ActorCriticParams,
  actorCriticStep,
  initActorCritic,
  zeroState,
} from "../../../lib/models/haiku_lstm.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

Deno.test("polynomialSchedule() is optax's: linear from 3e-4 to 0 over 10,000, then 0", () => {
  assertEquals(polynomialSchedule(3e-4, 0, 1, 10000, 0), 3e-4);
  assert(Math.abs(polynomialSchedule(3e-4, 0, 1, 10000, 5000) - 1.5e-4) < 1e-18);
  assertEquals(polynomialSchedule(3e-4, 0, 1, 10000, 10000), 0);
  assertEquals(polynomialSchedule(3e-4, 0, 1, 10000, 20000), 0);
  assertEquals(polynomialSchedule(1, 0, 3, 10, 5), 0.125);
});

Deno.test("actorCriticLoss() is the replication's loss, with the TD target detached", async () => {
  const c = MetaRlConfig.parse({ units: 4 });
  const T = 3, B = 2;
  const p = initActorCritic(Rng.fromSeed(1), { inputs: 3, units: 4, actions: 2 });
  const r = {
    x: Float32Array.from([0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1]),
    actions: Int32Array.from([0, 1, 1, 0, 0, 1]),
    rewards: Float32Array.from([1, 0, 1, 1, 0, 0]),
    regrets: new Float32Array(6),
    optimal: new Float32Array(6),
  };
  // Reference in plain numbers from the network's outputs.
  let state = zeroState(B, 4);
  const lg: number[][] = [], v: number[][] = [];
  for (let t = 0; t < T; t++) {
    const s = actorCriticStep(p, tf.tensor2d(r.x.subarray(t * B * 3, (t + 1) * B * 3), [B, 3]), state);
    lg.push(Array.from(await s.logits.data()));
    v.push(Array.from(await s.value.data()));
    state = s.state;
  }
  let actor = 0, critic = 0, sumDelta = 0;
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const next = t < T - 1 ? v[t + 1][b] : 0;
      const delta = r.rewards[t * B + b] + 0.9 * next - v[t][b];
      const a = r.actions[t * B + b];
      const l = [lg[t][b * 2], lg[t][b * 2 + 1]];
      const lse = Math.log(Math.exp(l[0]) + Math.exp(l[1]));
      actor -= (l[a] - lse) * delta;
      critic += delta * delta;
      sumDelta += delta;
    }
  }
  const expected = actor / (T * B) + 0.05 * critic / (T * B);
  const loss = (await actorCriticLoss(p, r, T, B, c, 0).data())[0];
  assert(Math.abs(loss - expected) < 1e-6, `${loss} vs ${expected}`);
  // d loss / d value.b = 0.05 * mean(2 delta * -1): only -V_t moves; the target is detached.
  const g = tf.grads((...ps: tf.Tensor[]) =>
    actorCriticLoss(
      Object.fromEntries(ACTOR_CRITIC_PARAMS.map((n, i) => [n, ps[i]])) as ActorCriticParams,
      r,
      T,
      B,
      c,
      0,
    )
  )(
    ACTOR_CRITIC_PARAMS.map((n) => p[n]),
  );
  const gb = (await g[ACTOR_CRITIC_PARAMS.indexOf("value.b")].data())[0];
  assert(Math.abs(gb - (-0.1 * sumDelta) / (T * B)) < 1e-6, `${gb} vs ${(-0.1 * sumDelta) / (T * B)}`);
});

/** A run of seconds: 20 episodes of 10 trials, 6 units. */
const SMALL = { trials: 10, episodes: 20, eval_every: 10, eval_episodes: 4, test_episodes: 8, units: 6 };

Deno.test("metaRlBandit runs, leaks no tensors and resumes to the same rows", async () => {
  const before = tf.memory().numTensors;
  const config = {
    ...SMALL,
    checkpoint_every: 10,
    validation_episodes: 5,
    curve_every: 5,
    map_pulls: 2,
    map_orders: 2,
  };
  const a = await runInProcess(metaRlBandit, config, {}, { seed: 3 });
  assertEquals(tf.memory().numTensors, before);
  assertEquals(a.rows.metrics.map((r) => r.episodes), [10, 20]);
  assertEquals(a.rows.regret.length, 6 * 10, "the agent and 5 baselines, 10 trials each");
  assertEquals(a.rows.raster.length, 101 * 10);
  const oracle = a.rows.regret.filter((r) => r.agent === "oracle");
  assert(oracle.every((r) => r.cumulative_regret === 0 && r.optimal_choice === 1), "the oracle has no regret");
  const b = await runInProcess(metaRlBandit, config, {}, { seed: 3, resume: a.checkpoints[0] });
  assertEquals(b.rows.metrics, a.rows.metrics.slice(1));
  assertEquals(b.rows.regret, a.rows.regret);
  assertEquals(b.rows.curve, a.rows.curve.filter((r) => Number(r.episodes) > 10));
  assertEquals(b.rows.policy_map, a.rows.policy_map);
});

Deno.test("metaRlBandit refuses a policy map that does not fit in an episode, before training", async () => {
  let progress = 0;
  await assertRejects(
    () => runInProcess(metaRlBandit, { trials: 4, episodes: 5, map_pulls: 2 }, {}, { onProgress: () => progress++ }),
    Error,
    "map_pulls (2) must be below trials / 2 (2)",
  );
  assertEquals(progress, 0, "no episode was trained");
});

Deno.test("writeInput() gives the previous action and reward, and t / T with the trial number", () => {
  const x = new Float32Array(4);
  writeInput(x, null, 0, 100, 4);
  assertEquals([...x], [0, 0, 0, 0]);
  writeInput(x, { arm: 1, reward: 1 }, 25, 100, 4);
  assertEquals([...x], [0, 1, 1, 0.25]);
  const y = new Float32Array(3);
  writeInput(y, { arm: 0, reward: 0 }, 25, 100, 3);
  assertEquals([...y], [1, 0, 0]);
});

Deno.test("metaRlBandit's learning curve, validation baselines and policy map", async () => {
  const config = {
    ...SMALL,
    validation_episodes: 40,
    curve_every: 10,
    map_pulls: 2,
    map_orders: 3,
    trial_input: true,
  };
  const { rows } = await runInProcess(metaRlBandit, config, {}, { seed: 1 });
  assertEquals(rows.curve.map((r) => r.episodes), [0, 10, 20], "before training, then every curve_every");
  const val = Object.fromEntries(rows.validation.map((r) => [r.agent, r]));
  assertEquals(Object.keys(val), ["random", "oracle", "thompson", "ucb1", "bayes-optimal"]);
  assertEquals(val["bayes-optimal"].bayes_agreement, 1, "the Bayes-optimal policy agrees with itself on every trial");
  assertEquals(val.oracle.cumulative_regret, 0);
  const r = Number(val.random.bayes_agreement);
  assert(r > 0.3 && r < 0.9, `random agrees on about half the trials (plus ties), got ${r}`);
  // Correlated arms, 2 pulls of each: more successes on arm 1 means arm 1, equal means a tie.
  assertEquals(rows.policy_map.length, 9);
  for (const m of rows.policy_map) {
    const s1 = Number(m.s1), s2 = Number(m.s2), p = Number(m.p_arm1);
    assertEquals(m.bayes_arm1, s1 > s2 ? 1 : s1 < s2 ? 0 : 0.5, `s1 ${s1}, s2 ${s2}`);
    assert(p > 0 && p < 1);
    assertEquals(m.difference, p - Number(m.bayes_arm1));
  }
  // The same history in other orders gives another mean: the map depends on map_orders' draws.
  const other = await runInProcess(metaRlBandit, { ...config, map_orders: 4 }, {}, { seed: 1 });
  assert(other.rows.policy_map.some((m, i) => m.p_arm1 !== rows.policy_map[i].p_arm1));
  assertEquals(other.rows.curve, rows.curve, "the map comes after training and changes nothing else");
});

Deno.test("metaRlBandit's update schemes: one Adam step per episode (workers) or per batch (mean)", async () => {
  const config = {
    trials: 5,
    map_pulls: 0,
    episodes: 10,
    eval_every: 10,
    eval_episodes: 2,
    test_episodes: 2,
    units: 4,
    checkpoint_every: 5,
  };
  const workers = await runInProcess(metaRlBandit, config, {}, { seed: 1 });
  const updates = (r: typeof workers) => (r.checkpoints[0].state as { opt: { count: number } }).opt.count;
  assertEquals(updates(workers), 5, "5 episodes, 5 updates");
  assert("worker4.lstm.w" in workers.checkpoints[0].tensors, "each worker's parameters are checkpointed");
  const mean = await runInProcess(metaRlBandit, { ...config, update: "mean" }, {}, { seed: 1 });
  assertEquals(updates(mean), 1, "5 episodes, 1 update");
});

Deno.test("metaRlBandit's worker updates are applied to parameters four updates newer than their gradients' (round robin of 5)", async () => {
  const config = {
    trials: 3,
    map_pulls: 0,
    episodes: 15,
    eval_every: 15,
    eval_episodes: 2,
    test_episodes: 2,
    units: 2,
    checkpoint_every: 5,
  };
  const run = await runInProcess(metaRlBandit, config, {}, { seed: 2 });
  const line = run.logs.find((l) => l.startsWith("worker updates:"))!;
  assert(line !== undefined, run.logs.join("\n"));
  // Round 1: workers hold the initial parameters, so updates 1..5 see 0..4 updates in between; then always 4.
  assert(line.includes("of the first 10: 0, 1, 2, 3, 4, 4, 4, 4, 4, 4"), line);
  assert(line.includes("counts 0: 1, 1: 1, 2: 1, 3: 1, 4: 11"), line);
  // A run resumed from the episode-5 checkpoint continues the same schedule.
  const resumed = await runInProcess(metaRlBandit, config, {}, { seed: 2, resume: run.checkpoints[0] });
  assertEquals(resumed.rows.metrics, run.rows.metrics);
});
