/**
 * Active neural generative coding on classic control (Ororbia & Mali, AAAI
 * 2022): an agent built from predictive-coding circuits, against DQN and a
 * random policy, on Mountain Car and CartPole. As the official code's
 * train_agent.py (ago109/active-neural-generative-coding) for Mountain Car:
 * 700 episodes, one transition at a time, learning at every step once 512
 * transitions are stored (lib/agents/angc.ts). `rule` picks the circuits'
 * learning rule (lib/agents/circuits.ts): the released code's, which is
 * backpropagation computed by local updates, or the specification's, which
 * is not.
 *
 * The loop per episode: reset the environment; until it terminates or
 * reaches its time limit, act (epsilon-greedy), step, and let the agent learn
 * from (s, a, r, s', done). `done` is 1 on termination and, as the released
 * code does (`truncation_is_done: true`), on truncation at the time limit
 * too. The Mountain Car goal bonus the released code computes is never
 * passed to the agent there, so it is not here either.
 *
 * Metrics per episode: the return (sum of rewards), its trailing 100-episode
 * mean, the summed normalised epistemic signal (ANGC), the steps, and the
 * environment's extreme (Mountain Car: the largest position reached;
 * CartPole: the largest |pole angle|).
 *
 * @example
 * ```ts
 * import { angc } from "./angc.ts";
 * // deno task reproduce angc --profile quick
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const c = angc.config.parse({});
 * assertEquals([c.agent, c.environment, c.episodes, c.rule], ["angc", "mountain-car", 700, "released"]);
 * assertEquals(angc.tables(c).map((t) => t.name), ["metrics", "run"]);
 * ```
 * @module
 */
import { z } from "zod";
import { type Experiment, f64Metric, type RunContext, type TableSpec } from "../engine/experiment.ts";
import {
  type Agent,
  AngcAgent,
  type Circuit,
  DqnAgent,
  equationsCircuit,
  RandomAgent,
  releasedCircuit,
} from "../agents/mod.ts";
import { ENVIRONMENTS, observe } from "../envs/classic_control.ts";

/** Hyperparameters; defaults are train_agent.py's. */
export const AngcExperimentConfig = z.strictObject({
  agent: z.enum(["angc", "dqn", "random"]).default("angc").describe(
    "angc (backprop-free NGC circuits), dqn (the same network by backpropagation), random",
  ),
  environment: z.enum(["mountain-car", "cartpole"]).default("mountain-car").describe(
    "mountain-car (MountainCar-v0, 200-step limit) or cartpole (CartPole-v1, 500-step limit)",
  ),
  episodes: z.number().int().positive().default(700).describe("episodes (n_episodes)"),
  hidden: z.tuple([z.number().int().positive(), z.number().int().positive()]).default([256, 256]).describe(
    "hidden layer sizes of every circuit and of DQN's network (actor_n_z, world_n_z)",
  ),
  eta: z.number().positive().default(0.002).describe("Adam learning rate of every circuit (and of DQN)"),
  gamma: z.number().min(0).max(1).default(0.99).describe("discount"),
  batch: z.number().int().positive().default(512).describe(
    "replay batch, and transitions stored before learning starts",
  ),
  replay_capacity: z.number().int().positive().default(1000000).describe("replay memory size (n_mem)"),
  epsilon_start: z.number().min(0).max(1).default(1).describe("initial exploration rate (eps_i)"),
  epsilon_end: z.number().min(0).max(1).default(0.01).describe("final exploration rate (eps_f)"),
  epsilon_decay: z.number().gt(0).max(1).default(0.99991).describe(
    "exploration rate multiplier per action, or per episode with epsilon_per: episode (eps_decay)",
  ),
  epsilon_per: z.enum(["action", "episode"]).default("action").describe(
    "when epsilon decays: before each action (the released code) or after each episode (pcrl: 0.97 per episode)",
  ),
  target_every: z.number().int().positive().default(50).describe(
    "the target controller is copied at steps t (within an episode) with t % target_every == 0 (targ_shift)",
  ),
  update_clip: z.number().positive().default(100).describe(
    "released rule: NGC adjustments are clipped to +-update_clip (off at 200 and above, as ngc.py)",
  ),
  rule: z.enum(["released", "equations"]).default("released").describe(
    "ANGC's learning rule: released (the official code's circuit: K = 3, beta = 1, errors fed back through W^T; exactly backpropagation's gradient) or equations (the specification's: learned error synapses E, T settling steps with a leak, no activation derivative; see lib/models/ngc_equations.ts)",
  ),
  ngc_steps: z.number().int().positive().default(20).describe(
    "equations rule: T settling steps (the paper's K, 10 to 20; pcrl runs 20)",
  ),
  ngc_beta: z.number().positive().default(0.1).describe("equations rule: beta, the state update rate (pcrl 0.1)"),
  ngc_leak: z.number().min(0).default(0.001).describe("equations rule: gamma_v, the state leak (pcrl 0.001)"),
  ngc_beta_e: z.number().positive().default(0.5).describe(
    "equations rule: beta_e; errors are scaled by 1 / (2 beta_e). pcrl takes 0.5 and does not use it, which is this factor at one",
  ),
  ngc_gamma_e: z.number().min(0).default(0.95).describe(
    "equations rule: gamma_e, dE = gamma_e dW^T; the specification gives [0.9, 1.0] (pcrl 0.95)",
  ),
  ngc_modulation: z.enum(["none", "soft-bound"]).default("none").describe(
    "equations rule: M_W and M_E. none: all ones (pcrl leaves them as a TODO); soft-bound: w_bound - |W| and w_bound - |E| (ngc-learn's HebbianSynapse and the released code's calc_syn_adjust, where w_b is 0: off)",
  ),
  ngc_w_bound: z.number().positive().default(1).describe(
    "equations rule: the soft bound's w_bound (ngc-learn's default 1)",
  ),
  ngc_max_column_norm: z.number().min(0).default(1).describe(
    "equations rule: columns of W and E are rescaled to at most this norm after every step (pcrl 1; 0: never)",
  ),
  ngc_init_std: z.number().positive().default(0.025).describe(
    "equations rule: initial weights N(0, ngc_init_std) (pcrl 0.025)",
  ),
  reward: z.enum(["instrumental", "instrumental+epistemic"]).default("instrumental").describe(
    "what ANGC learns from: instrumental (the released code: the environment's reward only) or instrumental+epistemic (the paper: plus the normalised epistemic signal)",
  ),
  truncation_is_done: z.boolean().default(true).describe(
    "true: an episode cut at the time limit is a terminal transition (the released code); false: it bootstraps",
  ),
  checkpoint_every: z.number().int().positive().default(50).describe("episodes between checkpoints"),
});
/** The resolved config. */
export type AngcExperimentConfig = z.infer<typeof AngcExperimentConfig>;

function tables(): TableSpec[] {
  return [
    {
      name: "metrics",
      doc: "One row per episode.",
      step: "episode",
      columns: [
        { name: "episode", type: "int", role: "index", doc: "episodes completed" },
        f64Metric("return", "sum of the environment's rewards in the episode", "return"),
        f64Metric("return_mean100", "mean return of the last 100 episodes (fewer at the start)", "return"),
        f64Metric(
          "epistemic",
          "sum over the episode's steps of the normalised epistemic signal (ANGC only)",
          undefined,
          true,
        ),
        f64Metric("steps", "steps in the episode", "steps"),
        f64Metric("extreme", "Mountain Car: largest position reached; CartPole: largest |pole angle| (rad)"),
        f64Metric("epsilon", "exploration rate after the episode"),
      ],
    },
    {
      name: "run",
      doc: "One row per run, after training.",
      columns: [
        f64Metric(
          "best_mean100",
          "best 100-episode mean return over the run (windows of 100 full episodes)",
          "return",
          true,
        ),
        f64Metric("final_mean100", "mean return of the last 100 episodes", "return"),
        {
          name: "first_solved",
          type: "int",
          role: "metric",
          doc:
            "first episode whose 100-episode mean reached the environment's solve threshold (Mountain Car -110, CartPole 475), if any",
          nullable: true,
        },
      ],
    },
  ];
}

/** Gym's reward_threshold of each environment: the mean return over 100 episodes that counts as solved. */
export const SOLVE_THRESHOLD: Readonly<Record<string, number>> = { "mountain-car": -110, cartpole: 475 };

/** The learning rule of ANGC's circuits that the config asks for. */
export function circuitOf(c: AngcExperimentConfig): Circuit {
  if (c.rule === "released") return releasedCircuit(c.update_clip);
  return equationsCircuit({
    steps: c.ngc_steps,
    beta: c.ngc_beta,
    leak: c.ngc_leak,
    betaE: c.ngc_beta_e,
    gammaE: c.ngc_gamma_e,
    modulation: c.ngc_modulation,
    wBound: c.ngc_w_bound,
    maxColumnNorm: c.ngc_max_column_norm,
    initStd: c.ngc_init_std,
  });
}

function makeAgent(c: AngcExperimentConfig, n: number, actions: number, ctx: RunContext<AngcExperimentConfig>): Agent {
  const exploration = { start: c.epsilon_start, end: c.epsilon_end, decay: c.epsilon_decay, per: c.epsilon_per };
  const common = {
    observationSize: n,
    actions,
    hidden: c.hidden as [number, number],
    eta: c.eta,
    gamma: c.gamma,
    batch: c.batch,
    replayCapacity: c.replay_capacity,
    targetEvery: c.target_every,
    exploration,
  };
  const rng = ctx.rng.stream("init");
  if (c.agent === "angc") return new AngcAgent({ ...common, circuit: circuitOf(c), reward: c.reward }, rng);
  if (c.agent === "dqn") return new DqnAgent(common, rng);
  return new RandomAgent(actions);
}

async function run(ctx: RunContext<AngcExperimentConfig>): Promise<void> {
  const c = ctx.config;
  const env = ENVIRONMENTS[c.environment];
  const agent = makeAgent(c, env.observationSize, env.actions, ctx);
  const returns: number[] = [];
  let done = 0;
  if (ctx.resume) {
    const s = ctx.resume.state as { done: number; returns: number[]; agent: unknown };
    agent.restore({ tensors: ctx.resume.tensors, state: s.agent });
    done = s.done;
    returns.push(...s.returns);
  }
  ctx.log(
    `${c.agent}${
      c.agent === "angc" ? ` (${c.rule} rule)` : ""
    } on ${c.environment}: ${c.episodes} episodes; reward ${c.reward}; truncation is done: ${c.truncation_is_done}`,
  );
  try {
    while (done < c.episodes) {
      const rng = ctx.rng.stream("episode", done);
      let state = env.reset(rng);
      let obs = observe(state);
      let ret = 0, epistemic = 0, steps = 0;
      let extreme = c.environment === "mountain-car" ? obs[0] : Math.abs(obs[2]);
      for (let t = 0;; t++) {
        const a = agent.act(obs, rng);
        const next = env.step(state, a);
        const obs2 = observe(next.state);
        const truncated = !next.terminated && t + 1 >= env.timeLimit;
        const terminal = next.terminated || (truncated && c.truncation_is_done);
        const report = agent.learn({ s: obs, a, r: next.reward, s2: obs2, done: terminal ? 1 : 0 }, t, rng);
        if (report.epistemic !== null) epistemic += report.epistemic;
        ret += next.reward;
        steps++;
        extreme = c.environment === "mountain-car" ? Math.max(extreme, obs2[0]) : Math.max(extreme, Math.abs(obs2[2]));
        state = next.state;
        obs = obs2;
        if (next.terminated || truncated) break;
      }
      agent.endEpisode();
      returns.push(ret);
      done++;
      const window = returns.slice(-100);
      const mean100 = window.reduce((a, b) => a + b, 0) / window.length;
      ctx.emit("metrics", {
        episode: done,
        return: ret,
        return_mean100: mean100,
        epistemic: c.agent === "angc" ? epistemic : null,
        steps,
        extreme,
        epsilon: agent.epsilon,
      });
      ctx.progress(done, c.episodes, `episode ${done}, return ${ret}, mean100 ${mean100.toFixed(1)}`);
      if (done % c.checkpoint_every === 0 && done < c.episodes) {
        const snap = await agent.save();
        await ctx.checkpoint({ step: done, tensors: snap.tensors, state: { done, returns, agent: snap.state } });
      }
    }
    let best: number | null = null, firstSolved: number | null = null;
    for (let e = 100; e <= returns.length; e++) {
      const m = returns.slice(e - 100, e).reduce((a, b) => a + b, 0) / 100;
      best = best === null ? m : Math.max(best, m);
      if (firstSolved === null && m >= SOLVE_THRESHOLD[c.environment]) firstSolved = e;
    }
    const last = returns.slice(-100);
    ctx.emit("run", {
      best_mean100: best,
      final_mean100: last.reduce((a, b) => a + b, 0) / last.length,
      first_solved: firstSolved,
    });
  } finally {
    agent.dispose();
  }
}

/** The registered experiment. */
export const angc: Experiment<AngcExperimentConfig> = {
  id: "angc",
  module: import.meta.url,
  version: "1",
  title: "Active neural generative coding: a backprop-free agent against DQN on Mountain Car and CartPole",
  config: AngcExperimentConfig,
  datasets: [],
  tables,
  run,
};
