/**
 * The value-RNN experiment's result tables: the loss per epoch, per-run
 * summaries (RMSE, epochs, early stopping) and the value traces.
 *
 * @example
 * ```ts
 * import { tables } from "./tables.ts";
 * import { ok as assert } from "node:assert";
 * assert(tables().some((t) => t.name === "metrics"));
 * ```
 * @module
 */
import { f64Metric, type TableSpec } from "../../engine/experiment.ts";

export function tables(): TableSpec[] {
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
