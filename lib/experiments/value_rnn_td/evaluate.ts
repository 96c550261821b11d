/**
 * Evaluating a trained value RNN with its restored (best) weights: the error
 * over every row but a trial's last, over the rows from the cue to the step
 * before the reward, and at the reward row (table `run`), the same per cue
 * with the value at cue onset and the reward prediction error at the reward
 * before and after training (`cues`), and one probe trial per cue (`trace`).
 *
 * @example
 * ```ts
 * import { evaluate } from "./evaluate.ts";
 * import { ok as assert } from "node:assert";
 * assert(typeof evaluate === "function"); // exercised end to end in tests/lib/experiments/value_rnn_td_test.ts
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RunContext } from "../../engine/experiment.ts";
import { makeTrial } from "../../envs/pavlov_timing.ts";
import type { LstmParams } from "../../models/lstm.ts";
import type { ValueRnnConfig } from "./config.ts";
import { type Batch, probe, targetValue, type TrainState, value } from "./td.ts";

interface Sums {
  sq: number;
  n: number;
  timingSq: number;
  timingN: number;
  abs: number;
  absN: number;
}

const emptySums = (): Sums => ({ sq: 0, n: 0, timingSq: 0, timingN: 0, abs: 0, absN: 0 });

/** Squared errors over all rows and the timing rows, absolute errors at the reward row: overall and per cue. */
async function errorSums(
  c: ValueRnnConfig,
  batches: Batch[],
  best: LstmParams,
): Promise<{ all: Sums; perCue: Sums[] }> {
  const all = emptySums(), perCue = Array.from({ length: c.cues }, emptySums);
  for (const batch of batches) {
    const { v, h } = value(best, batch.x);
    const vs = await v.data();
    tf.dispose([v, h]);
    const B = batch.trials.length;
    batch.trials.forEach((tr, b) => {
      const truth = targetValue(tr, c.gamma, c.td_loss);
      for (const k of [all, perCue[tr.cue]]) {
        for (let t = 0; t < tr.length - 1; t++) {
          const d = vs[t * B + b] - truth[t], e = d ** 2;
          k.sq += e;
          k.n++;
          if (t >= tr.iti && t < tr.iti + tr.isi) {
            k.timingSq += e;
            k.timingN++;
          } else if (t === tr.iti + tr.isi) {
            k.abs += Math.abs(d);
            k.absN++;
          }
        }
      }
    });
  }
  return { all, perCue };
}

/** The tables `run`, `cues` and `trace` of a finished run (see the module doc). */
export async function evaluate(
  ctx: RunContext<ValueRnnConfig>,
  batches: Batch[],
  initial: LstmParams,
  best: LstmParams,
  s: TrainState,
): Promise<void> {
  const c = ctx.config, inputs = c.cues + 1;
  const { all, perCue } = await errorSums(c, batches, best);
  ctx.emit("run", {
    epochs_run: s.epoch,
    early_stopped: s.stopped ? 1 : 0,
    best_epoch: s.bestEpoch,
    best_loss: s.best,
    rmse: Math.sqrt(all.sq / all.n),
    rmse_timing: Math.sqrt(all.timingSq / all.timingN),
    error_reward_row: all.abs / all.absN,
  });
  for (let cue = 0; cue < c.cues; cue++) {
    const trial = makeTrial(cue, c.probe_iti, c.delay_base + c.delay_step * cue, c.cues);
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
}
