import { assert, assertEquals } from "../../helpers/assert.ts";
import {
  binomialTest,
  clopperPearson,
  describe,
  holm,
  incompleteBeta,
  normalCdf,
  pairedTTest,
  rankSumTest,
  seedsNeeded,
  seedsNeededFraction,
  studentTQuantile,
  welchTTest,
} from "../../../lib/util/stats.ts";

const close = (a: number, b: number, tol: number) => assert(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("studentTQuantile() matches tabulated t quantiles", () => {
  // R: qt(0.975, df)
  close(studentTQuantile(0.975, 1), 12.706204736174698, 1e-9);
  close(studentTQuantile(0.975, 2), 4.302652729749464, 1e-10);
  close(studentTQuantile(0.975, 4), 2.7764451051977934, 1e-10);
  close(studentTQuantile(0.975, 9), 2.2621571627982053, 1e-10);
  close(studentTQuantile(0.995, 30), 2.749995653567046, 1e-10);
  close(studentTQuantile(0.975, 1e6), 1.959966327, 1e-6);
  close(studentTQuantile(0.025, 4), -2.7764451051977934, 1e-10);
  close(incompleteBeta(0.5, 2, 3), 0.6875, 1e-12);
});

Deno.test("describe() gives mean, sample std and the t interval", () => {
  const d = describe([1, 2, 3, 4, 5], 0.95);
  assertEquals(d.n, 5);
  assertEquals(d.mean, 3);
  close(d.std!, Math.sqrt(2.5), 1e-15);
  const half = 2.7764451051977934 * Math.sqrt(2.5) / Math.sqrt(5);
  close(d.ci![0], 3 - half, 1e-9);
  close(d.ci![1], 3 + half, 1e-9);
  assertEquals([d.median, d.min, d.max], [3, 1, 5]);
  assertEquals(describe([4, 1, 3, 2], 0.95).median, 2.5);
  const one = describe([7], 0.95);
  assertEquals([one.std, one.ci], [null, null]);
});

// Student's sleep data (Cushny and Peebles 1905), R's `sleep` data set: extra hours of sleep of 10 patients
// under drug 1 and drug 2. R's documentation of t.test gives the worked results quoted below.
const DRUG1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const DRUG2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

Deno.test("pairedTTest() reproduces R's t.test(paired = TRUE) on the sleep data", () => {
  // R: t = 4.0621, df = 9, p-value = 0.002833 (two-sided); 95% CI 0.7001142 2.4598858; mean difference 1.58.
  const r = pairedTTest(DRUG2, DRUG1, 0, 0.025);
  close(r.statistic, 4.0621, 5e-5);
  assertEquals(r.df, 9);
  close(2 * r.p, 0.002833, 5e-7);
  close(r.effect, 1.58, 1e-12);
  close(r.ci![0], 0.7001142, 5e-8);
  close(r.ci![1], 2.4598858, 5e-8);
  close(r.p + r.pOpposite, 1, 1e-12);
});

Deno.test("welchTTest() reproduces R's Welch t.test on the sleep data (t, Welch-Satterthwaite df, p, CI)", () => {
  // R: t = -1.8608, df = 17.776, p-value = 0.07939; 95% CI -3.3654832 0.2054832.
  const r = welchTTest(DRUG1, DRUG2, 0, 0.025);
  close(r.statistic, -1.8608, 5e-5);
  close(r.df!, 17.776, 5e-4);
  close(2 * r.pOpposite, 0.07939, 5e-6);
  close(r.ci![0], -3.3654832, 5e-7);
  close(r.ci![1], 0.2054832, 5e-7);
});

Deno.test("the t-tests leave no spread and no difference undecided, and treat a constant difference as certain", () => {
  const same = pairedTTest([1, 2, 3], [1, 2, 3], 0, 0.05);
  assert(Number.isNaN(same.p) && Number.isNaN(same.pOpposite));
  const shifted = pairedTTest([2, 3, 4], [1, 2, 3], 0, 0.05);
  assertEquals([shifted.p, shifted.pOpposite], [0, 1]);
  assert(Number.isNaN(pairedTTest([1], [0], 0, 0.05).p), "one seed decides nothing");
  // A margin shifts the null: a difference of 1 with no spread is not above a margin of 2.
  assertEquals(pairedTTest([2, 3, 4], [1, 2, 3], 2, 0.05).pOpposite, 0);
});

Deno.test("normalCdf() matches tabulated values", () => {
  close(normalCdf(1.959963984540054), 0.975, 1e-12);
  close(normalCdf(-1), 0.15865525393145707, 1e-12);
  close(normalCdf(0), 0.5, 0);
  close(normalCdf(3.5), 0.9997673709209645, 1e-12);
});

Deno.test("rankSumTest() reproduces R's two-sample wilcox.test example (W = 35) by the normal approximation", () => {
  // R's documentation of wilcox.test: permeability constants x (at term) and y (12-26 weeks gestational age);
  // wilcox.test(x, y, alternative = "g") reports W = 35. W = R1 - n1 (n1 + 1) / 2, so the rank sum of x is 90;
  // normal approximation without corrections (scipy.stats.ranksums): z = (90 - 80) / sqrt(10 * 5 * 16 / 12).
  const x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.90, 0.74, 1.21];
  const r = rankSumTest(x, y);
  close(r.statistic, 10 / Math.sqrt(200 / 3), 1e-12);
  close(r.p, 0.110335, 5e-6);
  // Ties share their mean rank.
  // [1, 2] against [2, 3]: ranks 1, 2.5 | 2.5, 4; R1 = 3.5 against its mean 5, variance 2 * 2 * 5 / 12.
  close(rankSumTest([1, 2], [2, 3]).statistic, -1.5 / Math.sqrt(5 / 3), 1e-12);
});

Deno.test("clopperPearson() and binomialTest() reproduce R's binom.test(682, 925, p = 0.75)", () => {
  // R: 95% CI 0.7076683 0.7654066 (two-sided, so each bound at 97.5%); p-value 0.3825 (two-sided, by the
  // method of small p-values). The one-sided p-values here are P(X >= 682) and P(X <= 682) at p = 0.75.
  const [lo, hi] = clopperPearson(682, 925, 0.025);
  close(lo, 0.7076683, 5e-8);
  close(hi, 0.7654066, 5e-8);
  const t = binomialTest(682, 925, 0.75, 0.025);
  close(t.effect, 682 / 925, 1e-15);
  assert(t.pOpposite > 0.15 && t.pOpposite < 0.2 && t.p > 0.8, `${t.p} ${t.pOpposite}`);
  // Six of six seeds: the one-sided 95% lower bound is 0.05^(1/6) = 0.6070.
  close(clopperPearson(6, 6, 0.05)[0], Math.pow(0.05, 1 / 6), 1e-12);
});

Deno.test("holm() adjusts as Holm's step-down procedure", () => {
  // Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running maximum 0.06 for the last.
  const adj = holm([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((want, i) => close(adj[i], want, 1e-15));
  assertEquals(holm([0.5, 0.9]), [1, 1], "0.5 * 2 = 1, then the running maximum");
  assert(Number.isNaN(holm([NaN, 0.01])[0]) && holm([NaN, 0.01])[1] === 0.02);
});

Deno.test("seedsNeeded() grows as the effect shrinks and is null for an effect the wrong way", () => {
  const big = seedsNeeded(2, 0.05, false)!, small = seedsNeeded(0.5, 0.05, false)!;
  assert(big < small, `${big} ${small}`);
  // d = 0.5, one-sided 5%, 80% power: about 27 by the normal approximation ((1.645 + 0.842) / 0.5)^2 = 24.7, a little more with t.
  assert(small >= 25 && small <= 28, String(small));
  assertEquals(seedsNeeded(-1, 0.05, false), null);
});

/** P(X = k) for X ~ Binomial(n, p), summed term by term (independent of the library's incomplete beta). */
function binomialPmfs(n: number, p: number): number[] {
  const out: number[] = [];
  let logC = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logC += Math.log((n - k + 1) / k);
    out.push(Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p)));
  }
  return out;
}

/** Power of the exact one-sided test of a fraction against p0 at level alpha, when the truth is phat. */
function bruteForcePower(n: number, phat: number, p0: number, alpha: number): number {
  const null_ = binomialPmfs(n, p0), truth = binomialPmfs(n, phat);
  let power = 0;
  for (let k = 0; k <= n; k++) {
    const tail = phat > p0
      ? null_.slice(k).reduce((a, b) => a + b, 0)
      : null_.slice(0, k + 1).reduce((a, b) => a + b, 0);
    if (tail < alpha) power += truth[k];
  }
  return power;
}

Deno.test("seedsNeededFraction() is the smallest n with 80% power, above and below the bound", () => {
  for (const [phat, p0] of [[0.4, 0.5], [0.8, 0.5], [1 / 6, 0.5], [0.9, 0.7]]) {
    const n = seedsNeededFraction(phat, p0, 0.05)!;
    assert(n !== null, `${phat} ${p0}`);
    assert(bruteForcePower(n, phat, p0, 0.05) >= 0.8, `power at n = ${n} for ${phat} against ${p0}`);
    for (let m = 1; m < n; m++) assert(bruteForcePower(m, phat, p0, 0.05) < 0.8, `n = ${m} already has 80% power`);
  }
  // 4 of 10 against "at least half": the normal approximation ((1.645 * 0.5 + 0.842 * 0.49) / 0.1)^2 gives 152.
  const n = seedsNeededFraction(0.4, 0.5, 0.05)!;
  assert(n >= 140 && n <= 170, String(n));
  assertEquals(seedsNeededFraction(0.5, 0.5, 0.05), null);
});
