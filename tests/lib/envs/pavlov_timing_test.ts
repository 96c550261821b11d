import { assert, assertEquals, assertThrows } from "../../helpers/assert.ts";
import { makeTrial, pavlovTrials, trueValue } from "../../../lib/envs/pavlov_timing.ts";
import { Rng } from "../../../lib/rng/mod.ts";

Deno.test("makeTrial() lays a trial out as the original: cue at the ITI, reward after the delay, one trailing row", () => {
  const t = makeTrial(1, 3, 15, 2);
  assertEquals(t.length, 3 + 15 + 2);
  const row = (i: number) => Array.from(t.inputs.subarray(i * 3, i * 3 + 3));
  assertEquals(row(2), [0, 0, 0]);
  assertEquals(row(3), [0, 1, 0], "cue 1 one-hot at row iti");
  assertEquals(row(18), [0, 0, 1], "the same step's reward appended at row iti + isi");
  assertEquals(row(19), [0, 0, 0]);
  assertEquals(Array.from(t.rewards).map((r, i) => (r ? i : -1)).filter((i) => i >= 0), [18]);
  assertThrows(() => makeTrial(2, 3, 15, 2), /Cue must be an integer in \[0, 2\), got 2/);
  assertThrows(() => makeTrial(0, 0, 15, 2), /ITI must be a positive integer, got 0/);
});

Deno.test("pavlovTrials() alternates cues with their delays, and is a pure function of the RNG", () => {
  const cfg = { cues: 2, trialsPerCue: 50, delays: [10, 15], itiP: 0.5 };
  const trials = pavlovTrials(Rng.fromSeed(4).stream("task"), cfg);
  assertEquals(trials.length, 100);
  assertEquals(trials.slice(0, 6).map((t) => t.cue), [0, 1, 0, 1, 0, 1]);
  assert(trials.every((t) => t.isi === [10, 15][t.cue] && t.length === t.iti + t.isi + 2));
  assertEquals(pavlovTrials(Rng.fromSeed(4).stream("task"), cfg).map((t) => t.iti), trials.map((t) => t.iti));
});

Deno.test("pavlovTrials() draws geometric ITIs with p = 0.5 (mean 2, P(1) = 1/2, P(2) = 1/4)", () => {
  const trials = pavlovTrials(Rng.fromSeed(1).stream("task"), {
    cues: 2,
    trialsPerCue: 20000,
    delays: [10, 15],
    itiP: 0.5,
  });
  const n = trials.length;
  const itis = trials.map((t) => t.iti);
  assert(itis.every((v) => Number.isInteger(v) && v >= 1));
  const mean = itis.reduce((a, b) => a + b, 0) / n;
  assert(Math.abs(mean - 2) < 5 * Math.sqrt(2 / n), `mean ITI ${mean}`);
  const p1 = itis.filter((v) => v === 1).length / n, p2 = itis.filter((v) => v === 2).length / n;
  assert(Math.abs(p1 - 0.5) < 5 * Math.sqrt(0.25 / n), `P(1) = ${p1}`);
  assert(Math.abs(p2 - 0.25) < 5 * Math.sqrt(0.1875 / n), `P(2) = ${p2}`);
});

Deno.test("trueValue() is sum_k gamma^k r(t+1+k): 1 before the reward, gamma^(isi-1) at the cue", () => {
  const t = makeTrial(0, 2, 10, 2);
  const v = trueValue(t.rewards, 0.5);
  assertEquals(v.length, t.length - 1);
  assertEquals(v[2 + 10 - 1], 1);
  assertEquals(v[2], 0.5 ** 9);
  assertEquals(v[0], 0.5 ** 11);
  assertEquals(v[2 + 10], 0, "nothing after the reward");
});
