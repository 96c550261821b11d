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

/** A class the error must be an instance of, a pattern its message must match, or a text it must include. */
type ErrorMatcher = RegExp | string | (new (...args: never[]) => Error);

function check(e: unknown, matchers: ErrorMatcher[]): void {
  for (const m of matchers) {
    if (typeof m === "string") {
      const text = e instanceof Error ? e.message : String(e);
      assert(text.includes(m), `error message ${JSON.stringify(text)} does not include ${JSON.stringify(m)}`);
    } else if (m instanceof RegExp) {
      const text = e instanceof Error ? e.message : String(e);
      assert(m.test(text), `error message ${JSON.stringify(text)} does not match ${m}`);
    } else {
      assert(e instanceof m, `expected a ${m.name}, got ${e instanceof Error ? e.constructor.name : typeof e}: ${e}`);
    }
  }
}

/** `fn` must throw; each matcher (class or message pattern) must match. Returns the error. */
export function assertThrows(fn: () => unknown, ...matchers: ErrorMatcher[]): Error {
  try {
    fn();
  } catch (e) {
    check(e, matchers);
    return e as Error;
  }
  throw new nodeAssert.AssertionError({ message: "expected the function to throw" });
}

/** `fn` must reject; each matcher must match. Returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  ...matchers: ErrorMatcher[]
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    check(e, matchers);
    return e as E;
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}
