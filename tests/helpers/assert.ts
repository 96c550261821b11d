/**
 * Assertions for the tests, in the shape of Deno std's (which is JSR-only and
 * not reachable here), built on node:assert.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "./assert.ts";
 * assertEquals([1, 2], [1, 2]);
 * assertThrows(() => JSON.parse("{"), SyntaxError);
 * ```
 * @module
 */
import nodeAssert from "node:assert";

/** Fails with `message` unless `cond` is truthy. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new nodeAssert.AssertionError({ message });
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) nodeAssert.deepStrictEqual(actual, expected);
  else nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Deep strict inequality. */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) nodeAssert.notDeepStrictEqual(actual, expected);
  else nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** An error class, as Deno std's assertThrows takes it. */
// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

/**
 * Checks a thrown value as Deno std does: `ErrorClass` (optional) it must be
 * an instance of, `msgIncludes` text its message must include (a RegExp is
 * this helper's extension: the message must match it), `msg` the text of the
 * assertion error. As in std, a string given without a class is `msg`, the
 * failure text, not a pattern.
 */
function check(e: unknown, cls: ErrorClass | undefined, pattern: string | RegExp | undefined, msg?: string): void {
  const prefix = msg ? `${msg}: ` : "";
  if (cls) {
    assert(
      e instanceof cls,
      `${prefix}expected a ${cls.name}, got ${e instanceof Error ? e.constructor.name : typeof e}: ${e}`,
    );
  }
  if (pattern === undefined) return;
  const text = e instanceof Error ? e.message : String(e);
  const ok = typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
  assert(
    ok,
    `${prefix}error message ${JSON.stringify(text)} does not ${typeof pattern === "string" ? "include" : "match"} ${
      typeof pattern === "string" ? JSON.stringify(pattern) : pattern
    }`,
  );
}

/** The arguments after `fn`, sorted as Deno std reads them. */
function parse(
  a?: ErrorClass | RegExp | string,
  b?: string | RegExp,
  c?: string,
): [ErrorClass | undefined, string | RegExp | undefined, string | undefined] {
  if (typeof a === "string") return [undefined, undefined, a];
  if (a instanceof RegExp) return [undefined, a, typeof b === "string" ? b : undefined];
  return [a, b, c];
}

/**
 * `fn` must throw. As Deno std: `assertThrows(fn, msg?)` or
 * `assertThrows(fn, ErrorClass, msgIncludes?, msg?)`; `msgIncludes` may also
 * be a RegExp, and `assertThrows(fn, /pattern/, msg?)` checks the message
 * alone. Returns the error.
 */
export function assertThrows(
  fn: () => unknown,
  classOrMsg?: ErrorClass | RegExp | string,
  msgIncludes?: string | RegExp,
  msg?: string,
): Error {
  const [cls, pattern, text] = parse(classOrMsg, msgIncludes, msg);
  try {
    fn();
  } catch (e) {
    check(e, cls, pattern, text);
    return e as Error;
  }
  throw new nodeAssert.AssertionError({ message: text ?? "expected the function to throw" });
}

/** `fn` must reject; the arguments as `assertThrows` (Deno std's assertRejects). Returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  classOrMsg?: ErrorClass | RegExp | string,
  msgIncludes?: string | RegExp,
  msg?: string,
): Promise<E> {
  const [cls, pattern, text] = parse(classOrMsg, msgIncludes, msg);
  try {
    await fn();
  } catch (e) {
    check(e, cls, pattern, text);
    return e as E;
  }
  throw new nodeAssert.AssertionError({ message: text ?? "expected the promise to reject" });
}
