import { assert, assertEquals, assertNotEquals, assertThrows } from "../../helpers/assert.ts";
import { Rng } from "../../../lib/rng/mod.ts";

Deno.test("Rng.nextU32() matches the xoshiro128** reference sequence", () => {
  // Reference values from the published C implementation with state {1, 2, 3, 4}.
  const rng = Rng.fromState({ path: "ref", key: [0, 0, 0, 0], s: [1, 2, 3, 4] });
  const first = Array.from({ length: 8 }, () => rng.nextU32());
  assertEquals(first, [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  for (let i = 0; i < 992; i++) rng.nextU32();
  assertEquals(rng.nextU32(), 136054147);
});

Deno.test("Rng.fromSeed() is deterministic, and seed 0 is a seed like any other", () => {
  const draw = (seed: number) =>
    Array.from(
      { length: 4 },
      (() => {
        const r = Rng.fromSeed(seed);
        return () => r.nextU32();
      })(),
    );
  assertEquals(draw(0), draw(0));
  assertNotEquals(draw(0), draw(1));
  assertNotEquals(draw(1), draw(2));
  assertThrows(() => Rng.fromSeed(-1), /non-negative safe integer, got -1/);
  assertThrows(() => Rng.fromSeed(1.5), /got 1.5/);
});

Deno.test("Rng.stream() does not depend on draws made from the parent", () => {
  const a = Rng.fromSeed(7);
  const b = Rng.fromSeed(7);
  for (let i = 0; i < 100; i++) b.nextU32();
  assertEquals(a.stream("init").nextU32(), b.stream("init").nextU32());
  assertEquals(a.stream("x", 3).uniform(), a.stream("x").stream(3).uniform());
  assertNotEquals(a.stream("init").nextU32(), a.stream("data").nextU32());
  assertNotEquals(a.stream(1).nextU32(), a.stream("1").nextU32());
  assertEquals(a.stream("init", 2).path, "seed=7/init/2");
});

Deno.test("Rng.state() round-trips and the restored stream continues identically", () => {
  const r = Rng.fromSeed(3).stream("train");
  for (let i = 0; i < 17; i++) r.nextU32();
  const copy = Rng.fromState(JSON.parse(JSON.stringify(r.state())));
  assertEquals(Array.from({ length: 10 }, () => copy.uniform()), Array.from({ length: 10 }, () => r.uniform()));
  assertEquals(copy.stream("child").nextU32(), r.stream("child").nextU32());
  assertThrows(() => Rng.fromState({ path: "p", key: [0, 0, 0, 0], s: [0, 0, 0, 0] }), /all zeros/);
  assertThrows(() => Rng.fromState({ path: "p", key: [1, 2], s: [1, 2, 3, 4] }), /four uint32 words/);
});

Deno.test("Rng.uniform() and uniform24() are uniform on [0, 1)", () => {
  const r = Rng.fromSeed(11);
  const n = 200_000;
  let sum = 0, sum24 = 0, min = 1, max = 0;
  const bins = new Array(10).fill(0);
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    const v = r.uniform24();
    assert(v === Math.fround(v), "uniform24 values are float32");
    sum += u;
    sum24 += v;
    min = Math.min(min, u, v);
    max = Math.max(max, u, v);
    bins[Math.floor(u * 10)]++;
  }
  assert(min >= 0 && max < 1);
  const se = Math.sqrt(1 / 12 / n);
  assert(Math.abs(sum / n - 0.5) < 5 * se, `mean ${sum / n}`);
  assert(Math.abs(sum24 / n - 0.5) < 5 * se, `mean24 ${sum24 / n}`);
  // chi-square with 9 degrees of freedom; 27.9 is the 0.999 quantile
  const chi = bins.reduce((a, b) => a + (b - n / 10) ** 2 / (n / 10), 0);
  assert(chi < 27.9, `chi-square ${chi}`);
});

Deno.test("Rng.int(), normal(), permutation(), geometric() have the right distributions", () => {
  const r = Rng.fromSeed(5).stream("dist");
  const n = 60_000;
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) counts[r.int(3)]++;
  const chi = counts.reduce((a, c) => a + (c - n / 3) ** 2 / (n / 3), 0);
  assert(chi < 13.8, `int chi-square ${chi} (0.999 quantile for 2 df is 13.8)`);
  let s = 0, ss = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    ss += z * z;
  }
  assert(Math.abs(s / n) < 5 / Math.sqrt(n), `normal mean ${s / n}`);
  assert(Math.abs(ss / n - 1) < 5 * Math.sqrt(2 / n), `normal variance ${ss / n}`);
  const p = r.permutation(50);
  assertEquals([...p].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  let g = 0;
  for (let i = 0; i < n; i++) g += r.geometric(0.5);
  assert(Math.abs(g / n - 2) < 5 * Math.sqrt(2 / n), `geometric mean ${g / n} (expected 2)`);
  assertThrows(() => r.int(0), /integer n in \[1, 2\^32\], got 0/);
  assertThrows(() => r.geometric(0), /p must be in \(0, 1\], got 0/);
});
