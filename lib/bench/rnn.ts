/**
 * Benchmarks of the recurrent experiments at their paper configurations:
 * training epochs/s of the value RNN (TD learning) and training episodes/s of
 * the meta-RL LSTM (A2C), measured by the wall time of a short run.
 * @module
 */
import type { Benchmark } from "./mod.ts";
import { initBackend } from "../engine/run/backend.ts";
import { runInProcess } from "../engine/run/in_memory.ts";
import { valueRnnTd } from "../experiments/value_rnn_td.ts";
import { metaRlBandit } from "../experiments/meta_rl_bandit.ts";

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = {
  "value-rnn-td/train-epochs": {
    id: "value-rnn-td/train-epochs",
    description: "Training epochs/s of the 2-unit value LSTM (100 trials per epoch, batch 12), 300 epochs",
    backends: ["wasm", "webgpu"],
    async run(backend) {
      const info = await initBackend(backend);
      const epochs = 300;
      // patience >= epochs: no early stopping, so the run trains exactly `epochs` epochs.
      const config = { max_epochs: epochs, patience: epochs, checkpoint_every: 1000 };
      await runInProcess(valueRnnTd, { ...config, max_epochs: 20 }, {}, { backend: info });
      const t0 = performance.now();
      await runInProcess(valueRnnTd, config, {}, { backend: info });
      const s = (performance.now() - t0) / 1000;
      return {
        value: epochs / s,
        unit: "epochs/s",
        better: "higher",
        details: { seconds: s, paper_run_minutes_at_5000_epochs: 5000 / (epochs / s) / 60 },
      };
    },
  },
  "meta-rl-bandit/train-episodes": metaRlBench(
    "meta-rl-bandit/train-episodes",
    "Training episodes/s of the 48-unit meta-RL LSTM (100 trials per episode, A2C), the replication's 5 round-robin workers, 500 episodes",
    {},
    { replication_run_minutes_at_20000_episodes: 20000, long_run_minutes_at_100000_episodes: 100000 },
  ),
  "meta-rl-bandit/train-episodes-one-thread": metaRlBench(
    "meta-rl-bandit/train-episodes-one-thread",
    "Training episodes/s of the paper profile's training (Wang et al. 2016: one update per episode, trial number input, entropy cost), 500 episodes",
    { update: "mean", batch_episodes: 1, trial_input: true, entropy_start: 0.001, entropy_end: null },
    { paper_setting_minutes_at_20000_episodes: 20000 },
  ),
};

/** A meta-RL training benchmark: `episodes` episodes/s of a config, with minutes per run at the given budgets. */
function metaRlBench(
  id: string,
  description: string,
  overrides: Record<string, unknown>,
  budgets: Record<string, number>,
): Benchmark {
  return {
    id,
    description,
    backends: ["wasm", "webgpu"],
    async run(backend) {
      const info = await initBackend(backend);
      const episodes = 500;
      const config = {
        episodes,
        eval_every: 100000,
        eval_episodes: 1,
        test_episodes: 1,
        baselines: [],
        validation_episodes: 0,
        map_pulls: 0,
        ...overrides,
      };
      await runInProcess(metaRlBandit, { ...config, episodes: 50 }, {}, { backend: info });
      const t0 = performance.now();
      await runInProcess(metaRlBandit, config, {}, { backend: info });
      const s = (performance.now() - t0) / 1000;
      const rate = episodes / s;
      return {
        value: rate,
        unit: "episodes/s",
        better: "higher",
        details: {
          seconds: s,
          ...Object.fromEntries(Object.entries(budgets).map(([k, n]) => [k, n / rate / 60])),
        },
      };
    },
  };
}
