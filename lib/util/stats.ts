/**
 * Statistics over seeds: mean, sample standard deviation and Student-t
 * confidence intervals.
 *
 * @example
 * ```ts
 * import { describe, studentTQuantile } from "./stats.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * studentTQuantile(0.975, 4); // 2.7764451051977...
 * const d = describe([1, 2, 3, 4, 5], 0.95);
 * assertEquals(d.mean, 3);
 * d.ci; // [1.0367..., 4.9632...]
 * ```
 * @module
 */

/** log Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 significant digits). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new Error(`logGamma needs x > 0, got ${x}`);
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1, d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return Math.exp(lbt) * betaContinuedFraction(x, a, b) / a;
  return 1 - Math.exp(lbt) * betaContinuedFraction(1 - x, b, a) / b;
}

/** CDF of Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (bisection to machine precision). p in (0, 1), df > 0. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile needs p in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile needs df > 0, got ${df}`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0, hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Summary statistics of a sample. */
export interface Description {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null when n < 2. */
  std: number | null;
  /** Two-sided Student-t confidence interval of the mean; null when n < 2. */
  ci: [number, number] | null;
  /** Median (mean of the two middle values for even n), smallest and largest value. */
  median: number;
  /** 25th and 75th percentiles, by linear interpolation between order statistics (numpy's default). */
  q25: number;
  q75: number;
  min: number;
  max: number;
}

/** The q-quantile of sorted values by linear interpolation at position (n - 1) q (numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Mean, sample std and the `level` confidence interval of the mean. Values are summed in the given order. */
export function describe(values: readonly number[], level: number): Description {
  const n = values.length;
  if (n === 0) throw new Error("describe() needs at least one value");
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  const sorted = [...values].sort((a, b) => a - b);
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const order = {
    median,
    q25: quantileSorted(sorted, 0.25),
    q75: quantileSorted(sorted, 0.75),
    min: sorted[0],
    max: sorted[n - 1],
  };
  if (n < 2) return { n, mean, std: null, ci: null, ...order };
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const std = Math.sqrt(ss / (n - 1));
  const half = studentTQuantile(1 - (1 - level) / 2, n - 1) * std / Math.sqrt(n);
  return { n, mean, std, ci: [mean - half, mean + half], ...order };
}

/** Regularized lower incomplete gamma P(a, x) (series for x < a + 1, continued fraction otherwise). */
export function incompleteGammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lg = logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a, term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return sum * Math.exp(-x + a * Math.log(x) - lg);
  }
  // Continued fraction for Q(a, x) (modified Lentz).
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return 1 - Math.exp(-x + a * Math.log(x) - lg) * h;
}

/** CDF of the standard normal distribution. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z === Infinity) return 1;
  if (z === -Infinity) return 0;
  const p = 0.5 * incompleteGammaP(0.5, (z * z) / 2); // = erf(|z| / sqrt 2) / 2
  return z >= 0 ? 0.5 + p : 0.5 - p;
}

/** Student-t CDF that also takes infinite t (a sample without spread). */
function tCdf(t: number, df: number): number {
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  return studentTCdf(t, df);
}

/**
 * A one-sided test of "the effect exceeds `margin`" (H1: effect > margin),
 * with the opposite one-sided p-value (H1: effect < margin) and a two-sided
 * (1 - 2 alpha) confidence interval of the effect, whose lower end is the
 * one-sided bound at level 1 - alpha.
 */
export interface OneSidedTest {
  /** paired (differences of seeds both sides share), welch (two samples), ranksum (Wilcoxon rank-sum), binomial. */
  method: "paired" | "welch" | "ranksum" | "binomial" | "one-sample";
  /** The estimated effect (a mean difference, a mean, a fraction). */
  effect: number;
  /** Confidence interval of the effect at level 1 - 2 alpha; null when it cannot be computed. */
  ci: [number, number] | null;
  /** p-value for H1: effect > margin (NaN when undecidable: no spread and no difference). */
  p: number;
  /** p-value for H1: effect < margin. */
  pOpposite: number;
  /** Seeds (per side for two-sample tests). */
  n: number;
  df: number | null;
  /** Test statistic (t, z or successes). */
  statistic: number;
  /**
   * The spread the effect is measured against, for power estimates: the
   * standard deviation of the values (one-sample, paired) or the root mean of
   * the two samples' variances (two samples); null for a proportion or one seed.
   */
  sd: number | null;
}

function sampleStats(values: readonly number[]): { n: number; mean: number; variance: number } {
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { n, mean, variance: n > 1 ? ss / (n - 1) : NaN };
}

/** The t statistic's p-values with a zero-spread sample handled: a difference with no spread is certain, none is undecidable. */
function tPValues(diff: number, se: number, df: number): { t: number; p: number; pOpposite: number } {
  if (se === 0) {
    if (diff === 0) return { t: NaN, p: NaN, pOpposite: NaN };
    return diff > 0 ? { t: Infinity, p: 0, pOpposite: 1 } : { t: -Infinity, p: 1, pOpposite: 0 };
  }
  const t = diff / se;
  return { t, p: 1 - tCdf(t, df), pOpposite: tCdf(t, df) };
}

/**
 * One-sample t-test of mean(values) > margin (a paired test when `values`
 * are per-seed differences). alpha sets the CI: (1 - 2 alpha) two-sided.
 */
export function oneSampleTTest(values: readonly number[], margin: number, alpha: number): OneSidedTest {
  const s = sampleStats(values);
  if (s.n < 2) {
    return {
      method: "one-sample",
      effect: s.mean,
      ci: null,
      p: NaN,
      pOpposite: NaN,
      n: s.n,
      df: null,
      statistic: NaN,
      sd: null,
    };
  }
  const se = Math.sqrt(s.variance / s.n), df = s.n - 1;
  const { t, p, pOpposite } = tPValues(s.mean - margin, se, df);
  const half = studentTQuantile(1 - alpha, df) * se;
  return {
    method: "one-sample",
    effect: s.mean,
    ci: [s.mean - half, s.mean + half],
    p,
    pOpposite,
    n: s.n,
    df,
    statistic: t,
    sd: Math.sqrt(s.variance),
  };
}

/** Paired t-test of mean(a - b) > margin over pairs (a[i], b[i]). */
export function pairedTTest(a: readonly number[], b: readonly number[], margin: number, alpha: number): OneSidedTest {
  if (a.length !== b.length) throw new Error(`pairedTTest(): ${a.length} values against ${b.length}`);
  return { ...oneSampleTTest(a.map((x, i) => x - b[i]), margin, alpha), method: "paired" };
}

/** Welch's two-sample t-test of mean(a) - mean(b) > margin (unequal variances, Welch-Satterthwaite df). */
export function welchTTest(a: readonly number[], b: readonly number[], margin: number, alpha: number): OneSidedTest {
  const x = sampleStats(a), y = sampleStats(b);
  const effect = x.mean - y.mean;
  if (x.n < 2 || y.n < 2) {
    return {
      method: "welch",
      effect,
      ci: null,
      p: NaN,
      pOpposite: NaN,
      n: Math.min(x.n, y.n),
      df: null,
      statistic: NaN,
      sd: null,
    };
  }
  const vx = x.variance / x.n, vy = y.variance / y.n;
  const se = Math.sqrt(vx + vy);
  const df = se === 0 ? x.n + y.n - 2 : (vx + vy) ** 2 / (vx * vx / (x.n - 1) + vy * vy / (y.n - 1));
  const { t, p, pOpposite } = tPValues(effect - margin, se, df);
  const half = studentTQuantile(1 - alpha, df) * se;
  return {
    method: "welch",
    effect,
    ci: [effect - half, effect + half],
    p,
    pOpposite,
    n: Math.min(x.n, y.n),
    df,
    statistic: t,
    sd: Math.sqrt((x.variance + y.variance) / 2),
  };
}

/**
 * Wilcoxon rank-sum test of "a tends to be larger than b" by the normal
 * approximation without tie or continuity correction, as scipy.stats.ranksums
 * (the test of Backpropamine's figure script). `margin` shifts b. The effect
 * is the difference of medians; no CI.
 */
export function rankSumTest(a: readonly number[], b: readonly number[], margin = 0): OneSidedTest {
  const n1 = a.length, n2 = b.length;
  const all = [...a.map((v) => ({ v, s: 0 })), ...b.map((v) => ({ v: v + margin, s: 1 }))].sort((p, q) => p.v - q.v);
  const ranks = new Array(all.length);
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1; // midranks for ties
    i = j + 1;
  }
  let r1 = 0;
  all.forEach((x, i) => (r1 += x.s === 0 ? ranks[i] : 0));
  const median = (v: readonly number[]) => describe(v, 0.95).median;
  const effect = n1 && n2 ? median(a) - median(b) : NaN;
  if (n1 < 1 || n2 < 1) {
    return { method: "ranksum", effect, ci: null, p: NaN, pOpposite: NaN, n: 0, df: null, statistic: NaN, sd: null };
  }
  const z = (r1 - (n1 * (n1 + n2 + 1)) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return {
    method: "ranksum",
    effect,
    ci: null,
    p: 1 - normalCdf(z),
    pOpposite: normalCdf(z),
    n: Math.min(n1, n2),
    df: null,
    statistic: z,
    sd: n1 > 1 && n2 > 1 ? Math.sqrt((sampleStats(a).variance + sampleStats(b).variance) / 2) : null,
  };
}

/** P(X <= k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return 1 - incompleteBeta(p, k + 1, n - k); // P(X <= k) = I_{1-p}(n-k, k+1)
}

/** Inverse of x -> I_x(a, b) by bisection. */
function betaQuantile(q: number, a: number, b: number): number {
  let lo = 0, hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (incompleteBeta(mid, a, b) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** One-sided Clopper-Pearson bounds of a binomial proportion, each at level 1 - alpha. */
export function clopperPearson(k: number, n: number, alpha: number): [number, number] {
  const lower = k === 0 ? 0 : betaQuantile(alpha, k, n - k + 1);
  const upper = k === n ? 1 : betaQuantile(1 - alpha, k + 1, n - k);
  return [lower, upper];
}

/** Exact binomial test of "the proportion exceeds p0" from k successes in n; the CI is one-sided bounds at 1 - alpha. */
export function binomialTest(k: number, n: number, p0: number, alpha: number): OneSidedTest {
  if (n < 1) {
    return { method: "binomial", effect: NaN, ci: null, p: NaN, pOpposite: NaN, n, df: null, statistic: k, sd: null };
  }
  return {
    method: "binomial",
    effect: k / n,
    ci: clopperPearson(k, n, alpha),
    p: 1 - binomialCdf(k - 1, n, p0), // P(X >= k | p0)
    pOpposite: binomialCdf(k, n, p0), // P(X <= k | p0)
    n,
    df: null,
    statistic: k,
    sd: null,
  };
}

/** Holm's step-down adjustment of p-values (NaN stays NaN and counts as 1 in the ordering). */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => ({ p: Number.isNaN(p) ? Infinity : p, i })).sort((x, y) => x.p - y.p);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = Number.isNaN(ps[i]) ? NaN : running;
  });
  return out;
}

/**
 * Seeds a one-sided t-test at level `alpha` would need for 80% power at the
 * standardized effect d (effect minus margin, over the standard deviation):
 * the smallest n with d sqrt(n / k) >= t(1 - alpha) + t(0.8), k = 1 for a
 * one-sample or paired test, 2 (per side) for two samples. Null when d <= 0
 * (the observed effect points the other way) or above `cap`.
 */
export function seedsNeeded(d: number, alpha: number, twoSample: boolean, cap = 10000): number | null {
  if (!(d > 0)) return null;
  for (let n = 2; n <= cap; n++) {
    const df = twoSample ? 2 * n - 2 : n - 1;
    if (d * Math.sqrt(twoSample ? n / 2 : n) >= studentTQuantile(1 - alpha, df) + studentTQuantile(0.8, df)) return n;
  }
  return null;
}

/**
 * Seeds an exact one-sided binomial test at level `alpha` would need for 80%
 * power when the true fraction is the observed `phat`: the smallest n whose
 * rejection region, "above p0" (k with P(X >= k | p0) < alpha) when phat > p0
 * or "below p0" (P(X <= k | p0) < alpha) when phat < p0, has probability at
 * least 0.8 under phat. Null when phat equals p0 (no number of seeds decides
 * a fraction that sits on the bound) or above `cap`.
 *
 * @example
 * ```ts
 * import { seedsNeededFraction } from "./stats.ts";
 * import { ok as assert } from "node:assert";
 * assert(seedsNeededFraction(0.4, 0.5, 0.05)! > 100); // 4 of 10 against "at least half"
 * assert(seedsNeededFraction(0.5, 0.5, 0.05) === null);
 * ```
 */
export function seedsNeededFraction(phat: number, p0: number, alpha: number, cap = 2000): number | null {
  if (phat === p0 || !(phat >= 0 && phat <= 1)) return null;
  const above = phat > p0;
  for (let n = 1; n <= cap; n++) {
    if (above) {
      // smallest k with P(X >= k | p0) < alpha; power P(X >= k | phat)
      let k = Math.floor(n * p0);
      while (k <= n && 1 - binomialCdf(k - 1, n, p0) >= alpha) k++;
      if (k <= n && 1 - binomialCdf(k - 1, n, phat) >= 0.8) return n;
    } else {
      // largest k with P(X <= k | p0) < alpha; power P(X <= k | phat)
      let k = Math.ceil(n * p0);
      while (k >= 0 && binomialCdf(k, n, p0) >= alpha) k--;
      if (k >= 0 && binomialCdf(k, n, phat) >= 0.8) return n;
    }
  }
  return null;
}
