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
import { type Experiment, type RunContext } from "../engine/experiment.ts";
import { mazeWalls, observeMazes, resetMazes, stepMazes } from "../envs/grid_maze.ts";
import { type A2cConfig, a2cSimpsonLoss, a2cSimpsonLossTf } from "../estimators/a2c.ts";
import {
  initPlasticRnn,
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
  type GradientTransformation,
  namedToParams,
  type OptState,
  type Params,
  paramsToNamed,
  restoreState,
  saveState,
} from "../optim/mod.ts";
import { BackpropamineConfig, networkSpec } from "./backpropamine_maze/config.ts";
import { tables } from "./backpropamine_maze/tables.ts";

export { BackpropamineConfig, networkSpec } from "./backpropamine_maze/config.ts";

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

/** Refuses configs the run cannot honour: an even maze, a last metric row over part of a window. */
function checkRunConfig(c: BackpropamineConfig): void {
  if (c.maze_size % 2 === 0) throw new Error(`maze_size must be odd, got ${c.maze_size}`);
  if (c.iterations % c.log_every !== 0) {
    // A last row over fewer iterations would be what claims at the final step read (200,002 and 100 gave 2).
    throw new Error(
      `iterations (${c.iterations}) must be a multiple of log_every (${c.log_every}), so that the last row averages a whole window`,
    );
  }
}

/** Sums over the current logging window. */
interface Window {
  iterations: number;
  reward: number;
  hits: number;
  loss: number;
  gradNorm: number;
}

const emptyWindow = (): Window => ({ iterations: 0, reward: 0, hits: 0, loss: 0, gradNorm: 0 });

/** The window's row, and a fresh window. */
function emitWindow(ctx: RunContext<BackpropamineConfig>, done: number, lastReward: number, win: Window): void {
  const n = win.iterations;
  ctx.emit("metrics", {
    iteration: done,
    reward: lastReward,
    reward_mean: win.reward / n,
    hits: win.hits / n,
    loss: win.loss / n,
    grad_norm: win.gradNorm / n,
  });
  Object.assign(win, emptyWindow());
}

/** Training state: parameters, optimizer state, iterations done, the open window. */
interface TrainState {
  params: Params;
  state: OptState;
  done: number;
  win: Window;
}

/** Fresh parameters and optimizer state, or those of the checkpoint the run resumes from. */
function startState(
  ctx: RunContext<BackpropamineConfig>,
  spec: PlasticRnnSpec,
  optimizer: GradientTransformation,
): TrainState {
  const names = plasticRnnShapes(spec).map(([n]) => n);
  const init = initPlasticRnn(ctx.rng.stream("init"), spec);
  if (!ctx.resume) {
    const params: Params = Object.fromEntries(plasticRnnShapes(spec).map(([n, s]) => [n, tf.tensor(init[n], s)]));
    return { params, state: optimizer.init(params), done: 0, win: emptyWindow() };
  }
  const s = ctx.resume.state as { opt: unknown; done: number; win: Window };
  return {
    params: namedToParams(ctx.resume.tensors, names, ""),
    state: restoreState(s.opt, ctx.resume.tensors),
    done: s.done,
    win: { ...emptyWindow(), ...s.win },
  };
}

function describeRun(c: BackpropamineConfig, spec: PlasticRnnSpec, params: Params): string {
  const count = Object.values(params).reduce((n, t) => n + t.size, 0);
  const advantage = c.reference_quirks.includes("advantage_value_of_element_0")
    ? "batch element 0's value (the original's quirk)"
    : "each element's own value";
  return `${spec.variant}: ${spec.hidden} hidden units, ${count} parameters; impl ${c.impl}; advantage uses ${advantage}`;
}

async function run(ctx: RunContext<BackpropamineConfig>): Promise<void> {
  const c = ctx.config;
  checkRunConfig(c);
  const spec = networkSpec(c);
  const names = plasticRnnShapes(spec).map(([n]) => n);
  const walls = mazeWalls(c.maze_size);
  const optimizer = chain(clipByGlobalNorm(c.clip_global_norm), adam({ lr: c.lr, eps: c.adam_eps }));
  const t = startState(ctx, spec, optimizer);
  ctx.log(describeRun(c, spec, t.params));
  const toArrays = (): PlasticRnnParams =>
    Object.fromEntries(names.map((n) => [n, t.params[n].dataSync() as Float32Array]));
  let arrays = toArrays();
  // The trajectory's arrays are reused from one iteration to the next.
  const workspace = { traj: null as Trajectory | null };
  while (t.done < c.iterations) {
    const r = iteration(t.params, arrays, spec, c, walls, ctx.rng, t.done, workspace);
    const norm = globalNorm(r.grads);
    if (t.done >= c.burn_in) {
      const { updates, state: next } = optimizer.update(r.grads, t.state, t.params);
      const updated = applyUpdates(t.params, updates);
      disposeParams(updates);
      disposeParams(t.params);
      disposeState(t.state);
      t.params = updated;
      t.state = next;
      arrays = toArrays();
    }
    disposeParams(r.grads);
    t.done++;
    t.win.iterations++;
    t.win.reward += r.reward;
    t.win.hits += r.hits;
    t.win.loss += r.loss;
    t.win.gradNorm += norm;
    ctx.progress(t.done, c.iterations, `iteration ${t.done}, reward ${r.reward.toFixed(1)}`);
    if (t.done % c.log_every === 0 || t.done === c.iterations) emitWindow(ctx, t.done, r.reward, t.win);
    if (t.done % c.checkpoint_every === 0 && t.done < c.iterations) {
      const tensors = await paramsToNamed(t.params);
      const saved = await saveState(t.state);
      Object.assign(tensors, saved.tensors);
      await ctx.checkpoint({ step: t.done, tensors, state: { opt: saved.skeleton, done: t.done, win: t.win } });
    }
  }
  ctx.saveParams(await paramsToNamed(t.params));
  disposeParams(t.params);
  disposeState(t.state);
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
