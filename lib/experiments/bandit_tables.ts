/**
 * Table specs the MNIST experiments share.
 *
 * @example
 * ```ts
 * import { banditTables } from "./bandit_tables.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(banditTables(["h1", "out"], []).map((t) => t.name), ["metrics", "timing"]);
 * ```
 * @module
 */
import { type ColumnSpec, f64Metric, type Row, type TableSpec } from "../engine/experiment.ts";

/**
 * metrics (per epoch: accuracies, gradient variance overall and per layer,
 * then `extra` columns) and timing (per epoch, not deterministic).
 * @param layers layer names, in the order of the variance columns
 */
export function banditTables(
  layers: string[],
  extra: ColumnSpec[],
  varianceDoc = "averaged over the epoch's updates",
): TableSpec[] {
  return [
    {
      name: "metrics",
      doc: "One row per epoch.",
      step: "epoch",
      columns: [
        { name: "epoch", type: "int", role: "index", doc: "epochs completed" },
        f64Metric(
          "train_accuracy",
          "mean reward of the epoch's training updates (the original's train accuracy)",
          "fraction",
        ),
        f64Metric(
          "test_accuracy",
          "fraction of test images whose sampled action is the label (the original's test accuracy)",
          "fraction",
        ),
        f64Metric(
          "test_accuracy_greedy",
          "fraction of test images whose most probable action (hidden units sampled) is the label",
          "fraction",
        ),
        f64Metric(
          "grad_var_mean",
          `per-example gradient variance, mean over every parameter (weights by count), ${varianceDoc}`,
        ),
        ...layers.flatMap((l) => [
          f64Metric(`grad_var_w_${l}`, `gradient variance of layer ${l}'s weights, mean over entries, ${varianceDoc}`),
          f64Metric(`grad_var_b_${l}`, `gradient variance of layer ${l}'s biases, mean over entries, ${varianceDoc}`),
        ]),
        ...extra,
      ],
    },
    timingTable("wall time of the epoch's test pass"),
  ];
}

/** What a bandit epoch reports besides its gradient variances by layer. */
export interface BanditEpoch {
  epoch: number;
  trainAccuracy: number;
  test: { sampled: number; greedy: number };
  gradVarMean: number;
  /** Wall time of the epoch's training updates (for the log only). */
  seconds: number;
}

/**
 * Emits a bandit epoch's metrics row (accuracies, mean gradient variance, then `extra`: variances by layer and the
 * like) and logs it.
 */
export function emitBanditEpoch(
  emit: (table: string, row: Row) => void,
  log: (line: string) => void,
  e: BanditEpoch,
  extra: Record<string, number>,
): void {
  emit("metrics", {
    epoch: e.epoch,
    train_accuracy: e.trainAccuracy,
    test_accuracy: e.test.sampled,
    test_accuracy_greedy: e.test.greedy,
    grad_var_mean: e.gradVarMean,
    ...extra,
  });
  log(
    `epoch ${e.epoch}: train ${e.trainAccuracy.toFixed(4)} test ${e.test.sampled.toFixed(4)} (${
      e.seconds.toFixed(1)
    } s)`,
  );
}

/** A row of timingTable from performance.now() readings: training from t0 to t1, test from t1 to t2. */
export function timingRow(epoch: number, t0: number, t1: number, t2: number, examples: number): Row {
  return {
    epoch,
    train_seconds: (t1 - t0) / 1000,
    test_seconds: (t2 - t1) / 1000,
    examples_per_second: examples / ((t1 - t0) / 1000),
  };
}

/** timing (per epoch: training and test wall time, examples/s; not deterministic, left out of the hashes). */
export function timingTable(testDoc: string): TableSpec {
  return {
    name: "timing",
    doc: "Wall time per epoch (not deterministic; not part of the result hash).",
    step: "epoch",
    deterministic: false,
    columns: [
      { name: "epoch", type: "int", role: "index", doc: "epochs completed" },
      f64Metric("train_seconds", "wall time of the epoch's training updates", "s"),
      f64Metric("test_seconds", testDoc, "s"),
      f64Metric("examples_per_second", "training examples per second of wall time", "examples/s"),
    ],
  };
}
