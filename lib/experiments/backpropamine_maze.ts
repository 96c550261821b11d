/**
 * Backpropamine's grid maze (Miconi, Rawal, Clune, Stanley; ICLR 2019, Section
 * 4.2): a recurrent network, plastic or not, meta-trained by advantage
 * actor-critic to find an invisible reward in a maze that changes every
 * episode, remembering where it was after each teleport. As the original
 * maze/batch.py with the paper's command (maze/README.md, request_*.json):
 *
 * - maze 13 x 13, 200-step episodes, a batch of 30 mazes per iteration (one
 *   episode each), reward 10, no wall penalty (lib/envs/grid_maze.ts);
 * - networks `modplast`, `modul`, `plastic`, `rnn` at the paper's parameter
 *   matched sizes (lib/models/plastic_rnn.ts), traces clipped to [-1, 1]
 *   (`--addpw 3`); actions sampled from softmax(logits); and simplemaze/maze.py's
 *   network, `modplast-fanout` (the modulator fanned out to one rate per
 *   neuron, its own initialisation; run with trace_clip 2 and an 11 x 11 maze
 *   as maze.py's defaults, profile `simplemaze`);
 * - loss (lib/estimators/a2c.ts): Simpson index 0.03 sum p^2, policy gradient
 *   with advantage R - V, value loss 0.1, returns discounted by 0.9, all
 *   divided by the episode length and averaged over the batch;
 * - gradient-norm clip 4 (PyTorch clip_grad_norm, before Adam), Adam lr 1e-4
 *   eps 1e-4, no weight decay (`--l2 0`), no optimizer step in the first 101
 *   iterations (`numiter > 100`); 200,002 iterations in batch.py (the `paper`
 *   profile runs 200,000: iterations must be a multiple of log_every).
 *
 * The original's advantage reads `vs[t][0]`, batch element 0's value, for
 * every element of the batch (and so trains only that value). That is what
 * produced the paper's figure; it is the named quirk
 * `reference_quirks: [advantage_value_of_element_0]`. By default each element
 * uses its own value.
 *
 * `impl: fused` (the default) runs forward and backpropagation through time
 * as plain loops over typed arrays, one pass per step (the tfjs op-by-op
 * dispatch of hundreds of small ops per step would dominate); `impl: tfjs`
 * computes the gradient with tf.grads of the same network in tfjs ops (on the
 * chosen backend, webgpu included). Both are checked against each other and
 * against finite differences in tests/lib/models/plastic_rnn_test.ts.
 *
 * @example
 * ```ts
 * import { backpropamineMaze } from "./backpropamine_maze.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // deno task reproduce backpropamine-maze --profile quick
 * const c = backpropamineMaze.config.parse({ variant: "rnn" });
 * assertEquals(c.maze_size, 13);
 * assertEquals(backpropamineMaze.tables(c).map((t) => t.name), ["metrics"]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { type Experiment, f64Metric, type RunContext, type TableSpec } from "../engine/experiment.ts";
import { MAZE_ACTIONS, MAZE_INPUTS, mazeWalls, observeMazes, resetMazes, stepMazes } from "../envs/grid_maze.ts";
import { type A2cConfig, a2cSimpsonLoss, a2cSimpsonLossTf } from "../estimators/a2c.ts";
import {
  initPlasticRnn,
  matchedHidden,
  PAPER_HIDDEN,
  PLASTIC_VARIANTS,
  plasticRnnBackward,
  plasticRnnForwardTf,
  type PlasticRnnParams,
  plasticRnnShapes,
  type PlasticRnnSpec,
  type Trajectory,
  unroll,
  type UnrollDriver,
} from "../models/plastic_rnn.ts";
import { backwardKernel, unrollKernel } from "../models/plastic_rnn_kernel.ts";
import {
  adam,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  disposeParams,
  disposeState,
  globalNorm,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
} from "../optim/mod.ts";

/** Hyperparameters; defaults are the paper's command for batch.py. */
export const BackpropamineConfig = z.strictObject({
  variant: z.enum(PLASTIC_VARIANTS as [string, ...string[]]).default("modplast").describe(
    "network (--type): modplast (simple neuromodulation), modul (retroactive modulation), plastic (non-modulated), rnn (non-plastic); modplast-fanout: simplemaze/maze.py's network (the modulator fanned out to one rate per neuron)",
  ),
  hidden: z.number().int().positive().nullable().default(null).describe(
    "hidden units (--hs) of modplast and modul (null: the paper's 100); see match_parameters for plastic and rnn",
  ),
  match_parameters: z.boolean().default(true).describe(
    "plastic and rnn get the smallest hidden size with at least modplast's parameter count (at 100 units: the paper's 101 and 139); false: every variant gets `hidden`",
  ),
  maze_size: z.number().int().min(5).default(13).describe("maze side, odd (--msize)"),
  episode_length: z.number().int().positive().default(200).describe("steps per episode (--eplen)"),
  batch: z.number().int().positive().default(30).describe("mazes (episodes) per iteration (--bs)"),
  reward: z.number().default(10).describe("reward for reaching the reward cell (--rew)"),
  wall_penalty: z.number().default(0).describe("penalty for bumping into a wall (--wp)"),
  trace_clip: z.number().positive().default(1).describe(
    "plastic traces are clipped to [-trace_clip, trace_clip] (batch.py --addpw 3: 1; simplemaze/maze.py: 2)",
  ),
  simpson_coef: z.number().nonnegative().default(0.03).describe("coefficient of the Simpson index sum p^2 (--bent)"),
  gamma: z.number().min(0).max(1).default(0.9).describe("discount of the returns (--gr)"),
  value_coef: z.number().nonnegative().default(0.1).describe("coefficient of the value loss (--blossv)"),
  lr: z.number().positive().default(1e-4).describe("Adam learning rate (--lr)"),
  adam_eps: z.number().positive().default(1e-4).describe("Adam epsilon (batch.py: 1e-4)"),
  clip_global_norm: z.number().positive().default(4).describe("gradient-norm clip before Adam (--gc)"),
  burn_in: z.number().int().nonnegative().default(101).describe(
    "iterations without an optimizer step at the start (batch.py steps when numiter > 100)",
  ),
  iterations: z.number().int().positive().default(200000).describe(
    "training iterations, one episode per maze each (--nbiter; batch.py's 200,002 less the 2 past the last logged row); a multiple of log_every",
  ),
  log_every: z.number().int().positive().default(100).describe(
    "iterations between metric rows (the figure script keeps every 100th iteration)",
  ),
  checkpoint_every: z.number().int().positive().default(1000).describe("iterations between checkpoints"),
  reference_quirks: z.array(z.enum(["advantage_value_of_element_0"])).default([]).describe(
    "advantage_value_of_element_0: the original's R - vs[t][0], batch element 0's value for every element (what produced the paper's figure)",
  ),
  impl: z.enum(["fused", "kernels", "tfjs"]).default("fused").describe(
    "fused: forward and backpropagation through time as loops over typed arrays (what the committed references ran); kernels: the same with the H x H work on WebAssembly SIMD kernels (float32 sums in another order: equal within rounding, not bit for bit); tfjs: tf.grads of the network in tfjs ops (the path that runs on webgpu)",
  ),
});
/** The resolved config. */
export type BackpropamineConfig = z.infer<typeof BackpropamineConfig>;

function tables(): TableSpec[] {
  return [{
    name: "metrics",
    doc: "One row every log_every iterations.",
    step: "iteration",
    columns: [
      {
        name: "iteration",
        type: "int",
        role: "index",
        doc: "training iterations completed (one episode in each of the batch's mazes)",
      },
      f64Metric(
        "reward",
        "reward per episode of this iteration, mean over the batch (what the original logs and its figure draws)",
        "reward per episode",
      ),
      f64Metric(
        "reward_mean",
        "reward per episode, mean over the batch and the iterations since the previous row",
        "reward per episode",
      ),
      f64Metric(
        "hits",
        "times the agent reached the reward per episode, mean over the batch and the window",
        "rewards per episode",
      ),
      f64Metric("loss", "the A2C loss, mean over the window"),
      f64Metric("grad_norm", "global gradient norm before clipping, mean over the window"),
    ],
  }];
}

/** The network's sizes for a config. */
export function networkSpec(c: BackpropamineConfig): PlasticRnnSpec {
  const variant = c.variant as PlasticRnnSpec["variant"];
  const base = { inputs: MAZE_INPUTS, actions: MAZE_ACTIONS, traceClip: c.trace_clip };
  const hidden = c.hidden ?? PAPER_HIDDEN.modplast;
  return { ...base, variant, hidden: c.match_parameters ? matchedHidden(variant, hidden, base) : hidden };
}

/** Samples one action per episode from probabilities [B, A] by inverse CDF with one uniform each. */
function sampleActions(probs: ArrayLike<number>, A: number, actions: Int32Array, uniform: () => number): void {
  for (let b = 0; b < actions.length; b++) {
    const u = uniform();
    let cum = 0, a = 0;
    for (; a < A - 1; a++) {
      cum += probs[b * A + a];
      if (u < cum) break;
    }
    actions[b] = a;
  }
}

/** What one iteration measured, and the gradients (by parameter name). */
interface IterationResult {
  reward: number;
  hits: number;
  loss: number;
  grads: Params;
}

/** The episodes of one iteration: B mazes, the driver that steps them, and the rewards it records [T, B]. */
function mazeEpisodes(
  c: BackpropamineConfig,
  spec: PlasticRnnSpec,
  walls: Uint8Array,
  rng: RunContext<BackpropamineConfig>["rng"],
  it: number,
): { driver: UnrollDriver; rewards: Float32Array; hits: () => number } {
  const B = c.batch, T = c.episode_length;
  const mazeRng = rng.stream("maze", it), actionRng = rng.stream("actions", it);
  const state = resetMazes(walls, c.maze_size, B, mazeRng);
  const rewards = new Float32Array(T * B);
  const driver: UnrollDriver = {
    observe: (_t, x) => observeMazes(state, T, x as Float32Array),
    act: (t, probs, actions) => {
      sampleActions(probs, spec.actions, actions, () => actionRng.uniform());
      rewards.set(stepMazes(state, actions, mazeRng, { reward: c.reward, wallPenalty: c.wall_penalty }), t * B);
    },
  };
  return { driver, rewards, hits: () => state.hits.reduce((a, b) => a + b, 0) / B };
}

/** Gradients by parameter name as float32 tensors. */
function gradTensors(g: Record<string, Float64Array>, spec: PlasticRnnSpec): Params {
  const grads: Params = {};
  for (const [name, shape] of plasticRnnShapes(spec)) grads[name] = tf.tensor(Float32Array.from(g[name]), shape);
  return grads;
}

/** One iteration: B episodes with the current parameters, then the A2C loss's gradients (by `impl`). */
function iteration(
  params: Params,
  arrays: PlasticRnnParams,
  spec: PlasticRnnSpec,
  c: BackpropamineConfig,
  walls: Uint8Array,
  rng: RunContext<BackpropamineConfig>["rng"],
  it: number,
  workspace: { traj: Trajectory | null },
): IterationResult {
  const B = c.batch, T = c.episode_length;
  const ep = mazeEpisodes(c, spec, walls, rng, it);
  const a2c: A2cConfig = {
    T,
    B,
    actions: spec.actions,
    gamma: c.gamma,
    entropyCoef: c.simpson_coef,
    valueCoef: c.value_coef,
    valueOfElement0: c.reference_quirks.includes("advantage_value_of_element_0"),
  };
  const meanReward = () => ep.rewards.reduce((a, r) => a + r, 0) / B;
  if (c.impl === "kernels") {
    const traj = unrollKernel(arrays, spec, B, T, ep.driver);
    const { loss, gLogits, gValues } = a2cSimpsonLoss(traj.logits, traj.values, traj.actions, ep.rewards, a2c);
    const grads = gradTensors(backwardKernel(arrays, traj, gLogits, gValues), spec);
    return { reward: meanReward(), hits: ep.hits(), loss, grads };
  }
  const traj = unroll(arrays, spec, B, T, ep.driver, { reuse: workspace.traj });
  workspace.traj = traj;
  if (c.impl === "fused") {
    const { loss, gLogits, gValues } = a2cSimpsonLoss(traj.logits, traj.values, traj.actions, ep.rewards, a2c);
    const grads = gradTensors(plasticRnnBackward(arrays, traj, gLogits, gValues), spec);
    return { reward: meanReward(), hits: ep.hits(), loss, grads };
  }
  const names = plasticRnnShapes(spec).map(([n]) => n);
  const x = tf.tensor3d(traj.x as Float32Array, [T, B, spec.inputs]);
  const { value, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) => {
    const p = Object.fromEntries(names.map((n, i) => [n, ps[i]]));
    const out = plasticRnnForwardTf(p, spec, x);
    return a2cSimpsonLossTf(out.logits, out.values, traj.actions, ep.rewards, a2c);
  })(names.map((n) => params[n]));
  x.dispose();
  const loss = value.dataSync()[0];
  value.dispose();
  return { reward: meanReward(), hits: ep.hits(), loss, grads: Object.fromEntries(names.map((n, i) => [n, grads[i]])) };
}

async function run(ctx: RunContext<BackpropamineConfig>): Promise<void> {
  const c = ctx.config;
  if (c.maze_size % 2 === 0) throw new Error(`maze_size must be odd, got ${c.maze_size}`);
  if (c.iterations % c.log_every !== 0) {
    // A last row over fewer iterations would be what claims at the final step read (200,002 and 100 gave 2).
    throw new Error(
      `iterations (${c.iterations}) must be a multiple of log_every (${c.log_every}), so that the last row averages a whole window`,
    );
  }
  const spec = networkSpec(c);
  const names = plasticRnnShapes(spec).map(([n]) => n);
  const walls = mazeWalls(c.maze_size);
  const init = initPlasticRnn(ctx.rng.stream("init"), spec);
  let params: Params = Object.fromEntries(plasticRnnShapes(spec).map(([n, s]) => [n, tf.tensor(init[n], s)]));
  const optimizer = chain(clipByGlobalNorm(c.clip_global_norm), adam({ lr: c.lr, eps: c.adam_eps }));
  let state: OptState = optimizer.init(params);
  let done = 0;
  const win = { iterations: 0, reward: 0, hits: 0, loss: 0, gradNorm: 0 };
  if (ctx.resume) {
    disposeParams(params);
    disposeState(state);
    params = namedToParams(ctx.resume.tensors, names, "");
    const s = ctx.resume.state as { opt: unknown; done: number; win: typeof win };
    state = restoreState(s.opt, ctx.resume.tensors);
    done = s.done;
    Object.assign(win, s.win);
  }
  ctx.log(
    `${spec.variant}: ${spec.hidden} hidden units, ${
      names.reduce((n, k) => n + params[k].size, 0)
    } parameters; impl ${c.impl}; advantage uses ${
      c.reference_quirks.includes("advantage_value_of_element_0")
        ? "batch element 0's value (the original's quirk)"
        : "each element's own value"
    }`,
  );
  const toArrays = (): PlasticRnnParams =>
    Object.fromEntries(names.map((n) => [n, params[n].dataSync() as Float32Array]));
  let arrays = toArrays();
  // The trajectory's arrays are reused from one iteration to the next.
  const workspace = { traj: null as Trajectory | null };
  while (done < c.iterations) {
    const r = iteration(params, arrays, spec, c, walls, ctx.rng, done, workspace);
    const norm = globalNorm(r.grads);
    if (done >= c.burn_in) {
      const { updates, state: next } = optimizer.update(r.grads, state, params);
      const updated = applyUpdates(params, updates);
      disposeParams(updates);
      disposeParams(params);
      disposeState(state);
      params = updated;
      state = next;
      arrays = toArrays();
    }
    disposeParams(r.grads);
    done++;
    win.iterations++;
    win.reward += r.reward;
    win.hits += r.hits;
    win.loss += r.loss;
    win.gradNorm += norm;
    ctx.progress(done, c.iterations, `iteration ${done}, reward ${r.reward.toFixed(1)}`);
    if (done % c.log_every === 0 || done === c.iterations) {
      const n = win.iterations;
      ctx.emit("metrics", {
        iteration: done,
        reward: r.reward,
        reward_mean: win.reward / n,
        hits: win.hits / n,
        loss: win.loss / n,
        grad_norm: win.gradNorm / n,
      });
      Object.assign(win, { iterations: 0, reward: 0, hits: 0, loss: 0, gradNorm: 0 });
    }
    if (done % c.checkpoint_every === 0 && done < c.iterations) {
      const tensors = await paramsToNamed(params);
      const saved = await saveState(state);
      Object.assign(tensors, saved.tensors);
      await ctx.checkpoint({ step: done, tensors, state: { opt: saved.skeleton, done, win } });
    }
  }
  ctx.saveParams(await paramsToNamed(params));
  disposeParams(params);
  disposeState(state);
}

/** The registered experiment. */
export const backpropamineMaze: Experiment<BackpropamineConfig> = {
  id: "backpropamine-maze",
  module: import.meta.url,
  version: "1",
  title: "Backpropamine: neuromodulated plastic RNNs meta-learn to find a hidden reward in a grid maze",
  config: BackpropamineConfig,
  datasets: [],
  tables,
  run,
};
