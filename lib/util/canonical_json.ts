/**
 * Canonical JSON (RFC 8785, JCS): object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript's JSON.stringify writes them.
 * The same value always gives the same text, on every machine.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(canonicalJson({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
 * ```
 * @module
 */

/**
 * Serializes `value` canonically. Throws on values JSON cannot carry exactly:
 * undefined, functions, symbols, bigint, NaN and ±Infinity, naming the path.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "$");
}

function write(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) {
        throw new Error(`Canonical JSON cannot encode ${value} at ${path}`);
      }
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => write(v, `${path}[${i}]`)).join(",")}]`;
      }
      if (ArrayBuffer.isView(value)) {
        throw new Error(`Canonical JSON cannot encode a typed array at ${path}; convert it to an array`);
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${write(obj[k], `${path}.${k}`)}`).join(",")}}`;
    }
    default:
      throw new Error(`Canonical JSON cannot encode a ${typeof value} at ${path}`);
  }
}
