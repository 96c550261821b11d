/**
 * Reference policies for the two-armed Bernoulli bandit, evaluated on the
 * same episodes as a trained agent: random, oracle (knows the probabilities),
 * Thompson sampling and UCB1 (independent Beta(1, 1) arm models), and the
 * Bayes-optimal policy for the task's prior and a 100-trial horizon.
 *
 * Bayes-optimal, exactly:
 * - correlated arms (p2 = 1 - p1, p1 = u1 / (u1 + u2)): every outcome is
 *   evidence about p1 alone (a = successes on arm 1 + failures on arm 2,
 *   b = the rest), and both arms lead to the same posterior states, so the
 *   continuation value is the same whichever arm is pulled and the optimal
 *   choice is the arm with the higher posterior mean, computed with the
 *   exact prior density f(p1) = 1 / (2 max(p1, 1 - p1)^2);
 * - independent arms (uniform priors): dynamic programming over
 *   (s1, f1, s2, f2) for the remaining trials, the finite-horizon
 *   Bayes-optimal policy (what the Gittins index approximates).
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { makePolicy } from "./bandit_policies.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const policy = makePolicy("thompson", { structure: "correlated", horizon: 100 });
 * policy.reset([0.3, 0.7]);
 * const arm = policy.act(Rng.fromSeed(0).stream("thompson"));
 * policy.update(arm, 1);
 * assert(arm === 0 || arm === 1);
 * ```
 * @module
 */
import type { RewardStructure } from "../envs/two_armed_bandit.ts";
import type { Rng } from "../rng/mod.ts";

/** A policy for one episode at a time. */
export interface BanditPolicy {
  name: string;
  /** A new episode; `p` is used only by the oracle. */
  reset(p: readonly number[]): void;
  act(rng: Rng): number;
  update(arm: number, reward: number): void;
}

/** The policies by name. */
export const POLICY_NAMES = ["random", "oracle", "thompson", "ucb1", "bayes-optimal"] as const;
/** A policy's name. */
export type PolicyName = typeof POLICY_NAMES[number];

/** A Beta(a, b) draw for positive integers a, b: G_a / (G_a + G_b) with Gamma(k) = sum of k Exp(1). */
export function betaIntegers(a: number, b: number, rng: Rng): number {
  let ga = 0, gb = 0;
  for (let i = 0; i < a; i++) ga -= Math.log(1 - rng.uniform());
  for (let i = 0; i < b; i++) gb -= Math.log(1 - rng.uniform());
  return ga / (ga + gb);
}

/** Posterior means E[p1 | a, b] under the correlated prior, for a + b <= horizon (a table [a][b]). */
export function correlatedPosteriorMeans(horizon: number): Float64Array[] {
  // Simpson's rule on [0, 1] with the prior density 1 / (2 max(p, 1 - p)^2).
  const n = 4000;
  const h = 1 / n;
  const p = Float64Array.from({ length: n + 1 }, (_, i) => i * h);
  const w = Float64Array.from(
    { length: n + 1 },
    (_, i) => (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) / (2 * Math.max(p[i], 1 - p[i]) ** 2),
  );
  const logp = p.map((v) => Math.log(v)), logq = p.map((v) => Math.log(1 - v));
  const table: Float64Array[] = [];
  for (let a = 0; a <= horizon; a++) {
    table.push(new Float64Array(horizon - a + 1));
    for (let b = 0; a + b <= horizon; b++) {
      // Scale by the largest exponent to avoid underflow.
      let maxLog = -Infinity;
      const lw = new Float64Array(n + 1);
      for (let i = 0; i <= n; i++) {
        lw[i] = (a ? a * logp[i] : 0) + (b ? b * logq[i] : 0);
        if (Number.isFinite(lw[i]) && lw[i] > maxLog) maxLog = lw[i];
      }
      let num = 0, den = 0;
      for (let i = 0; i <= n; i++) {
        if (!Number.isFinite(lw[i])) continue;
        const v = w[i] * Math.exp(lw[i] - maxLog);
        den += v;
        num += v * p[i];
      }
      table[a][b] = num / den;
    }
  }
  return table;
}

/**
 * Finite-horizon Bayes-optimal values for independent arms with uniform
 * priors: value(t, s1, f1, s2) is the expected reward still to come after t
 * trials with s1 successes and f1 failures on arm 1 and s2 successes on arm 2
 * (f2 = t - s1 - f1 - s2).
 */
export class IndependentDp {
  readonly horizon: number;
  readonly #values: Float64Array[];
  /** #offsets[t][n1]: start of the (t, n1) block, of (n1 + 1)(t - n1 + 1) states. */
  readonly #offsets: Int32Array[];

  constructor(horizon: number) {
    this.horizon = horizon;
    this.#offsets = Array.from({ length: horizon + 2 }, (_, t) => {
      const o = new Int32Array(t + 2);
      for (let k = 0; k <= t; k++) o[k + 1] = o[k] + (k + 1) * (t - k + 1);
      return o;
    });
    this.#values = new Array(horizon + 1);
    this.#values[horizon] = new Float64Array(this.#size(horizon));
    for (let t = horizon - 1; t >= 0; t--) {
      const v = new Float64Array(this.#size(t));
      for (let n1 = 0; n1 <= t; n1++) {
        for (let s1 = 0; s1 <= n1; s1++) {
          for (let s2 = 0; s2 <= t - n1; s2++) v[this.#index(t, n1, s1, s2)] = Math.max(...this.q(t, n1, s1, s2));
        }
      }
      this.#values[t] = v;
    }
  }

  /** States after t trials: sum over n1 of (n1 + 1)(t - n1 + 1) = (t + 1)(t + 2)(t + 3) / 6. */
  #size(t: number): number {
    return ((t + 1) * (t + 2) * (t + 3)) / 6;
  }

  #index(t: number, n1: number, s1: number, s2: number): number {
    return this.#offsets[t][n1] + s1 * (t - n1 + 1) + s2;
  }

  /** Expected reward to come, for each arm, at a state (t trials, n1 on arm 1, s1 and s2 successes). */
  q(t: number, n1: number, s1: number, s2: number): [number, number] {
    const n2 = t - n1;
    const m1 = (s1 + 1) / (n1 + 2), m2 = (s2 + 1) / (n2 + 2);
    const next = this.#values[t + 1];
    const v = (nn1: number, ss1: number, ss2: number) => next[this.#index(t + 1, nn1, ss1, ss2)];
    return [
      m1 * (1 + v(n1 + 1, s1 + 1, s2)) + (1 - m1) * v(n1 + 1, s1, s2),
      m2 * (1 + v(n1, s1, s2 + 1)) + (1 - m2) * v(n1, s1, s2),
    ];
  }
}

const dpCache = new Map<number, IndependentDp>();
const meanCache = new Map<number, Float64Array[]>();

/** Values closer than this (relative) are a tie: rounding, not evidence. */
const TIE = 1e-9;

/**
 * The arms the Bayes-optimal policy may pick after a history: a function of
 * the trial t (trials done), the pulls n and successes s per arm, returning
 * [arm 1 optimal, arm 2 optimal] (both true on a tie, values within 1e-9
 * relative, as symmetric histories give up to rounding). For agreement with an
 * agent's choices on the agent's own histories.
 *
 * @example
 * ```ts
 * import { bayesOptimalArms } from "./bandit_policies.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const arms = bayesOptimalArms("correlated", 100);
 * assertEquals(arms(0, [0, 0], [0, 0]), [true, true]); // no evidence yet
 * assertEquals(arms(1, [1, 0], [1, 0]), [true, false]); // arm 1 paid once
 * ```
 */
export function bayesOptimalArms(
  structure: RewardStructure,
  horizon: number,
): (t: number, n: readonly number[], s: readonly number[]) => [boolean, boolean] {
  if (structure === "correlated") {
    if (!meanCache.has(horizon)) meanCache.set(horizon, correlatedPosteriorMeans(horizon));
    const means = meanCache.get(horizon)!;
    return (_t, n, s) => {
      const m = means[s[0] + (n[1] - s[1])][(n[0] - s[0]) + s[1]];
      // Balanced evidence gives 0.5 up to the quadrature's rounding (about 1e-15): a tie.
      if (Math.abs(m - 0.5) < TIE) return [true, true];
      return [m > 0.5, m < 0.5];
    };
  }
  if (!dpCache.has(horizon)) dpCache.set(horizon, new IndependentDp(horizon));
  const dp = dpCache.get(horizon)!;
  return (t, n, s) => {
    if (t >= horizon) return [true, true];
    const [q0, q1] = dp.q(t, n[0], s[0], s[1]);
    if (Math.abs(q0 - q1) < TIE * Math.max(1, Math.abs(q0))) return [true, true];
    return [q0 > q1, q1 > q0];
  };
}

/** A policy by name. */
export function makePolicy(name: PolicyName, opts: { structure: RewardStructure; horizon: number }): BanditPolicy {
  let s = [0, 0], n = [0, 0], t = 0, p: readonly number[] = [0.5, 0.5];
  const base = {
    name,
    reset(probs: readonly number[]) {
      s = [0, 0];
      n = [0, 0];
      t = 0;
      p = probs;
    },
    update(arm: number, reward: number) {
      n[arm]++;
      s[arm] += reward;
      t++;
    },
  };
  switch (name) {
    case "random":
      return { ...base, act: (rng) => rng.int(2) };
    case "oracle":
      return { ...base, act: () => (p[1] > p[0] ? 1 : 0) };
    case "thompson":
      return {
        ...base,
        act: (rng) => {
          const a = betaIntegers(s[0] + 1, n[0] - s[0] + 1, rng), b = betaIntegers(s[1] + 1, n[1] - s[1] + 1, rng);
          return b > a ? 1 : 0;
        },
      };
    case "ucb1":
      return {
        ...base,
        act: () => {
          if (n[0] === 0) return 0;
          if (n[1] === 0) return 1;
          const u = [0, 1].map((i) => s[i] / n[i] + Math.sqrt((2 * Math.log(t)) / n[i]));
          return u[1] > u[0] ? 1 : 0;
        },
      };
    case "bayes-optimal": {
      if (opts.structure === "correlated") {
        if (!meanCache.has(opts.horizon)) meanCache.set(opts.horizon, correlatedPosteriorMeans(opts.horizon));
        const means = meanCache.get(opts.horizon)!;
        return {
          ...base,
          act: () => {
            const a = s[0] + (n[1] - s[1]), b = (n[0] - s[0]) + s[1];
            return means[a][b] >= 0.5 ? 0 : 1;
          },
        };
      }
      if (!dpCache.has(opts.horizon)) dpCache.set(opts.horizon, new IndependentDp(opts.horizon));
      const dp = dpCache.get(opts.horizon)!;
      return {
        ...base,
        act: () => {
          if (t >= opts.horizon) return 0;
          const [q0, q1] = dp.q(t, n[0], s[0], s[1]);
          return q1 > q0 ? 1 : 0;
        },
      };
    }
  }
}
