/**
 * Statistics over seeds: mean, sample standard deviation and Student-t
 * confidence intervals.
 *
 * @example
 * ```ts
 * import { describe, studentTQuantile } from "./stats.ts";
 * studentTQuantile(0.975, 4); // 2.7764451051977...
 * const d = describe([1, 2, 3, 4, 5], 0.95);
 * d.mean; // 3
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
  min: number;
  max: number;
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
  const order = { median, min: sorted[0], max: sorted[n - 1] };
  if (n < 2) return { n, mean, std: null, ci: null, ...order };
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const std = Math.sqrt(ss / (n - 1));
  const half = studentTQuantile(1 - (1 - level) / 2, n - 1) * std / Math.sqrt(n);
  return { n, mean, std, ci: [mean - half, mean + half], ...order };
}
