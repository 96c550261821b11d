import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { canonicalJson } from "../../../lib/util/canonical_json.ts";

Deno.test("canonicalJson() sorts keys at every depth and drops whitespace", () => {
  assertEquals(
    canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: "x" } }),
    '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}',
  );
  assertEquals(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
});

Deno.test("canonicalJson() writes numbers as ECMAScript does (RFC 8785)", () => {
  assertEquals(canonicalJson([1e21, 1e-7, 0.1, -0, 100, 1.5e300]), "[1e+21,1e-7,0.1,0,100,1.5e+300]");
  assertEquals(canonicalJson("é\n\u2028"), '"é\\n\u2028"');
});

Deno.test("canonicalJson() rejects values JSON cannot carry, naming the path", () => {
  assertThrows(() => canonicalJson({ a: [1, NaN] }), /NaN at \$\.a\[1\]/);
  assertThrows(() => canonicalJson({ f: () => 1 }), /function at \$\.f/);
  assertThrows(() => canonicalJson({ t: new Float32Array(2) }), /typed array at \$\.t/);
  assertEquals(canonicalJson({ a: undefined, b: null }), '{"b":null}');
});
