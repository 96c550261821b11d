/**
 * `kind: expect`: a metric's mean over seeds lies within bounds (`min`,
 * `max`) or within `tolerance` of a `value`. Each cell and point is one
 * comparison: a one-sample t-test of the distance from the mean to the bound
 * in the claimed direction (for a value and a tolerance, the weaker of the
 * two one-sided tests: an equivalence test).
 *
 * @example
 * ```yaml
 * - id: loss-small
 *   kind: expect
 *   source: project
 *   why: a smoke check that training converges
 *   argument: an untrained model's loss is about 1; half of it is a clear improvement
 *   text: The final loss is below 0.5.
 *   metric: loss
 *   max: 0.5
 * ```
 * @module
 */
import { z } from "zod";
import { oneSampleTTest, type OneSidedTest } from "../../../util/stats.ts";
import type { ClaimKind } from "../types.ts";
import { fmt, pointText, seedGroups, stepAt } from "../values.ts";
import { checkBase, type ClaimBase, claimBase, decide, type RawComparison } from "./base.ts";

/** The schema of an expect claim. */
export const ExpectClaimSchema = z.strictObject({
  kind: z.literal("expect"),
  ...claimBase,
  value: z.number().optional(),
  tolerance: z.number().nonnegative().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
});

/** An expect claim, parsed. */
export type ExpectClaim = z.infer<typeof ExpectClaimSchema> & ClaimBase;

/** The expect kind. */
export const expectClaim: ClaimKind<ExpectClaim> = {
  kind: "expect",
  schema: ExpectClaimSchema as unknown as z.ZodType<ExpectClaim>,
  doc: "a mean over seeds within bounds or within a tolerance of a value, tested over seeds",
  check(claim, at, ctx) {
    checkBase(claim, at, ctx, true);
    if (claim.value === undefined && claim.min === undefined && claim.max === undefined) {
      ctx.issue(at, "an expect claim needs 'value' with 'tolerance', or 'min' and/or 'max'");
    }
    if ((claim.value === undefined) !== (claim.tolerance === undefined)) {
      ctx.issue(at, "'value' and 'tolerance' go together");
    }
  },
  evaluate(claim, ctx) {
    const groups = seedGroups(ctx, {
      table: claim.table,
      metric: claim.metric,
      at: claim.at,
      cells: claim.where,
      index: claim.index,
    });
    if (groups.length === 0) return null;
    const lows: number[] = [], highs: number[] = [];
    if (claim.min !== undefined) lows.push(claim.min);
    if (claim.max !== undefined) highs.push(claim.max);
    if (claim.value !== undefined) {
      lows.push(claim.value - claim.tolerance!);
      highs.push(claim.value + claim.tolerance!);
    }
    const want = [
      claim.value !== undefined ? `${fmt(claim.value)} ± ${fmt(claim.tolerance!)}` : "",
      claim.min !== undefined ? `>= ${fmt(claim.min)}` : "",
      claim.max !== undefined ? `<= ${fmt(claim.max)}` : "",
    ].filter(Boolean).join(", ");
    const raw: RawComparison[] = groups.map((g) => {
      const v = [...g.values.values()];
      // Distances to each bound in the claimed direction; the weakest decides, any clear violation fails.
      const tests: OneSidedTest[] = [
        ...lows.map((lo) => oneSampleTTest(v.map((x) => x - lo), 0, ctx.level)),
        ...highs.map((hi) => oneSampleTTest(v.map((x) => hi - x), 0, ctx.level)),
      ];
      const weakest = tests.reduce((a, b) => ((Number.isNaN(b.p) ? 2 : b.p) > (Number.isNaN(a.p) ? 2 : a.p) ? b : a));
      const pOpposite = Math.min(...tests.map((t) => (Number.isNaN(t.pOpposite) ? 1 : t.pOpposite)));
      const test = {
        ...weakest,
        pOpposite: tests.some((t) => Number.isNaN(t.pOpposite)) && pOpposite === 1 ? NaN : pOpposite,
      };
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const pt = pointText(g.point, stepAt(ctx, claim));
      return {
        label: `${g.cell === "default" ? "mean" : g.cell} ${fmt(mean)} ${want}${pt ? ` (${pt})` : ""}`,
        test,
        margin: 0,
      };
    });
    return decide(raw, ctx.level, "distance to the bound");
  },
};
