/**
 * The Backpropamine maze experiment's result table: one row per logging
 * window (reward, hits, loss, gradient norm).
 *
 * @example
 * ```ts
 * import { tables } from "./tables.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(tables()[0].name, "metrics");
 * ```
 * @module
 */
import { f64Metric, type TableSpec } from "../../engine/experiment.ts";

export function tables(): TableSpec[] {
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
