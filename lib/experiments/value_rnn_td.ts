/**
 * Value RNN trained by TD learning (mobeets/value-rnn-td): an LSTM with two
 * hidden units learns the value of a cue-reward timing task.
 *
 * As the original `main.py` / `train.py`:
 * - 100 trials (2 cues x 50, alternating), in their fixed order, batches of 12,
 *   each trial its own sequence (state reset), padded steps ignored exactly;
 * - Vhat(t) = relu(z1(t)) + relu(z2(t)), no readout weights;
 * - TD loss: squared error between Vhat(t) and r(t+1) + gamma Vhat(t+1) (the
 *   target detached), summed over the first length - 1 steps of every trial
 *   of the batch, divided by the sum of the trials' lengths; the epoch's loss
 *   is the mean over batches, measured before each batch's update;
 * - Adam (lr 0.003), up to 5000 epochs; the loss before training is epoch 0;
 *   training stops on the 6th consecutive epoch whose loss increased, and
 *   the weights of the epoch with the lowest loss are restored.
 *
 * The trial's last row (after the reward row) is only ever a bootstrap target
 * (detached): its value is never trained. So the reward row's target,
 * 0 + gamma Vhat(last row), is anchored to an untrained value, and with long
 * training Vhat at the reward row can drift away from its true value 0 while
 * the loss stays small. RMSE is therefore reported for all rows, for the
 * rows from the cue to the step before the reward (`rmse_timing`: the timing
 * the network has to learn) and for the reward row alone.
 *
 * `td_loss: e386495` reproduces the code state that drew the original
 * README's value figure (commit e386495, before c05ea77 and a966010): the
 * input carries the previous step's reward, the target is r(t) + gamma
 * Vhat(t+1) (the same row's reward, so Vhat(t) = sum_k gamma^k r(t+k)), and the
 * loss is the mean squared error over each trial's rows including its last
 * (whose next value is the zero padding, so the last row is trained towards
 * 0), averaged over the batch's trials. The current code (`a966010`, the
 * default) is the one described above.
 *
 * After training, a probe trial per cue (fixed ITI) gives Vhat against the
 * analytic value, the hidden units' trajectory and the RPE (TD error) before
 * and after training; the whole task gives the RMSE per cue.
 *
 * @example
 * ```ts
 * import { valueRnnTd } from "./value_rnn_td.ts";
 * // deno task reproduce value-rnn-td --profile quick
 * const c = valueRnnTd.config.parse({ td_loss: "e386495" });
 * c.gamma; // 0.5
 * valueRnnTd.tables(c).map((t) => t.name); // ["metrics", "run", "cues", "trace"]
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { type Experiment, f64Metric, type RunContext, type TableSpec } from "../engine/experiment.ts";
import { makeTrial, pavlovTrials, type Trial, trueValue } from "../envs/pavlov_timing.ts";
import { initLstm, LSTM_PARAMS, lstmForward, type LstmParams } from "../models/lstm.ts";
import {
  adam,
  applyUpdates,
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
import { stopGradient } from "../models/stop_gradient.ts";

/** Hyperparameters; defaults are the original's main.py and train.py. */
export const ValueRnnConfig = z.strictObject({
  cues: z.number().int().min(1).max(8).default(2).describe("number of cues (ncues)"),
  trials_per_cue: z.number().int().positive().default(50).describe("trials of each cue (ntrials_per_cue)"),
  delay_base: z.number().int().positive().default(10).describe("reward delay of cue 0, in steps"),
  delay_step: z.number().int().nonnegative().default(5).describe(
    "extra delay per cue index: delay = base + step * cue",
  ),
  iti_p: z.number().gt(0).max(1).default(0.5).describe("geometric inter-trial interval's success probability"),
  hidden_size: z.number().int().positive().default(2).describe("LSTM hidden units"),
  gamma: z.number().min(0).max(1).default(0.5).describe("discount"),
  lr: z.number().positive().default(0.003).describe("Adam learning rate"),
  batch_size: z.number().int().positive().default(12).describe("trials per update (in the task's fixed order)"),
  max_epochs: z.number().int().positive().default(5000).describe("epochs at most"),
  patience: z.number().int().nonnegative().default(4)
    .describe("early stopping: stop when the loss increases on more than patience + 1 consecutive epochs (nchances)"),
  probe_iti: z.number().int().positive().default(3).describe("ITI of the probe trial drawn per cue in the figures"),
  td_loss: z.enum(["a966010", "e386495"]).default("a966010").describe(
    "a966010: the current code's loss (target r(t+1) + gamma V(t+1) over a trial's first length - 1 rows, summed, over the sum of lengths); e386495: the code that drew the README's value figure (previous-step reward as input, target r(t) + gamma V(t+1) over every row, the last bootstrapping from the zero padding, mean per trial)",
  ),
  checkpoint_every: z.number().int().positive().default(100).describe("epochs between checkpoints"),
});
/** The resolved config. */
export type ValueRnnConfig = z.infer<typeof ValueRnnConfig>;

function tables(): TableSpec[] {
  return [
    {
      name: "metrics",
      doc: "One row per epoch; epoch 0 is the loss before training.",
      step: "epoch",
      columns: [
        { name: "epoch", type: "int", role: "index", doc: "epochs completed" },
        f64Metric("loss", "TD loss: mean over the epoch's batches, each measured before its update"),
      ],
    },
    {
      name: "run",
      doc: "One row per run: how training ended and how well the value was learned.",
      columns: [
        { name: "epochs_run", type: "int", role: "metric", doc: "epochs trained" },
        {
          name: "early_stopped",
          type: "int",
          role: "metric",
          doc: "1 when early stopping fired, 0 when max_epochs was reached (its mean is the fraction of seeds)",
        },
        { name: "best_epoch", type: "int", role: "metric", doc: "epoch whose weights were restored (lowest loss)" },
        f64Metric("best_loss", "lowest epoch loss"),
        f64Metric(
          "rmse",
          "root mean squared error of Vhat against the true value over every row but each trial's last (all rows where the value is defined), restored weights",
        ),
        f64Metric(
          "rmse_timing",
          "RMSE over the rows from the cue to the step before the reward: the timing the network has to learn",
        ),
        f64Metric(
          "error_reward_row",
          "mean absolute error of Vhat at the reward row (where the a966010 loss leaves the value free: see the module doc)",
        ),
      ],
    },
    {
      name: "cues",
      doc: "One row per cue, restored weights unless stated.",
      columns: [
        {
          name: "cue",
          type: "int",
          role: "index",
          doc: "cue index (its reward delay is delay_base + delay_step * cue)",
        },
        f64Metric("rmse", "RMSE of Vhat against the true value over the rows of the cue's trials (all but the last)"),
        f64Metric("rmse_timing", "RMSE over the rows from the cue to the step before the reward, the cue's trials"),
        f64Metric("error_reward_row", "mean absolute error of Vhat at the reward row, the cue's trials"),
        f64Metric("value_at_cue", "Vhat at the cue's onset in the probe trial"),
        f64Metric(
          "value_at_cue_true",
          "true value at the cue's onset: gamma^(delay - 1) (gamma^delay with td_loss e386495)",
        ),
        f64Metric(
          "rpe_at_reward_before",
          "absolute RPE (TD error) at the step whose target includes the reward, initial weights",
        ),
        f64Metric("rpe_at_reward_after", "the same with the restored weights"),
      ],
    },
    {
      name: "trace",
      doc: "The probe trial of each cue, step by step.",
      columns: [
        { name: "cue", type: "int", role: "index", doc: "cue index" },
        { name: "t", type: "int", role: "index", doc: "time step relative to cue onset", unit: "steps" },
        f64Metric("vhat", "Vhat(t) after training"),
        f64Metric("v_true", "true value sum_k gamma^k r(t+1+k)"),
        f64Metric("z1", "hidden unit 1 (LSTM output) after training"),
        f64Metric("z2", "hidden unit 2 (LSTM output) after training (0 when hidden_size is 1)"),
        f64Metric("rpe_before", "RPE r(t+1) + gamma Vhat(t+1) - Vhat(t) with the initial weights"),
        f64Metric("rpe_after", "the same with the restored weights"),
        f64Metric("reward", "1 at the step the reward arrives (t = its delay), else 0"),
      ],
    },
  ];
}

/** Which code state's TD loss (see the module doc). */
export type TdLoss = "a966010" | "e386495";

/** A padded, time-major batch of trials with its masks. */
interface Batch {
  trials: Trial[];
  loss: TdLoss;
  /** x: [T, B, I] */
  x: tf.Tensor3D;
  /** r: [T, B] rewards */
  r: tf.Tensor2D;
  /**
   * mask: [T - 1, B]: the rows whose TD error counts. a966010: 1 where t < length - 1;
   * e386495: 1 / (rows of the trial x B) where t < length (each trial's mean, averaged over trials).
   */
  mask: tf.Tensor2D;
  /** valid: [T, B]: 1 where t < length (e386495: the padding's value is 0, as pad_packed_sequence gives) */
  valid: tf.Tensor2D;
  /** sum of the trials' lengths */
  lengthSum: number;
}

/**
 * Pads trials to a common length, time-major. `padTo` may exceed the longest
 * trial (tests). With `e386495` the reward input is the previous step's.
 */
export function makeBatch(trials: Trial[], inputs: number, padTo = 0, loss: TdLoss = "a966010"): Batch {
  const T = Math.max(padTo, ...trials.map((t) => t.length));
  const B = trials.length;
  const x = new Float32Array(T * B * inputs), r = new Float32Array(T * B), mask = new Float32Array((T - 1) * B);
  const valid = new Float32Array(T * B);
  const rewardCol = inputs - 1;
  trials.forEach((tr, b) => {
    const counted = Math.min(tr.length, T - 1);
    for (let t = 0; t < tr.length; t++) {
      for (let i = 0; i < inputs; i++) x[(t * B + b) * inputs + i] = tr.inputs[t * inputs + i];
      if (loss === "e386495") x[(t * B + b) * inputs + rewardCol] = t > 0 ? tr.rewards[t - 1] : 0;
      r[t * B + b] = tr.rewards[t];
      valid[t * B + b] = 1;
      if (loss === "a966010" && t < tr.length - 1) mask[t * B + b] = 1;
      if (loss === "e386495" && t < counted) mask[t * B + b] = 1 / (counted * B);
    }
  });
  return {
    trials,
    loss,
    x: tf.tensor3d(x, [T, B, inputs]),
    r: tf.tensor2d(r, [T, B]),
    mask: tf.tensor2d(mask, [T - 1, B]),
    valid: tf.tensor2d(valid, [T, B]),
    lengthSum: trials.reduce((a, t) => a + t.length, 0),
  };
}

/** Releases a batch's tensors. */
function disposeBatch(b: Batch): void {
  tf.dispose([b.x, b.r, b.mask, b.valid]);
}

/** Vhat: [T, B] and hidden states [T, B, H]. */
function value(p: LstmParams, x: tf.Tensor3D): { v: tf.Tensor2D; h: tf.Tensor3D } {
  const h = lstmForward(p, x);
  return { v: tf.tidy(() => tf.sum(tf.relu(h), 2) as tf.Tensor2D), h };
}

/** The original's TD loss of one batch (a scalar tensor), as the batch's `loss` version computes it. */
export function tdLoss(p: LstmParams, batch: Batch, gamma: number): tf.Scalar {
  return tf.tidy(() => {
    const { v } = value(p, batch.x);
    const T = v.shape[0];
    const vHat = tf.slice(v, [0, 0], [T - 1, -1]);
    if (batch.loss === "e386495") {
      // Target r(t) + gamma V(t+1), the padding's V being 0; each trial's mean over its rows, then the batch mean.
      const next = tf.slice(tf.mul(v, batch.valid), [1, 0], [T - 1, -1]);
      const target = tf.add(tf.slice(batch.r, [0, 0], [T - 1, -1]), tf.mul(gamma, stopGradient(next)));
      return tf.sum(tf.mul(tf.square(tf.sub(vHat, target)), batch.mask)) as tf.Scalar;
    }
    const target = tf.add(
      tf.slice(batch.r, [1, 0], [T - 1, -1]),
      tf.mul(gamma, stopGradient(tf.slice(v, [1, 0], [T - 1, -1]))),
    );
    return tf.div(tf.sum(tf.mul(tf.square(tf.sub(vHat, target)), batch.mask)), batch.lengthSum) as tf.Scalar;
  });
}

/** Loss and gradients (by parameter name) of one batch. */
export function tdLossAndGrads(p: LstmParams, batch: Batch, gamma: number): { loss: tf.Scalar; grads: Params } {
  const { value: loss, grads } = tf.valueAndGrads((...ps: tf.Tensor[]) =>
    tdLoss(zipParams(LSTM_PARAMS, ps) as LstmParams, batch, gamma)
  )(LSTM_PARAMS.map((n) => p[n]));
  return { loss: loss as tf.Scalar, grads: zipParams(LSTM_PARAMS, grads) };
}

/**
 * The value the loss version teaches, for rows 0 .. length - 2: a966010
 * sum_k gamma^k r(t+1+k) (1 at the row before the reward); e386495
 * sum_k gamma^k r(t+k) (1 at the reward row).
 */
export function targetValue(trial: Trial, gamma: number, loss: TdLoss): Float64Array {
  const v = trueValue(trial.rewards, gamma);
  if (loss === "e386495") { for (let t = 0; t < v.length; t++) v[t] = trial.rewards[t] + gamma * v[t]; }
  return v;
}

/** Vhat, hidden states and RPE (the loss version's TD error) of one trial. */
async function probe(p: LstmParams, trial: Trial, inputs: number, gamma: number, loss: TdLoss) {
  const b = makeBatch([trial], inputs, 0, loss);
  const { v, h } = value(p, b.x);
  const vs = await v.data(), hs = await h.data();
  const H = h.shape[2];
  tf.dispose([v, h]);
  disposeBatch(b);
  const shift = loss === "e386495" ? 0 : 1;
  const rpe = Array.from({ length: trial.length - 1 }, (_, t) => trial.rewards[t + shift] + gamma * vs[t + 1] - vs[t]);
  return {
    v: Array.from(vs),
    z: Array.from({ length: trial.length }, (_, t) => [hs[t * H], H > 1 ? hs[t * H + 1] : 0]),
    rpe,
  };
}

/** Where training stands (stored in checkpoints). */
export interface TrainState {
  epoch: number;
  previous: number;
  best: number;
  bestEpoch: number;
  increases: number;
  stopped: boolean;
}

/**
 * The original's early-stopping rule after one more epoch with loss `loss`:
 * a new best is remembered; a loss above the previous epoch's counts as an
 * increase, and training stops at an increase when more than `patience`
 * increases came just before it (the 6th in a row for patience 4).
 */
export function earlyStopping(s: TrainState, loss: number, patience: number): TrainState & { improved: boolean } {
  const next = { ...s, epoch: s.epoch + 1, previous: loss, improved: loss < s.best };
  if (next.improved) {
    next.best = loss;
    next.bestEpoch = next.epoch;
  }
  if (loss > s.previous) {
    if (s.increases > patience) next.stopped = true;
    else next.increases = s.increases + 1;
  } else next.increases = 0;
  return next;
}

async function run(ctx: RunContext<ValueRnnConfig>): Promise<void> {
  const c = ctx.config;
  const delays = Array.from({ length: c.cues }, (_, i) => c.delay_base + c.delay_step * i);
  const inputs = c.cues + 1;
  const trials = pavlovTrials(ctx.rng.stream("task"), {
    cues: c.cues,
    trialsPerCue: c.trials_per_cue,
    delays,
    itiP: c.iti_p,
  });
  const batches: Batch[] = [];
  for (let i = 0; i < trials.length; i += c.batch_size) {
    batches.push(makeBatch(trials.slice(i, i + c.batch_size), inputs, 0, c.td_loss));
  }
  const initial = initLstm(ctx.rng.stream("init"), inputs, c.hidden_size);
  const opt = adam({ lr: c.lr });
  let params = cloneParams(initial);
  let best = cloneParams(initial);
  let state: OptState = opt.init(params);
  let s: TrainState;

  const epochLoss = async (update: boolean) => {
    let total = 0;
    for (const batch of batches) {
      if (!update) {
        const l = tdLoss(params, batch, c.gamma);
        total += (await l.data())[0];
        l.dispose();
        continue;
      }
      const { loss, grads } = tdLossAndGrads(params, batch, c.gamma);
      total += (await loss.data())[0];
      const { updates, state: next } = opt.update(grads, state, params);
      const updated = applyUpdates(params, updates);
      loss.dispose();
      [grads, updates, params].forEach(disposeParams);
      disposeState(state);
      params = updated;
      state = next;
    }
    return total / batches.length;
  };

  if (ctx.resume) {
    const t = ctx.resume.tensors;
    tf.dispose([...Object.values(params), ...Object.values(best)]);
    disposeState(state);
    params = namedToParams(t, LSTM_PARAMS);
    best = namedToParams(t, LSTM_PARAMS, "best.");
    const saved = ctx.resume.state as { opt: unknown; train: TrainState };
    state = restoreState(saved.opt, t);
    s = saved.train;
  } else {
    const l0 = await epochLoss(false);
    ctx.emit("metrics", { epoch: 0, loss: l0 });
    s = { epoch: 0, previous: l0, best: l0, bestEpoch: 0, increases: 0, stopped: false };
  }
  const save = async () => {
    const optimizer = await saveState(state);
    const tensors = { ...await paramsToNamed(params), ...await paramsToNamed(best, "best."), ...optimizer.tensors };
    await ctx.checkpoint({ step: s.epoch, tensors, state: { opt: optimizer.skeleton, train: s } });
  };

  while (!s.stopped && s.epoch < c.max_epochs) {
    const loss = await epochLoss(true);
    const { improved, ...next } = earlyStopping(s, loss, c.patience);
    s = next;
    ctx.emit("metrics", { epoch: s.epoch, loss });
    if (improved) {
      tf.dispose(Object.values(best));
      best = cloneParams(params);
    }
    ctx.progress(s.epoch, c.max_epochs, `epoch ${s.epoch}, loss ${loss.toPrecision(3)}`);
    if (s.epoch % c.checkpoint_every === 0 && !s.stopped) await save();
  }
  ctx.log(
    `${s.stopped ? "early stopping" : "max_epochs"} after ${s.epoch} epochs; best epoch ${s.bestEpoch}, loss ${s.best}`,
  );

  // Evaluation with the restored (best) weights: all rows but the last, the cue-to-reward rows, the reward row.
  const all = { sq: 0, n: 0 }, timing = { sq: 0, n: 0 }, rewardRow = { abs: 0, n: 0 };
  const perCue = Array.from({ length: c.cues }, () => ({ sq: 0, n: 0, timingSq: 0, timingN: 0, abs: 0, absN: 0 }));
  for (const batch of batches) {
    const { v, h } = value(best, batch.x);
    const vs = await v.data();
    tf.dispose([v, h]);
    const B = batch.trials.length;
    batch.trials.forEach((tr, b) => {
      const truth = targetValue(tr, c.gamma, c.td_loss);
      const k = perCue[tr.cue];
      for (let t = 0; t < tr.length - 1; t++) {
        const d = vs[t * B + b] - truth[t];
        const e = d ** 2;
        all.sq += e;
        all.n++;
        k.sq += e;
        k.n++;
        if (t >= tr.iti && t < tr.iti + tr.isi) {
          timing.sq += e;
          timing.n++;
          k.timingSq += e;
          k.timingN++;
        } else if (t === tr.iti + tr.isi) {
          rewardRow.abs += Math.abs(d);
          rewardRow.n++;
          k.abs += Math.abs(d);
          k.absN++;
        }
      }
    });
  }
  ctx.emit("run", {
    epochs_run: s.epoch,
    early_stopped: s.stopped ? 1 : 0,
    best_epoch: s.bestEpoch,
    best_loss: s.best,
    rmse: Math.sqrt(all.sq / all.n),
    rmse_timing: Math.sqrt(timing.sq / timing.n),
    error_reward_row: rewardRow.abs / rewardRow.n,
  });
  for (let cue = 0; cue < c.cues; cue++) {
    const trial = makeTrial(cue, c.probe_iti, delays[cue], c.cues);
    const before = await probe(initial, trial, inputs, c.gamma, c.td_loss);
    const after = await probe(best, trial, inputs, c.gamma, c.td_loss);
    const truth = targetValue(trial, c.gamma, c.td_loss);
    // The row whose TD target holds the reward: the row before it (a966010), the reward row itself (e386495).
    const rewardStep = trial.iti + trial.isi - (c.td_loss === "e386495" ? 0 : 1);
    const k = perCue[cue];
    ctx.emit("cues", {
      cue,
      rmse: Math.sqrt(k.sq / k.n),
      rmse_timing: Math.sqrt(k.timingSq / k.timingN),
      error_reward_row: k.abs / k.absN,
      value_at_cue: after.v[trial.iti],
      value_at_cue_true: truth[trial.iti],
      rpe_at_reward_before: Math.abs(before.rpe[rewardStep]),
      rpe_at_reward_after: Math.abs(after.rpe[rewardStep]),
    });
    // Rows 0 .. length - 2: where Vhat, the true value and the RPE are all defined.
    for (let t = 0; t < trial.length - 1; t++) {
      ctx.emit("trace", {
        cue,
        t: t - trial.iti,
        vhat: after.v[t],
        v_true: truth[t],
        z1: after.z[t][0],
        z2: after.z[t][1],
        rpe_before: before.rpe[t],
        rpe_after: after.rpe[t],
        reward: t === trial.iti + trial.isi ? 1 : 0,
      });
    }
  }
  ctx.saveParams(await paramsToNamed(best));
  tf.dispose([
    ...Object.values(params),
    ...Object.values(best),
    ...Object.values(initial),
  ]);
  batches.forEach(disposeBatch);
  disposeState(state);
}

/** The registered experiment. */
export const valueRnnTd: Experiment<ValueRnnConfig> = {
  id: "value-rnn-td",
  module: import.meta.url,
  version: "1",
  title: "Value RNN trained by TD learning on a cue-reward timing task",
  config: ValueRnnConfig,
  datasets: [],
  tables,
  run,
};
