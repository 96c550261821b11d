/**
 * How numbers are written into result files. ECMAScript specifies
 * Number-to-string conversion exactly (shortest round-trip digits), so these
 * functions give the same text on every machine and runtime.
 *
 * @example
 * ```ts
 * import { formatValue } from "./format.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * assertEquals(formatValue(Math.fround(0.1), "f32"), "0.1"); // not "0.10000000149011612"
 * assertEquals(formatValue(0.1 + 0.2, "f64"), "0.30000000000000004");
 * assertEquals(formatValue(3, "int"), "3");
 * ```
 * @module
 */

/** Column value types. f32: a float32 quantity; f64: a double; int; str; bool. */
export type ValueType = "f32" | "f64" | "int" | "str" | "bool";

/**
 * The shortest decimal that reads back as the same float32, written the way
 * ECMAScript writes that decimal as a double.
 * @param x a number already representable as float32 (it is rounded with Math.fround otherwise).
 */
export function formatF32(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) throw new Error(`Cannot format non-finite float32 ${x}`);
  if (f === 0) return "0";
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/** The shortest decimal that reads back as the same double. */
export function formatF64(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`Cannot format non-finite number ${x}`);
  return x === 0 ? "0" : String(x);
}

/**
 * Formats one cell. `null` writes an empty cell. Throws on NaN/Infinity, on a
 * non-integer for "int", and on a type mismatch, naming the value.
 */
export function formatValue(v: number | string | boolean | null, type: ValueType): string {
  if (v === null) return "";
  switch (type) {
    case "f32":
    case "f64":
      if (typeof v !== "number") throw new Error(`Expected a number for a ${type} column, got ${JSON.stringify(v)}`);
      return type === "f32" ? formatF32(v) : formatF64(v);
    case "int":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) {
        throw new Error(`Expected an integer, got ${JSON.stringify(v)}`);
      }
      return String(v);
    case "bool":
      if (typeof v !== "boolean") throw new Error(`Expected a boolean, got ${JSON.stringify(v)}`);
      return v ? "true" : "false";
    case "str":
      if (typeof v !== "string") throw new Error(`Expected a string, got ${JSON.stringify(v)}`);
      return v;
  }
}

/** "1 run", "2 runs": a count with its noun, plural when the count is not 1 (`plural` for irregular nouns). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}
