import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { Rng } from "../../../lib/rng/mod.ts";
import { FastStream } from "../../../lib/rng/fast_stream.ts";
import { binarize } from "../../../lib/data/binarize.ts";

/** Asserts equal arrays by their first difference (a failing diff of 100,000 numbers would not print). */
function assertSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string) {
  assertEquals(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}: value ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

Deno.test("FastStream.fillUniform24() draws Rng.fillUniform24()'s numbers and leaves its state", () => {
  const rng = Rng.fromSeed(11).stream("sample", 3);
  const fast = FastStream.take(Rng.fromSeed(11).stream("sample", 3));
  // Lengths 0 and 1, odd lengths, both array types, one after the other on the same stream.
  for (const n of [0, 1, 7, 1000, 30001]) {
    for (const make of [(k: number) => new Float32Array(k), (k: number) => new Float64Array(k)]) {
      const want = rng.fillUniform24(make(n));
      const got = fast.fillUniform24(make(n));
      assertEquals(got.constructor, want.constructor);
      assertSameValues(got, want, `length ${n}, ${want.constructor.name}`);
    }
  }
  assertEquals(fast.state(), rng.state());
});

Deno.test("FastStream.binarize() draws binarize()'s pixels, every intensity 0..255", () => {
  const bytes = new Uint8Array(256 * 400);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + (i >> 8)) & 255;
  const rng = Rng.fromSeed(5).stream("binarize-train", 1);
  const fast = FastStream.take(Rng.fromSeed(5).stream("binarize-train", 1));
  for (let round = 0; round < 3; round++) {
    const want = binarize(bytes, rng);
    const out = new Float32Array(bytes.length);
    const got = fast.binarize(bytes, out);
    assertSameValues(got, want, `round ${round}`);
    assertEquals(got === out, true);
  }
  // Intensity 0 is never on and 255 always (the comparison's ends).
  const ends = fast.binarize(Uint8Array.from({ length: 2000 }, (_, i) => (i % 2 ? 255 : 0)));
  ends.forEach((v, i) => assertEquals(v, i % 2, `byte ${i}`));
  // A draw of exactly 0 (the reference state {1, 2, 3, 4} gives the outputs 11520, then 0): 0 < 0 is false.
  const zero = () => Rng.fromState({ path: "ref", key: [0, 0, 0, 0], s: [1, 2, 3, 4] });
  assertSameValues(
    FastStream.take(zero()).binarize(Uint8Array.of(0, 0, 1, 1)),
    binarize(Uint8Array.of(0, 0, 1, 1), zero()),
    "u = 0",
  );
  assertSameValues(FastStream.take(zero()).binarize(Uint8Array.of(1, 0)), Float32Array.of(1, 0), "u = 0");
  binarize(new Uint8Array(2000), rng);
  assertEquals(fast.state(), rng.state());
});

Deno.test("FastStream.state() continues in Rng.fromState() as the taken stream would", () => {
  const rng = Rng.fromSeed(2).stream("estimator", 4);
  const fast = FastStream.take(rng);
  fast.fillUniform24(new Float32Array(13));
  fast.binarize(new Uint8Array(5).fill(128));
  for (let i = 0; i < 18; i++) rng.nextU32();
  const resumed = Rng.fromState(fast.state());
  assertEquals(resumed.path, "seed=2/estimator/4");
  assertEquals(resumed.state(), rng.state());
  assertEquals([resumed.nextU32(), resumed.nextU32()], [rng.nextU32(), rng.nextU32()]);
});

Deno.test("FastStream.binarize() names a wrong output length", () => {
  const fast = FastStream.take(Rng.fromSeed(0).stream("b"));
  assertThrows(
    () => fast.binarize(new Uint8Array(4), new Float32Array(3)),
    Error,
    "FastStream.binarize(): out has 3 values, bytes have 4",
  );
});
