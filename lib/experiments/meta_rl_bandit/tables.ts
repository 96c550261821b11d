/**
 * The meta-RL experiment's result tables: training metrics, the frozen
 * agent's regret against the baselines, its learning curve, policy map and
 * raster.
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

/** Training metrics, one row per evaluation. */
function metricsTable(): TableSpec {
  return {
    name: "metrics",
    doc: "One row per evaluation during training.",
    step: "episodes",
    columns: [
      { name: "episodes", type: "int", role: "index", doc: "training episodes completed" },
      f64Metric(
        "eval_reward",
        "mean reward per trial of eval_episodes fresh episodes, actions sampled",
        "reward per trial",
      ),
      f64Metric(
        "train_reward",
        "mean reward per trial of the training episodes since the previous row",
        "reward per trial",
      ),
      f64Metric("lr", "learning rate of the last update"),
    ],
  };
}

/** The frozen agent's and the baselines' regret per trial on the shared test episodes. */
function regretTable(): TableSpec {
  return {
    name: "regret",
    doc:
      "After training, on test_episodes random episodes shared by the agent and the baselines: one row per policy and trial.",
    columns: [
      {
        name: "agent",
        type: "str",
        role: "index",
        doc: "meta-rl (the frozen agent) or a baseline: random, oracle, thompson, ucb1, bayes-optimal",
      },
      { name: "t", type: "int", role: "index", doc: "trial (1 to trials)" },
      f64Metric(
        "cumulative_regret",
        "mean over episodes of the sum over trials up to t of (max p - p of the chosen arm)",
        "reward",
      ),
      f64Metric("optimal_choice", "fraction of episodes choosing the better arm at trial t", "fraction"),
    ],
  };
}

/** The replication's evaluation: one episode per arm probability p1 = 0, 0.01, ..., 1. */
function rasterTable(): TableSpec {
  return {
    name: "raster",
    doc:
      "After training: the replication's evaluation, one episode per p1 = 0, 0.01, ..., 1 (p2 = 1 - p1), actions sampled.",
    columns: [
      { name: "p1", type: "f64", role: "index", doc: "win probability of arm 1 (arm 2: 1 - p1)" },
      { name: "t", type: "int", role: "index", doc: "trial" },
      {
        name: "arm2",
        type: "int",
        role: "metric",
        doc: "1 when the agent chose arm 2, 0 for arm 1 (its mean over seeds is the fraction choosing arm 2)",
      },
    ],
  };
}

/** The frozen agent's learning curve on the validation episodes. */
function curveTable(): TableSpec {
  return {
    name: "curve",
    doc:
      "The learning curve of the frozen agent: every curve_every training episodes (and before training), a frozen copy plays the same validation_episodes random episodes.",
    step: "episodes",
    columns: [
      { name: "episodes", type: "int", role: "index", doc: "training episodes completed" },
      f64Metric(
        "cumulative_regret",
        "cumulative expected regret at the last trial, mean over the episodes",
        "reward",
      ),
      f64Metric(
        "bayes_agreement",
        "fraction of trials on which the agent picks an arm the Bayes-optimal policy picks after the same history",
        "fraction",
      ),
    ],
  };
}

/** The baselines on the validation episodes (the learning curve's horizontal lines). */
function validationTable(): TableSpec {
  return {
    name: "validation",
    doc: "The baselines on the validation episodes (the learning curve's horizontal lines).",
    columns: [
      { name: "agent", type: "str", role: "index", doc: "random, oracle, thompson, ucb1 or bayes-optimal" },
      f64Metric(
        "cumulative_regret",
        "cumulative expected regret at the last trial, mean over the episodes",
        "reward",
      ),
      f64Metric(
        "bayes_agreement",
        "fraction of trials on which the policy picks an arm the Bayes-optimal policy picks after the same history",
        "fraction",
      ),
    ],
  };
}

/** The frozen agent's choice after each count of successes, against the Bayes-optimal choice. */
function policyMapTable(): TableSpec {
  return {
    name: "policy_map",
    doc:
      "After training: the frozen agent's choice after histories of map_pulls pulls of each arm, s1 and s2 of them successes, against the Bayes-optimal policy's.",
    columns: [
      { name: "s1", type: "int", role: "index", doc: "successes in map_pulls pulls of arm 1" },
      { name: "s2", type: "int", role: "index", doc: "successes in map_pulls pulls of arm 2" },
      f64Metric(
        "p_arm1",
        "the agent's probability of choosing arm 1 next, mean over map_orders random orders of the history",
        "probability",
      ),
      f64Metric("bayes_arm1", "the Bayes-optimal choice: 1 for arm 1, 0 for arm 2, 0.5 when both are optimal"),
      f64Metric("difference", "p_arm1 - bayes_arm1"),
    ],
  };
}

/** The tables, metrics first. */
export function tables(): TableSpec[] {
  return [metricsTable(), regretTable(), rasterTable(), curveTable(), validationTable(), policyMapTable()];
}
