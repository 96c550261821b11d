/**
 * The HNCA VAE experiment's result tables: per-epoch ELBOs, gradient
 * variances and timings, and the generated digits.
 *
 * @example
 * ```ts
 * import { HncaVaeConfig } from "./config.ts";
 * import { tables } from "./tables.ts";
 * import { ok as assert } from "node:assert";
 * assert(tables(HncaVaeConfig.parse({})).some((t) => t.name === "metrics"));
 * ```
 * @module
 */
import { f64Metric, type TableSpec } from "../../engine/experiment.ts";
import { timingTable } from "../bandit_tables.ts";
import { HncaVaeConfig, layerNames } from "./config.ts";

export function tables(c: HncaVaeConfig): TableSpec[] {
  const layers = layerNames(c);
  return [
    {
      name: "metrics",
      doc: "One row per epoch.",
      step: "epoch",
      columns: [
        { name: "epoch", type: "int", role: "index", doc: "epochs completed" },
        f64Metric(
          "train_elbo",
          "one-sample ELBO of the training batches before their updates, mean over the epoch (the original's ELBO)",
          "nats",
        ),
        f64Metric("test_elbo", "one-sample ELBO of the test images (binarized once per run) after the epoch", "nats"),
        f64Metric(
          "test_iw_bound",
          "importance-weighted bound with iw_samples samples per test image (empty at epochs where it is not computed)",
          "nats",
          true,
        ),
        f64Metric(
          "grad_var_mean",
          "per-example encoder gradient variance, mean over every encoder parameter (weights by count), averaged over the epoch's updates",
        ),
        ...layers.flatMap((l) => [
          f64Metric(
            `grad_var_w_${l}`,
            `gradient variance of encoder layer ${l}'s weights, mean over entries and updates`,
          ),
          f64Metric(
            `grad_var_b_${l}`,
            `gradient variance of encoder layer ${l}'s biases, mean over entries and updates`,
          ),
        ]),
        ...layers.map((l) =>
          f64Metric(`baseline_${l}`, `layer ${l}'s reward baseline at the end of the epoch`, "nats")
        ),
      ],
    },
    timingTable("wall time of the epoch's test evaluation"),
    {
      name: "digits",
      doc: "Images sampled prior -> decoder from the final model, one row per pixel (drawn as a grid; not summarized).",
      summarize: false,
      columns: [
        { name: "image", type: "int", role: "index", doc: "sample number" },
        { name: "row", type: "int", role: "index", doc: "pixel row" },
        { name: "col", type: "int", role: "index", doc: "pixel column" },
        { name: "pixel", type: "int", role: "metric", doc: "the sampled pixel, 0 or 1" },
        f64Metric("probability", "the decoder's probability that the pixel is on", "probability"),
      ],
    },
  ];
}
