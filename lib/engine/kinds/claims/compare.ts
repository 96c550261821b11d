/**
 * `kind: compare`: some cells (or index values, or a metric) are higher or
 * lower than others, by a margin, at the final step, at every step or at one
 * step; with `than_at`, the other side is read at another step (a cell's
 * final value against its own first: it learned). Each pair of matching groups (paired by the axes not named, and by
 * the free index values) is one comparison, tested over seeds: a paired t-test
 * where both sides have the same seeds, Welch's t-test otherwise, or the
 * rank-sum test with `test: ranksum` (Backpropamine's). `transform: log`
 * compares logarithms (ratios), for positive quantities such as variances
 * that differ by orders of magnitude.
 *
 * @example
 * ```yaml
 * - id: hnca-more-accurate
 *   kind: compare
 *   source: paper
 *   section: Abstract
 *   says: HNCA significantly outperforms REINFORCE
 *   text: HNCA's final test accuracy exceeds REINFORCE's.
 *   metric: test_accuracy
 *   direction: higher
 *   cells: { estimator: hnca }
 *   than: { estimator: reinforce }
 * ```
 * @module
 */
import { z } from "zod";
import { pairedTTest, rankSumTest, welchTTest } from "../../../util/stats.ts";
import { axesCheck, columnCheck, indexCheck, selectorCheck } from "../check.ts";
import type { ClaimKind, ReportContext } from "../types.ts";
import { fmt, pointText, type SeedGroup, seedGroups, stepAt } from "../values.ts";
import {
  cellSelector,
  checkBase,
  type ClaimBase,
  claimBase,
  decide,
  indexSelector,
  type RawComparison,
} from "./base.ts";

/** The schema of a compare claim. */
export const CompareClaimSchema = z.strictObject({
  kind: z.literal("compare"),
  ...claimBase,
  direction: z.enum(["higher", "lower"]),
  cells: cellSelector.default({}).describe("the cells expected to be better (default: every cell)"),
  than: cellSelector.default({}).describe("the cells they are compared with (default: the same cells)"),
  than_index: indexSelector.default({}).describe("index values of the other side (for example {agent: thompson})"),
  better_index: indexSelector.default({}).describe("index values of the better side (for example {agent: meta-rl})"),
  than_metric: z.string().optional().describe("the other side's metric, when two metrics are compared"),
  than_at: z.enum(["final", "first"]).optional().describe(
    "the other side's step when it differs from `at` (each run's own final or first step; `at` must be final or first)",
  ),
  pair_by: z.array(z.string()).optional().describe("axes that pair cells (default: the axes no selector names)"),
  margin: z.number().default(0).describe(
    "the difference the claim requires; negative allows the better side to be worse by that much",
  ),
  test: z.enum(["auto", "paired", "welch", "ranksum"]).default("auto").describe(
    "auto: paired t where both sides have the same seeds, else Welch t; ranksum: Wilcoxon rank-sum",
  ),
  transform: z.enum(["none", "log"]).default("none").describe("log: compare logarithms (ratios) of positive values"),
});

/** A compare claim, parsed. */
export type CompareClaim = z.infer<typeof CompareClaimSchema> & ClaimBase;

function describeSide(g: SeedGroup, metric: string, showMetric: boolean, index: Record<string, unknown>): string {
  return [
    g.cell === "default" ? "" : g.cell,
    showMetric ? metric : "",
    ...Object.entries(index).map(([k, v]) => `${k}=${v}`),
  ]
    .filter(Boolean).join(" ") || "all";
}

function mean(values: Iterable<number>): number {
  let s = 0, n = 0;
  for (const v of values) {
    s += v;
    n++;
  }
  return s / n;
}

/** The compare kind. */
export const compareClaim: ClaimKind<CompareClaim> = {
  kind: "compare",
  schema: CompareClaimSchema as unknown as z.ZodType<CompareClaim>,
  doc: "cells (or index values, or metrics) higher or lower than others, tested over seeds",
  check(claim, at, ctx) {
    checkBase(claim, at, ctx, claim.margin !== 0);
    selectorCheck(ctx, [...at, "cells"], claim.cells);
    selectorCheck(ctx, [...at, "than"], claim.than);
    indexCheck(ctx, [...at, "better_index"], claim.table, claim.better_index);
    indexCheck(ctx, [...at, "than_index"], claim.table, claim.than_index);
    if (claim.than_metric) columnCheck(ctx, [...at, "than_metric"], claim.table, claim.than_metric, "metric");
    axesCheck(ctx, [...at, "pair_by"], claim.pair_by ?? []);
  },
  evaluate(claim, ctx: ReportContext) {
    const named = new Set([...Object.keys(claim.cells), ...Object.keys(claim.than), ...Object.keys(claim.where)]);
    const pairBy = claim.pair_by ?? ctx.axes.filter((a) => !named.has(a));
    const thanMetric = claim.than_metric ?? claim.metric;
    const thanAt = claim.than_at ?? claim.at;
    if (thanAt !== claim.at && (typeof claim.at === "number" || claim.at === "every")) {
      throw new Error(`claim ${claim.id}: 'than_at' needs 'at: final' or 'at: first' (the step leaves the pairing)`);
    }
    const side = (cells: Record<string, unknown>, index: Record<string, unknown>, metric: string, at = claim.at) =>
      seedGroups(ctx, {
        table: claim.table,
        metric,
        at,
        cells: { ...claim.where, ...cells },
        index: { ...claim.index, ...index },
      });
    const left = side(claim.cells, claim.better_index, claim.metric);
    const right = side(claim.than, claim.than_index, thanMetric, thanAt);
    const key = (g: SeedGroup) => JSON.stringify([pairBy.map((a) => g.labels[a]), g.point]);
    const showMetric = thanMetric !== claim.metric;
    const showAt = thanAt !== claim.at;
    const raw: RawComparison[] = [];
    const log = claim.transform === "log";
    const tf = (v: number) => (log ? Math.log(v) : v);
    for (const l of left) {
      for (const r of right) {
        if (key(l) !== key(r)) continue;
        if (
          l.cell === r.cell && JSON.stringify(claim.better_index) === JSON.stringify(claim.than_index) && !showMetric &&
          !showAt
        ) {
          continue; // a cell against itself
        }
        const seedsL = [...l.values.keys()], seedsR = [...r.values.keys()];
        const sameSeeds = seedsL.length === seedsR.length && seedsL.every((s) => r.values.has(s));
        const method = claim.test === "auto" ? (sameSeeds ? "paired" : "welch") : claim.test;
        if (method === "paired" && !sameSeeds) {
          throw new Error(`claim ${claim.id}: 'test: paired' but ${l.cell} and ${r.cell} have different seeds`);
        }
        if (log && [...l.values.values(), ...r.values.values()].some((v) => !(v > 0))) {
          throw new Error(`claim ${claim.id}: 'transform: log' needs positive values of ${claim.metric}`);
        }
        // The better side first: "higher" tests L - R > margin, "lower" tests R - L > margin.
        const [a, b] = claim.direction === "higher" ? [l, r] : [r, l];
        const va = seedsL.map((s) => tf(a.values.get(s) ?? NaN)), vb = seedsL.map((s) => tf(b.values.get(s) ?? NaN));
        const test = method === "paired"
          ? pairedTTest(va, vb, claim.margin, ctx.level)
          : method === "welch"
          ? welchTTest([...a.values.values()].map(tf), [...b.values.values()].map(tf), claim.margin, ctx.level)
          : rankSumTest([...a.values.values()].map(tf), [...b.values.values()].map(tf), claim.margin);
        const pt = pointText(l.point, stepAt(ctx, claim));
        const rightAt = showAt ? ` (${thanAt})` : "";
        const label = `${describeSide(l, claim.metric, showMetric, claim.better_index)} ${
          fmt(mean(l.values.values()))
        } ${claim.direction === "higher" ? ">" : "<"} ${describeSide(r, thanMetric, showMetric, claim.than_index)} ${
          fmt(mean(r.values.values()))
        }${rightAt}${claim.margin ? ` by ${fmt(claim.margin)}` : ""}${pt ? ` (${pt})` : ""}`;
        raw.push({ label, test, margin: claim.margin });
      }
    }
    if (raw.length === 0) return null;
    return decide(raw, ctx.level, log ? "log ratio" : "difference");
  },
};
