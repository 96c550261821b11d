import { assert, assertEquals } from "../../helpers/assert.ts";
import {
  bayesOptimalArms,
  betaIntegers,
  correlatedPosteriorMeans,
  IndependentDp,
  makePolicy,
} from "../../../lib/baselines/bandit_policies.ts";
import { Rng } from "../../../lib/rng/mod.ts";

/** Brute-force Bayes-optimal value for independent uniform arms, by recursion (small horizons). */
function bruteForce(h: number, s1 = 0, f1 = 0, s2 = 0, f2 = 0): number {
  const t = s1 + f1 + s2 + f2;
  if (t === h) return 0;
  const m1 = (s1 + 1) / (s1 + f1 + 2), m2 = (s2 + 1) / (s2 + f2 + 2);
  return Math.max(
    m1 * (1 + bruteForce(h, s1 + 1, f1, s2, f2)) + (1 - m1) * bruteForce(h, s1, f1 + 1, s2, f2),
    m2 * (1 + bruteForce(h, s1, f1, s2 + 1, f2)) + (1 - m2) * bruteForce(h, s1, f1, s2, f2 + 1),
  );
}

Deno.test("IndependentDp matches a brute-force Bayes-optimal recursion", () => {
  for (const h of [1, 2, 5, 7]) {
    const dp = new IndependentDp(h);
    const [q0, q1] = dp.q(0, 0, 0, 0);
    assert(Math.abs(Math.max(q0, q1) - bruteForce(h)) < 1e-12, `horizon ${h}: ${Math.max(q0, q1)} vs ${bruteForce(h)}`);
    // A mid-episode state: 2 trials on arm 1 (1 success), 1 on arm 2 (1 success).
    if (h > 3) assert(Math.abs(Math.max(...dp.q(3, 2, 1, 1)) - bruteForce(h, 1, 1, 1, 0)) < 1e-12);
  }
  // One trial left: pick the higher posterior mean; a single pull of horizon 1 is worth 1/2.
  assertEquals(Math.max(...new IndependentDp(1).q(0, 0, 0, 0)), 0.5);
});

Deno.test("correlatedPosteriorMeans() uses the prior of u1 / (u1 + u2): mean 1/2, and the right posterior after evidence", () => {
  const m = correlatedPosteriorMeans(3);
  assert(Math.abs(m[0][0] - 0.5) < 1e-9, `prior mean ${m[0][0]}`);
  // Monte Carlo of E[p | one success on arm 1] = E[p^2] / E[p] under the prior.
  const rng = Rng.fromSeed(1);
  let num = 0, den = 0;
  for (let i = 0; i < 400_000; i++) {
    const u1 = rng.uniform(), u2 = rng.uniform(), p = u1 / (u1 + u2);
    num += p * p;
    den += p;
  }
  assert(Math.abs(m[1][0] - num / den) < 2e-3, `${m[1][0]} vs ${num / den}`);
  assert(m[2][0] > m[1][0] && m[0][1] < 0.5, "evidence moves the mean");
});

Deno.test("betaIntegers() has the Beta mean a / (a + b)", () => {
  const rng = Rng.fromSeed(2);
  let s = 0;
  const n = 50_000;
  for (let i = 0; i < n; i++) s += betaIntegers(3, 5, rng);
  assert(Math.abs(s / n - 3 / 8) < 5 * Math.sqrt((15 / (64 * 9)) / n), `mean ${s / n}`);
});

Deno.test("policies: the oracle takes the better arm, UCB1 tries each arm first, bayes-optimal follows the evidence", () => {
  const oracle = makePolicy("oracle", { structure: "correlated", horizon: 100 });
  oracle.reset([0.2, 0.8]);
  assertEquals(oracle.act(Rng.fromSeed(0)), 1);
  const ucb = makePolicy("ucb1", { structure: "independent", horizon: 100 });
  ucb.reset([0.5, 0.5]);
  assertEquals(ucb.act(Rng.fromSeed(0)), 0);
  ucb.update(0, 0);
  assertEquals(ucb.act(Rng.fromSeed(0)), 1);
  const bayes = makePolicy("bayes-optimal", { structure: "correlated", horizon: 100 });
  bayes.reset([0.5, 0.5]);
  bayes.update(0, 0); // a failure on arm 1 is evidence that arm 2 is better
  assertEquals(bayes.act(Rng.fromSeed(0)), 1);
});

Deno.test("bayesOptimalArms() is the Bayes-optimal policy's choice, both arms on a tie", () => {
  const corr = bayesOptimalArms("correlated", 10);
  assertEquals(corr(0, [0, 0], [0, 0]), [true, true]);
  // Correlated arms: a failure on arm 2 is evidence for arm 1, as a success on arm 1 is.
  assertEquals(corr(1, [0, 1], [0, 0]), [true, false]);
  assertEquals(corr(2, [1, 1], [0, 1]), [false, true]);
  assertEquals(corr(2, [1, 1], [1, 1]), [true, true]);
  const ind = bayesOptimalArms("independent", 3);
  assertEquals(ind(0, [0, 0], [0, 0]), [true, true]);
  // Two trials left after arm 1 paid once: the brute-force values decide.
  const dp = [bruteForce(3, 1, 0, 0, 0), bruteForce(3, 0, 1, 0, 0)];
  assert(dp[0] > dp[1]);
  assertEquals(ind(1, [1, 0], [1, 0]), [true, false]);
  assertEquals(ind(1, [1, 0], [0, 0]), [false, true], "after a failure on arm 1, the untried arm 2");
  // It agrees with the bayes-optimal policy's own choices on random histories.
  const rng = Rng.fromSeed(5).stream("h");
  for (const structure of ["correlated", "independent"] as const) {
    const arms = bayesOptimalArms(structure, 20);
    const policy = makePolicy("bayes-optimal", { structure, horizon: 20 });
    policy.reset([0.5, 0.5]);
    const n = [0, 0], s = [0, 0];
    for (let t = 0; t < 20; t++) {
      const a = policy.act(rng);
      assert(arms(t, n, s)[a], `${structure} trial ${t}: the policy's arm ${a} is one of the optimal arms`);
      const r = rng.uniform() < 0.5 ? 1 : 0;
      policy.update(a, r);
      n[a]++;
      s[a] += r;
    }
  }
});
