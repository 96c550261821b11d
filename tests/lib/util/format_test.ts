import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { formatF32, formatF64, formatValue } from "../../../lib/util/format.ts";

Deno.test("formatF32() writes the shortest decimal that reads back as the same float32", () => {
  assertEquals(formatF32(Math.fround(0.1)), "0.1");
  assertEquals(formatF32(Math.fround(1 / 3)), "0.33333334");
  assertEquals(formatF32(Math.fround(1e-8)), "1e-8");
  assertEquals(formatF32(-0), "0");
  assertEquals(formatF32(16777217), "16777216");
  for (const x of [0.1, 1 / 3, 123.456, 1e-30, 3.4e38, 2 ** -149]) {
    const f = Math.fround(x);
    assertEquals(Math.fround(Number(formatF32(f))), f);
  }
});

Deno.test("formatF64() writes the shortest round-trip decimal", () => {
  assertEquals(formatF64(0.1 + 0.2), "0.30000000000000004");
  assertEquals(formatF64(1e21), "1e+21");
  assertEquals(formatF64(-0), "0");
});

Deno.test("formatValue() checks types and rejects NaN, naming the value", () => {
  assertEquals(formatValue(3, "int"), "3");
  assertEquals(formatValue(true, "bool"), "true");
  assertEquals(formatValue("hnca", "str"), "hnca");
  assertEquals(formatValue(null, "f32"), "");
  assertThrows(() => formatValue(2.5, "int"), /Expected an integer, got 2.5/);
  assertThrows(() => formatValue("x", "f64"), /Expected a number for a f64 column, got "x"/);
  assertThrows(() => formatValue(NaN, "f64"), /non-finite number NaN/);
});
