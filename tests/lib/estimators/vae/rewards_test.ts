import { assertEquals, assertThrows } from "../../../helpers/assert.ts";
import { hncaReward, mean, reinforceReward } from "../../../../lib/estimators/vae/mod.ts";
import type { VaeTerms } from "../../../../lib/models/binary_vae.ts";

// One example, three layers; distinct powers of two so that every sum names its terms.
const TERMS: VaeTerms = {
  logPrior: Float64Array.of(1),
  logP: [Float64Array.of(2), Float64Array.of(4), Float64Array.of(8)],
  entropy: [Float64Array.of(16), Float64Array.of(32), Float64Array.of(64)],
  elbo: Float64Array.of(127),
};

Deno.test("reinforceReward() is every term the layer's sample can change", () => {
  // Layer 2 (top): log p(z3) + log p(z2 | z3).
  assertEquals(reinforceReward(TERMS, 2)[0], 1 + 8);
  // Layer 1: + log p(z1 | z2) + H(q3).
  assertEquals(reinforceReward(TERMS, 1)[0], 1 + 8 + 4 + 64);
  // Layer 0: + log p(x | z1) + H(q2).
  assertEquals(reinforceReward(TERMS, 0)[0], 1 + 8 + 4 + 64 + 2 + 32);
});

Deno.test("hncaReward() is the terms reached only through the child layer, plus the lower ones with fullReward", () => {
  assertEquals(hncaReward(TERMS, 2, false)[0], 0, "the top layer: 0, as the original");
  assertEquals(hncaReward(TERMS, 1, false)[0], 1, "q2: log p(z3)");
  assertEquals(hncaReward(TERMS, 0, false)[0], 1 + 8 + 64, "q1: log p(z3) + log p(z2 | z3) + H(q3)");
  assertEquals(hncaReward(TERMS, 2, true)[0], 16 + 32 + 64 + 2 + 4, "top: H(q1..q3) + log p(x | z1) + log p(z1 | z2)");
  assertEquals(hncaReward(TERMS, 0, true)[0], 1 + 8 + 64 + 16, "q1 adds its own layer's entropy");
  assertThrows(() => hncaReward(TERMS, 3, false), /Layer 3 is not in \[0, 3\)/);
  assertEquals(mean(Float64Array.of(1, 2, 6)), 3);
});
