/**
 * The cue-reward timing task of the value-RNN paper (mobeets/value-rnn-td,
 * `PavlovTiming`): each trial shows one cue, then a reward a fixed delay
 * later. A pure function of the RNG.
 *
 * Trial layout (rows are time steps, as the original): `iti + isi + 2` rows,
 * the cue's one-hot at row `iti`, reward 1 at row `iti + isi`, one trailing
 * row. The input at each row is [cue one-hot..., r(t)] (the same step's
 * reward appended). Cues alternate (0, 1, 0, 1, ...); the inter-trial
 * interval is geometric on {1, 2, ...}.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { pavlovTrials, trueValue } from "./pavlov_timing.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const trials = pavlovTrials(Rng.fromSeed(0).stream("task"), { cues: 2, trialsPerCue: 50, delays: [10, 15], itiP: 0.5 });
 * assertEquals(trials[1].cue, 1);
 * trueValue(trials[0].rewards, 0.5); // [.., 0.5, 1, 0]
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";

/** Task settings. */
export interface PavlovConfig {
  cues: number;
  trialsPerCue: number;
  /** Reward delay (ISI) per cue, in time steps. */
  delays: number[];
  /** Success probability of the geometric inter-trial interval (mean 1 / p). */
  itiP: number;
}

/** One trial. */
export interface Trial {
  cue: number;
  iti: number;
  isi: number;
  /** Number of rows (time steps): iti + isi + 2. */
  length: number;
  /** inputs: [length, cues + 1] row-major: cue one-hot, then the same step's reward. */
  inputs: Float32Array;
  /** rewards: [length] */
  rewards: Float32Array;
}

/** One trial of cue `cue` with the given ITI and delay. */
export function makeTrial(cue: number, iti: number, isi: number, cues: number): Trial {
  if (!(Number.isInteger(cue) && cue >= 0 && cue < cues)) {
    throw new Error(`Cue must be an integer in [0, ${cues}), got ${cue}`);
  }
  if (!(Number.isInteger(iti) && iti >= 1)) throw new Error(`ITI must be a positive integer, got ${iti}`);
  if (!(Number.isInteger(isi) && isi >= 1)) throw new Error(`ISI must be a positive integer, got ${isi}`);
  const length = iti + isi + 2;
  const width = cues + 1;
  const inputs = new Float32Array(length * width);
  const rewards = new Float32Array(length);
  inputs[iti * width + cue] = 1;
  rewards[iti + isi] = 1;
  inputs[(iti + isi) * width + cues] = 1;
  return { cue, iti, isi, length, inputs, rewards };
}

/** The original's trial list: cues tiled (0, 1, ..., 0, 1, ...), geometric ITIs from `rng`. */
export function pavlovTrials(rng: Rng, cfg: PavlovConfig): Trial[] {
  if (cfg.delays.length !== cfg.cues) {
    throw new Error(`Need one delay per cue: ${cfg.cues} cues, ${cfg.delays.length} delays`);
  }
  const trials: Trial[] = [];
  for (let i = 0; i < cfg.trialsPerCue; i++) {
    for (let c = 0; c < cfg.cues; c++) trials.push(makeTrial(c, rng.geometric(cfg.itiP), cfg.delays[c], cfg.cues));
  }
  return trials;
}

/**
 * The value TD learning targets, for rows 0 .. length - 2:
 * V(t) = sum_k gamma^k r(t + 1 + k). It is 1 at the row before the reward and
 * gamma^(isi - 1) at the cue.
 */
export function trueValue(rewards: Float32Array, gamma: number): Float64Array {
  const n = rewards.length - 1;
  const v = new Float64Array(n);
  let acc = 0;
  for (let t = n - 1; t >= 0; t--) {
    acc = rewards[t + 1] + gamma * acc;
    v[t] = acc;
  }
  return v;
}
