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
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * // deno task reproduce value-rnn-td --profile quick
 * const c = valueRnnTd.config.parse({ td_loss: "e386495" });
 * assertEquals(c.gamma, 0.5);
 * assertEquals(valueRnnTd.tables(c).map((t) => t.name), ["metrics", "run", "cues", "trace"]);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Experiment, type RunContext } from "../engine/experiment.ts";
import { pavlovTrials, type Trial } from "../envs/pavlov_timing.ts";
import { initLstm, LSTM_PARAMS } from "../models/lstm.ts";
import {
  adam,
  applyUpdates,
  cloneParams,
  disposeParams,
  disposeState,
  namedToParams,
  type OptState,
  paramsToNamed,
  restoreState,
  saveState,
} from "../optim/mod.ts";
import {
  Batch,
  disposeBatch,
  earlyStopping,
  makeBatch,
  tdLoss,
  tdLossAndGrads,
  TrainState,
} from "./value_rnn_td/td.ts";
import { ValueRnnConfig } from "./value_rnn_td/config.ts";
import { tables } from "./value_rnn_td/tables.ts";
import { evaluate } from "./value_rnn_td/evaluate.ts";

export { ValueRnnConfig } from "./value_rnn_td/config.ts";
export {
  earlyStopping,
  makeBatch,
  targetValue,
  type TdLoss,
  tdLoss,
  tdLossAndGrads,
  type TrainState,
} from "./value_rnn_td/td.ts";

/** The task's training trials, drawn from the run's "task" stream. */
function taskTrials(ctx: RunContext<ValueRnnConfig>): Trial[] {
  const c = ctx.config;
  const delays = Array.from({ length: c.cues }, (_, i) => c.delay_base + c.delay_step * i);
  return pavlovTrials(ctx.rng.stream("task"), { cues: c.cues, trialsPerCue: c.trials_per_cue, delays, itiP: c.iti_p });
}

/** The training trials in batches of batch_size, in order. */
function batchTrials(trials: Trial[], c: ValueRnnConfig): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < trials.length; i += c.batch_size) {
    batches.push(makeBatch(trials.slice(i, i + c.batch_size), c.cues + 1, 0, c.td_loss));
  }
  return batches;
}

async function run(ctx: RunContext<ValueRnnConfig>): Promise<void> {
  const c = ctx.config;
  const inputs = c.cues + 1;
  const batches = batchTrials(taskTrials(ctx), c);
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

  await evaluate(ctx, batches, initial, best, s);
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
