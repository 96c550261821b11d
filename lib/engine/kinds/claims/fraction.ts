/**
 * `kind: fraction`: at least a fraction of seeds have a value below (or
 * above) a bound. Each cell and point is one comparison: an exact binomial
 * test of the fraction of seeds against `at_least` (its Clopper-Pearson
 * bounds decide: PASS when the lower bound is at or above `at_least`, FAIL
 * when the upper bound is below it).
 *
 * @example
 * ```yaml
 * - id: most-seeds-learn
 *   kind: fraction
 *   source: project
 *   why: the original trains one network; this asks how often a seed learns the task
 *   argument: a network that is right only on the last 3 steps scores 0.037; the bound is below it
 *   text: In most seeds the value RMSE is below 0.02.
 *   table: run
 *   metric: rmse_timing
 *   below: 0.02
 *   at_least: 0.5
 * ```
 * @module
 */
import { z } from "zod";
import { binomialTest } from "../../../util/stats.ts";
import type { ClaimKind } from "../types.ts";
import { fmt, pointText, seedGroups, stepAt } from "../values.ts";
import { checkBase, type ClaimBase, claimBase, decide, type RawComparison } from "./base.ts";

/** The schema of a fraction claim. */
export const FractionClaimSchema = z.strictObject({
  kind: z.literal("fraction"),
  ...claimBase,
  below: z.number().optional(),
  above: z.number().optional(),
  at_least: z.number().min(0).max(1).describe("the fraction of seeds that must satisfy the bound"),
});

/** A fraction claim, parsed. */
export type FractionClaim = z.infer<typeof FractionClaimSchema> & ClaimBase;

/** The fraction kind. */
export const fractionClaim: ClaimKind<FractionClaim> = {
  kind: "fraction",
  schema: FractionClaimSchema as unknown as z.ZodType<FractionClaim>,
  doc: "the fraction of seeds whose value is below or above a bound, by an exact binomial test",
  check(claim, at, ctx) {
    checkBase(claim, at, ctx, true);
    if (claim.below === undefined && claim.above === undefined) {
      ctx.issue(at, "a fraction claim needs 'below' or 'above'");
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
    const bound = [
      claim.below !== undefined ? `below ${fmt(claim.below)}` : "",
      claim.above !== undefined ? `above ${fmt(claim.above)}` : "",
    ].filter(Boolean).join(" and ");
    const raw: RawComparison[] = groups.map((g) => {
      const v = [...g.values.values()];
      const k = v.filter((x) =>
        (claim.below === undefined || x < claim.below) && (claim.above === undefined || x > claim.above)
      ).length;
      const pt = pointText(g.point, stepAt(ctx, claim));
      return {
        label: `${g.cell === "default" ? "" : `${g.cell}: `}${k}/${v.length} seeds ${bound}, need ${
          Math.round(claim.at_least * 100)
        }%${pt && pt !== "final" ? ` (${pt})` : ""}`,
        test: binomialTest(k, v.length, claim.at_least, ctx.level),
        margin: claim.at_least,
      };
    });
    return decide(raw, ctx.level, "fraction");
  },
};
