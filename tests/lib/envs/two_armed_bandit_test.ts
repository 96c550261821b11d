import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { armProbabilities, observation, pull, regret } from "../../../lib/envs/two_armed_bandit.ts";
import { Rng } from "../../../lib/rng/mod.ts";

Deno.test("armProbabilities(): correlated arms sum to 1 with mean 1/2; independent arms are uniform", () => {
  const rng = Rng.fromSeed(1);
  let s = 0, si = 0;
  const n = 40_000;
  for (let i = 0; i < n; i++) {
    const [a, b] = armProbabilities(rng, "correlated");
    assert(Math.abs(a + b - 1) < 1e-12 && a >= 0 && a <= 1);
    s += a;
    const [c, d] = armProbabilities(rng, "independent");
    assert(c >= 0 && c < 1 && d >= 0 && d < 1);
    si += c + d;
  }
  assert(Math.abs(s / n - 0.5) < 0.01, `E[p1] = ${s / n}`);
  assert(Math.abs(si / (2 * n) - 0.5) < 0.01, `E[p] = ${si / (2 * n)}`);
});

Deno.test("pull() pays 1 with the arm's probability; observation() is [one-hot previous action, previous reward]", () => {
  const rng = Rng.fromSeed(2);
  let wins = 0;
  const n = 40_000;
  for (let i = 0; i < n; i++) wins += pull([0.2, 0.7], 1, rng);
  assert(Math.abs(wins / n - 0.7) < 5 * Math.sqrt(0.21 / n), `${wins / n}`);
  assertEquals(pull([1, 0], 0, rng), 1);
  assertEquals(pull([1, 0], 1, rng), 0);
  assertThrows(() => pull([0.5, 0.5], 2, rng), /Arm must be 0 or 1, got 2/);
  assertEquals(observation(null), [0, 0, 0]);
  assertEquals(observation({ arm: 1, reward: 1 }), [0, 1, 1]);
  assertEquals(observation({ arm: 0, reward: 0 }), [1, 0, 0]);
  assertEquals(regret([0.3, 0.7], 0), 0.7 - 0.3);
  assertEquals(regret([0.3, 0.7], 1), 0);
});
