import nodeAssert from "node:assert";
import { assertRejects, assertThrows } from "./assert.ts";

const boom = () => {
  throw new RangeError("value 3 out of range");
};

Deno.test("assertThrows() reads its arguments as Deno std does: (fn, msg) and (fn, ErrorClass, msgIncludes, msg)", () => {
  // A string alone is the failure text, not a pattern: any error passes.
  assertThrows(boom, "a text that is not in the message");
  assertThrows(boom, RangeError, "out of range");
  assertThrows(boom, Error, /value \d out/);
  assertThrows(boom, /out of range/);
  // Each of these must fail.
  nodeAssert.throws(() => assertThrows(boom, TypeError), /expected a TypeError, got RangeError/);
  nodeAssert.throws(() => assertThrows(boom, RangeError, "in range"), /does not include "in range"/);
  nodeAssert.throws(() => assertThrows(boom, RangeError, "in range", "the context"), /^AssertionError.*the context: /);
  nodeAssert.throws(() => assertThrows(() => 1, "it should have thrown"), /it should have thrown/);
});

Deno.test("assertRejects() reads its arguments as Deno std does", async () => {
  const reject = () => Promise.reject(new RangeError("value 3 out of range"));
  await assertRejects(reject, "any rejection");
  await assertRejects(reject, RangeError, "out of range");
  await nodeAssert.rejects(() => assertRejects(reject, RangeError, "in range"), /does not include "in range"/);
  await nodeAssert.rejects(() => assertRejects(() => Promise.resolve(1)), /expected the promise to reject/);
});
