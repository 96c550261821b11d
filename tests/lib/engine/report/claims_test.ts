import { assert, assertEquals } from "../../../helpers/assert.ts";
import { checkClaims, CLAIMS_COLUMNS, claimsCsv, claimsTable } from "../../../../lib/engine/report/claims.ts";
import { summarize } from "../../../../lib/engine/results/summary.ts";
import { parseCsv } from "../../../../lib/engine/results/tables.ts";
import { VALID } from "../../../fixtures/pipelines/valid.ts";
import { fakeRuns, fixturePlan, inProcessRuns } from "../../../helpers/fixtures.ts";
import { initBackend } from "../../../../lib/engine/run/backend.ts";

const PROJECT = `    source: project
    why: a test claim`;

/** The fixture bandit: HNCA, a deliberately broken HNCA (credit sign flipped), REINFORCE and its twin. */
const BANDIT = `name: bandit
title: Bandit
description: The fixture bandit.
paper:
  citation: None (test fixture).
  url: https://example.org/p
  code: https://example.org/c
experiment: fixture-bandit
grid:
  seeds: [0, 1, 2, 3, 4]
  axes:
    estimator: [hnca, hnca_flipped, reinforce, reinforce_twin]
profiles:
  paper:
    description: Five seeds.
default_profile: paper
claims:
  - id: hnca-beats-reinforce
    kind: compare
    source: paper
    section: Abstract
    says: HNCA significantly outperforms REINFORCE.
    text: HNCA's final reward exceeds REINFORCE's.
    metric: reward
    direction: higher
    cells: { estimator: hnca }
    than: { estimator: reinforce }
  - id: broken-hnca-beats-reinforce
    kind: compare
    source: paper
    section: Abstract
    says: HNCA significantly outperforms REINFORCE.
    text: The same claim, with the credit factor's sign flipped in HNCA.
    metric: reward
    direction: higher
    cells: { estimator: hnca_flipped }
    than: { estimator: reinforce }
  - id: twins-differ
    kind: compare
${PROJECT}
    text: REINFORCE beats an identical REINFORCE.
    metric: reward
    direction: higher
    cells: { estimator: reinforce }
    than: { estimator: reinforce_twin }
`;

Deno.test("claims on real training: a broken estimator FAILs, identical estimators are INCONCLUSIVE, a clear difference with 5 seeds PASSes", async () => {
  await initBackend("wasm");
  const plan = await fixturePlan(BANDIT);
  const runs = await inProcessRuns(plan);
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs);
  const status = Object.fromEntries(results.map((r) => [r.id, r.status]));
  assertEquals(status, {
    "hnca-beats-reinforce": "PASS",
    "broken-hnca-beats-reinforce": "FAIL",
    "twins-differ": "INCONCLUSIVE",
  }, results.map((r) => `${r.id}: ${r.detail}`).join("\n"));
  const pass = results[0].decision!.deciding!;
  assertEquals([pass.test.method, pass.test.n], ["paired", 5]);
  assert(pass.test.ci![0] > 0, "the interval of the difference lies above 0");
  const fail = results[1].decision!.deciding!;
  assert(fail.test.ci![1] < 0, "the broken estimator's interval lies entirely below 0");
  assert(/about \d+ seeds would decide it|points the other way|no spread/.test(results[2].detail), results[2].detail);
});

const CLAIMS = VALID + `claims:
  - id: b-higher
    kind: compare
${PROJECT}
    text: b has a higher final loss than a
    metric: loss
    direction: higher
    cells: {label: b}
    than: {label: a}
  - id: b-higher-every
    kind: compare
${PROJECT}
    text: b is higher at every epoch
    metric: loss
    at: every
    direction: higher
    cells: {label: b}
    than: {label: a}
  - id: a-near-two
    kind: expect
${PROJECT}
    argument: a test bound
    text: a ends near 2
    metric: loss
    where: {label: a}
    value: 2
    tolerance: 1.5
  - id: most-seeds-low
    kind: fraction
${PROJECT}
    argument: a test bound
    text: most seeds end below 3.5
    metric: loss
    below: 3.5
    at_least: 0.5
  - id: paper-only
    kind: expect
${PROJECT}
    argument: a test bound
    text: only checked in paper
    metric: loss
    min: 0
    profiles: [smoke]
`;

/** a: 1 + seed (+5 at epoch 1); b: 3 + seed + small noise. At epoch 1 a is above b; at the end b is above a. */
const LOSS = (cell: string, seed: number, epoch: number) =>
  cell === "label=a" ? 1 + seed + (epoch === 1 ? 5 : 0) : 3 + seed + 0.01 * ((seed * 7 + epoch) % 3);

Deno.test("checkClaims() decides compare, expect and fraction claims by tests over seeds", async () => {
  const plan = await fixturePlan(CLAIMS.replace("seeds: [0, 1]", "seeds: [0, 1, 2, 3, 4]"));
  const runs = fakeRuns(plan, LOSS);
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs);
  const status = Object.fromEntries(results.map((r) => [r.id, r.status]));
  assertEquals(status, {
    "b-higher": "PASS", // b - a = 2 + noise on every seed: paired t with 5 seeds
    "b-higher-every": "FAIL", // at epoch 1, a is above b by 3 on every seed
    "a-near-two": "INCONCLUSIVE", // a's final mean is 3 (1 + seeds 0..4) against 2 +- 1.5, with spread 1.6: undecided
    "most-seeds-low": "INCONCLUSIVE", // a: 3 of 5 below 3.5, b: 1 of 5 (lower bound and upper bound both straddle 0.5)
    "paper-only": "PASS",
  }, results.map((r) => `${r.id}: ${r.detail}`).join("\n"));
  const every = results.find((r) => r.id === "b-higher-every")!;
  assert(
    every.detail.startsWith("1/2 comparisons go significantly the other way (Holm over 2 comparisons)"),
    every.detail,
  );
  assert(every.detail.includes("(epoch 1)"), every.detail);
});

Deno.test("checkClaims(): one seed decides nothing, identical values decide nothing", async () => {
  const plan = await fixturePlan(CLAIMS.replace("seeds: [0, 1]", "seeds: [0]"));
  const runs = fakeRuns(plan, LOSS);
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs);
  assertEquals(results.find((r) => r.id === "b-higher")!.status, "INCONCLUSIVE");
  assert(results.find((r) => r.id === "b-higher")!.detail.includes("one seed cannot decide"));
  const same = await fixturePlan(CLAIMS);
  const flat = fakeRuns(same, () => 1);
  assertEquals(checkClaims(same, summarize(same, flat, 0.95), flat)[0].status, "INCONCLUSIVE");
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
  assertEquals(table.split("\n")[0].trim(), "claim           verdict       source");
  assert(table.includes("b-higher        INCOMPLETE    project"), table);
});

Deno.test("checkClaims() compares index values, two metrics, and ratios (transform: log)", async () => {
  const plan = await fixturePlan(
    VALID.replace("seeds: [0, 1]", "seeds: [1, 2, 3]") + `claims:
  - id: unit1-lower
    kind: compare
${PROJECT}
    text: unit 1's weight is lower than unit 0's
    table: weights
    metric: weight
    direction: lower
    better_index: {unit: 1}
    than_index: {unit: 0}
  - id: loss-above-norm
    kind: compare
${PROJECT}
    text: the loss is above the weight norm at the end
    metric: loss
    direction: higher
    than_metric: weight_norm
  - id: loss-ratio
    kind: compare
${PROJECT}
    argument: a test margin
    text: b's loss is more than 10 times a's
    metric: loss
    direction: higher
    cells: {label: b}
    than: {label: a}
    transform: log
    margin: 2.302585
`,
  );
  // weights are [seed, -seed]; loss: a 1 * seed-ish, b 100 times more; weight_norm 1.
  const runs = fakeRuns(plan, (cell, seed) => (cell === "label=a" ? 1 + seed * 0.1 : 100 + seed * 7));
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs);
  assertEquals(results.map((r) => [r.id, r.status]), [
    // Per seed the difference is 2, 4, 6: t = 3.46 with 2 df, p = 0.037, times 2 (Holm over both cells) = 0.074.
    ["unit1-lower", "INCONCLUSIVE"],
    // a: 1.1 .. 1.3 above 1 by 0.1 .. 0.3 (p = 0.037); b by ~100 (p ~ 0): Holm gives 0.037 to the weaker.
    ["loss-above-norm", "PASS"],
    ["loss-ratio", "PASS"],
  ], results.map((r) => `${r.id}: ${r.detail}`).join("\n"));
  assert(
    results[0].detail.includes("label=a unit=1") && results[0].detail.includes("about 5 seeds"),
    results[0].detail,
  );
  assertEquals(results[2].decision!.comparisons.length, 1);
});

Deno.test("claimsCsv() gives the deciding comparison's effect, interval, Holm p-value and n", async () => {
  const plan = await fixturePlan(CLAIMS.replace("seeds: [0, 1]", "seeds: [0, 1, 2, 3, 4]"));
  const runs = fakeRuns(plan, LOSS);
  const { header, rows } = parseCsv(claimsCsv(checkClaims(plan, summarize(plan, runs, 0.95), runs)), "claims.csv");
  assertEquals(header, CLAIMS_COLUMNS);
  const row = Object.fromEntries(header.map((h, i) => [h, rows[0][i]]));
  assertEquals([row.claim, row.status, row.source, row.method, row.n, row.ci_level], [
    "b-higher",
    "PASS",
    "project",
    "paired",
    "5",
    "0.9",
  ]);
  assert(Number(row.effect) > 1.9 && Number(row.ci_low) > 1.5 && Number(row.p_holm) < 0.001, JSON.stringify(row));
});

Deno.test("checkClaims() compares a cell's final value with its own first (than_at: first)", async () => {
  const plan = await fixturePlan(
    VALID.replace("seeds: [0, 1]", "seeds: [0, 1, 2, 3, 4]") + `claims:
  - id: a-learns
    kind: compare
${PROJECT}
    text: a's loss falls from its first epoch to its last
    metric: loss
    direction: lower
    where: {label: a}
    than_at: first
  - id: b-learns
    kind: compare
${PROJECT}
    text: b's loss falls from its first epoch to its last
    metric: loss
    direction: lower
    where: {label: b}
    than_at: first
  - id: a-unlearns
    kind: compare
${PROJECT}
    text: a's loss rises from its first epoch to its last
    metric: loss
    direction: higher
    where: {label: a}
    than_at: first
`,
  );
  // LOSS: a is 5 higher at epoch 1 (its first) than at epoch 2 on every seed; b moves by at most 0.02.
  const runs = fakeRuns(plan, LOSS);
  const results = checkClaims(plan, summarize(plan, runs, 0.95), runs);
  assertEquals(results.map((r) => [r.id, r.status]), [
    ["a-learns", "PASS"],
    ["b-learns", "INCONCLUSIVE"],
    ["a-unlearns", "FAIL"],
  ], results.map((r) => `${r.id}: ${r.detail}`).join("\n"));
  assert(results[0].detail.includes("(first)"), results[0].detail);
});
