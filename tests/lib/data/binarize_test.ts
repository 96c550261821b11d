import { assert, assertEquals, assertNotEquals, assertThrows } from "../../helpers/assert.ts";
import { binarize } from "../../../lib/data/binarize.ts";
import { Rng } from "../../../lib/rng/mod.ts";

Deno.test("binarize() samples Bernoulli(pixel / 255) from the given stream", () => {
  const n = 50_000;
  const pixels = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) pixels.set([0, 64, 255], i * 3);
  const x = binarize(pixels, Rng.fromSeed(1).stream("binarize", 0));
  let ones = 0;
  for (let i = 0; i < n; i++) {
    assertEquals(x[i * 3], 0);
    assertEquals(x[i * 3 + 2], 1);
    ones += x[i * 3 + 1];
  }
  const p = 64 / 255;
  assert(Math.abs(ones / n - p) < 5 * Math.sqrt(p * (1 - p) / n), `${ones / n} vs ${p}`);
});

Deno.test("binarize() is redrawn per stream and repeatable for the same stream", () => {
  const pixels = new Uint8Array(1000).fill(128);
  const a = binarize(pixels, Rng.fromSeed(1).stream("binarize", 0));
  assertEquals(binarize(pixels, Rng.fromSeed(1).stream("binarize", 0)), a);
  assertNotEquals(binarize(pixels, Rng.fromSeed(1).stream("binarize", 1)), a);
  assertThrows(() => binarize(pixels, Rng.fromSeed(1), new Float32Array(3)), /out has 3 values, pixels have 1000/);
});
