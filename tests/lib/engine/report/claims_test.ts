import { assertEquals } from "../../../helpers/assert.ts";
import { checkClaims, claimsTable } from "../../../../lib/engine/report/claims.ts";
import { summarize } from "../../../../lib/engine/results/summary.ts";
import { VALID } from "../../../fixtures/pipelines/valid.ts";
import { fakeRuns, fixturePlan } from "../../../helpers/fixtures.ts";

const CLAIMS = VALID + `claims:
  - id: b-higher
    text: b has a higher final loss than a
    metric: loss
    compare: {direction: higher, cells: {label: b}, than: {label: a}}
  - id: b-higher-every
    text: b is higher at every epoch
    metric: loss
    at: every
    compare: {direction: higher, cells: {label: b}, than: {label: a}}
  - id: a-near-two
    text: a ends near 2
    metric: loss
    where: {label: a}
    expect: {value: 2, tolerance: 0.5}
  - id: most-seeds-low
    text: most seeds end below 3
    metric: loss
    fraction: {of: seeds, below: 3.5, at_least: 0.5}
  - id: paper-only
    text: only checked in paper
    metric: loss
    expect: {min: 0}
    profiles: [smoke]
`;

Deno.test("checkClaims() evaluates compare, expect and fraction claims", async () => {
  const plan = await fixturePlan(CLAIMS);
  // a: 1 + seed + (epoch==1 ? 5 : 0); b: 3 + seed. At epoch 1 a is above b; at the end b is above a.
  const runs = fakeRuns(
    plan,
    (cell, seed, epoch) => (cell === "label=a" ? 1 + seed + (epoch === 1 ? 5 : 0) : 3 + seed),
  );
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs);
  const status = Object.fromEntries(results.map((r) => [r.id, r.status]));
  assertEquals(status, {
    "b-higher": "PASS",
    "b-higher-every": "FAIL",
    "a-near-two": "PASS",
    "most-seeds-low": "PASS",
    "paper-only": "PASS",
  });
  const every = results.find((r) => r.id === "b-higher-every")!;
  assertEquals(every.detail, "1/2 comparisons fail; worst: label=b 3.500 > label=a 6.500 (epoch 1)");
  const frac = results.find((r) => r.id === "most-seeds-low")!;
  assertEquals(frac.detail, "label=a: 2/2 seeds; label=b: 1/2 seeds below 3.500 (need at least 50%)");
});

Deno.test("checkClaims() marks claims of other profiles NOT CHECKED and partial results INCOMPLETE", async () => {
  const plan = await fixturePlan(
    CLAIMS.replace("profiles: [smoke]", "profiles: [paper]").replace(
      "  smoke:\n",
      "  paper:\n    description: p\n  smoke:\n",
    ),
  );
  const runs = fakeRuns(plan, () => 1);
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs, false);
  assertEquals(results.find((r) => r.id === "paper-only")!.status, "NOT CHECKED");
  assertEquals(results.find((r) => r.id === "a-near-two")!.status, "INCOMPLETE");
  const table = claimsTable(results);
  assertEquals(table.split("\n")[0].trim(), "claim           result       detail");
});

Deno.test("checkClaims() compares two index values or two metrics of a table without a step column", async () => {
  const plan = await fixturePlan(
    VALID + `claims:
  - id: unit1-lower
    text: unit 1's weight is lower than unit 0's
    table: weights
    metric: weight
    compare: {direction: lower, index: {unit: 1}, than_index: {unit: 0}}
  - id: loss-above-norm
    text: the loss is above the weight norm at the end
    metric: loss
    compare: {direction: higher, than_metric: weight_norm}
`,
  );
  // fakeRuns: weights are [seed, -seed]; loss 5, weight_norm 1.
  const runs = fakeRuns(plan, () => 5);
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs);
  assertEquals(results.map((r) => [r.id, r.status]), [["unit1-lower", "PASS"], ["loss-above-norm", "PASS"]]);
  assertEquals(results[0].detail, "2/2 comparisons hold; closest: label=a unit=1 -0.5000 < label=a unit=0 0.5000");
});
