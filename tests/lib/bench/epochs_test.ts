import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { measuredEpochs } from "../../../lib/bench/epochs.ts";

const rows = (rates: number[]) => rates.map((r) => ({ examples_per_second: r }));

Deno.test("measuredEpochs() leaves out the warm-up epochs and takes the median of the rest", () => {
  assertEquals(measuredEpochs(rows([10, 300, 100, 200])), { median: 200, min: 100, max: 300, epochs: 3 });
  assertEquals(measuredEpochs(rows([10, 20, 100, 300, 200, 400]), 2), { median: 250, min: 100, max: 400, epochs: 4 });
});

Deno.test("measuredEpochs() refuses a run with no epoch after the warm-up", () => {
  assertThrows(() => measuredEpochs(rows([10])), /no epochs after 1 warm-up epoch/);
});
