/**
 * What every claim has, whatever its kind: an id and a text; its provenance
 * (`source: paper` with the section and the sentence it tests, or
 * `source: project` with why the project adds it); an `argument` for any
 * margin or threshold (from the paper, or from what a trivial, untrained or
 * half-trained model scores, never from a value this project measured); the
 * table, metric, point and cells it reads; and the profiles it is checked in.
 *
 * And how a claim is decided from its comparisons: each comparison is a
 * one-sided test of the claimed direction; Holm's correction runs over the
 * claim's comparisons; the claim PASSes when every comparison is significant
 * in the claimed direction, FAILs when any is significant the other way (its
 * interval lies entirely on the wrong side of the margin), and is
 * INCONCLUSIVE otherwise, with the number of seeds that would decide it at
 * the observed effect.
 *
 * @example
 * ```ts
 * import { decide } from "./base.ts";
 * import { pairedTTest } from "../../../util/stats.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const test = pairedTTest([3, 4, 5, 6, 5], [1, 2, 2, 3, 3], 0, 0.05);
 * assertEquals(decide([{ label: "a > b", test, margin: 0 }], 0.05).verdict, "PASS");
 * ```
 * @module
 */
import { z } from "zod";
import { holm, seedsNeeded, seedsNeededFraction } from "../../../util/stats.ts";
import { columnCheck, selectorCheck } from "../check.ts";
import type { CheckContext, Comparison, Decision, YamlPath } from "../types.ts";
import { fmt } from "../values.ts";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected lowercase letters, digits and '-' (a slug)");
const label = z.union([z.string().min(1), z.number(), z.boolean()]);
/** Cells by axis value: `{estimator: hnca, baseline: true}`. */
export const cellSelector = z.record(z.string(), label);
/** Index columns fixed to a value: `{cue: 1}`. */
export const indexSelector = z.record(z.string(), z.union([z.number(), z.string()]));

/** The fields every claim kind has (spread into each kind's strict object). */
export const claimBase = {
  id: slug,
  text: z.string().min(1).describe("the claim, in one sentence"),
  source: z.enum(["paper", "project"]).describe("paper: the paper states it; project: this project adds it"),
  section: z.string().min(1).optional().describe("source paper: where the paper states it (section, figure, abstract)"),
  says: z.string().min(1).optional().describe("source paper: the sentence it tests"),
  verbatim: z.boolean().default(true).describe("false when `says` paraphrases a text that could not be retrieved"),
  why: z.string().min(1).optional().describe("source project: why the project adds this claim"),
  argument: z.string().min(1).optional().describe(
    "where a margin or threshold comes from: the paper, or an argument (what a trivial, untrained or half-trained model scores), never a value this project measured",
  ),
  table: z.string().default("metrics"),
  metric: z.string(),
  at: z.union([z.literal("final"), z.literal("first"), z.literal("every"), z.number().int().nonnegative()]).default(
    "final",
  ).describe("final: each run's last step; first: each run's first step; every: each step; a number: that step"),
  where: cellSelector.default({}).describe("only these cells"),
  index: indexSelector.default({}).describe("only rows with these index values"),
  profiles: z.array(z.string()).optional().describe("the profiles the claim is checked in (default: all)"),
};

/** The common fields, parsed. */
export interface ClaimBase {
  id: string;
  text: string;
  source: "paper" | "project";
  section?: string;
  says?: string;
  verbatim: boolean;
  why?: string;
  argument?: string;
  table: string;
  metric: string;
  at: "final" | "first" | "every" | number;
  where: Record<string, string | number | boolean>;
  index: Record<string, string | number>;
  profiles?: string[];
}

/** Checks provenance and the references every claim makes. `needsArgument`: the claim has a margin or threshold. */
export function checkBase(claim: ClaimBase, at: YamlPath, ctx: CheckContext, needsArgument: boolean): void {
  if (claim.source === "paper") {
    if (!claim.section) {
      ctx.issue([...at, "source"], "a claim with source paper needs 'section': where the paper states it");
    }
    if (!claim.says) ctx.issue([...at, "source"], "a claim with source paper needs 'says': the sentence it tests");
    if (claim.why) ctx.issue([...at, "why"], "'why' is for claims with source project", true);
  } else {
    if (!claim.why) ctx.issue([...at, "source"], "a claim with source project needs 'why': why the project adds it");
    if (claim.section || claim.says) {
      ctx.issue(
        [...at, claim.section ? "section" : "says"],
        "'section' and 'says' are for claims with source paper",
        true,
      );
    }
  }
  if (needsArgument && !claim.argument) {
    ctx.issue(
      at,
      "a claim with a margin or threshold needs 'argument': where the number comes from (the paper, or what a trivial, untrained or half-trained model scores)",
    );
  }
  columnCheck(ctx, [...at, "metric"], claim.table, claim.metric, "metric");
  selectorCheck(ctx, [...at, "where"], claim.where);
  const t = ctx.tables.find((x) => x.name === claim.table);
  for (const k of Object.keys(claim.index)) {
    if (t && !t.columns.some((col) => col.name === k && col.role === "index")) {
      ctx.issue([...at, "index", k], `table '${claim.table}' has no index column '${k}'`, true);
    }
  }
  (claim.profiles ?? []).forEach((p, j) => {
    if (!ctx.profiles.includes(p)) ctx.issue([...at, "profiles", j], `unknown profile '${p}'`);
  });
}

/** A comparison before Holm's adjustment. */
export type RawComparison = Omit<Comparison, "pAdjusted" | "pOppositeAdjusted">;

function pText(p: number): string {
  if (Number.isNaN(p)) return "p undefined";
  return p < 1e-4 ? `p < 0.0001` : `p = ${p.toPrecision(2)}`;
}

/** "difference 0.31 [90% CI 0.25, 0.37], p = 0.003 (paired t, n = 3)" */
export function testText(c: Comparison, level: number, what = "effect"): string {
  const t = c.test;
  const ciLevel = Math.round((1 - 2 * level) * 100);
  const ci = t.ci
    ? ` [${t.method === "binomial" ? `${100 - Math.round(level * 100)}% bounds` : `${ciLevel}% CI`} ${fmt(t.ci[0])}, ${
      fmt(t.ci[1])
    }]`
    : "";
  const method = t.method === "paired"
    ? "paired t"
    : t.method === "welch"
    ? "Welch t"
    : t.method === "ranksum"
    ? "rank-sum"
    : t.method === "binomial"
    ? "exact binomial"
    : "t";
  return `${what} ${fmt(t.effect)}${ci}, ${pText(c.pAdjusted)} (${method}, n = ${t.n}${
    t.method === "welch" || t.method === "ranksum" ? " per side" : ""
  })`;
}

/**
 * Decides a claim from its comparisons at significance level `level`, with
 * Holm's correction over them. The detail names the deciding comparison and,
 * when INCONCLUSIVE, about how many seeds would decide it at the observed
 * effect (80% power).
 */
export function decide(raw: RawComparison[], level: number, what = "effect"): Decision {
  if (raw.length === 0) {
    return { verdict: "INCONCLUSIVE", deciding: null, comparisons: [], detail: "nothing to compare" };
  }
  const pa = holm(raw.map((c) => c.test.p)), po = holm(raw.map((c) => c.test.pOpposite));
  const comparisons: Comparison[] = raw.map((c, i) => ({ ...c, pAdjusted: pa[i], pOppositeAdjusted: po[i] }));
  const m = comparisons.length;
  const of = m === 1 ? "" : ` (Holm over ${m} comparisons)`;
  const failing = comparisons.filter((c) => c.pOppositeAdjusted < level).sort((a, b) =>
    a.pOppositeAdjusted - b.pOppositeAdjusted
  );
  if (failing.length > 0) {
    const d = failing[0];
    return {
      verdict: "FAIL",
      deciding: d,
      comparisons,
      detail: `${failing.length}/${m} comparisons go significantly the other way${of}; clearest: ${d.label}: ${
        testText({ ...d, pAdjusted: d.pOppositeAdjusted }, level, what)
      } against the claim`,
    };
  }
  const open = comparisons.filter((c) => !(c.pAdjusted < level));
  if (open.length === 0) {
    const d = [...comparisons].sort((a, b) => b.pAdjusted - a.pAdjusted)[0];
    return {
      verdict: "PASS",
      deciding: d,
      comparisons,
      detail: `${m}/${m} comparisons significant${of}; weakest: ${d.label}: ${testText(d, level, what)}`,
    };
  }
  const d =
    [...open].sort((a, b) =>
      (Number.isNaN(b.pAdjusted) ? 2 : b.pAdjusted) - (Number.isNaN(a.pAdjusted) ? 2 : a.pAdjusted)
    )[0];
  return {
    verdict: "INCONCLUSIVE",
    deciding: d,
    comparisons,
    detail: `${m - open.length}/${m} comparisons significant${of}; undecided: ${d.label}: ${
      testText(d, level, what)
    }; ${needText(d, level / m)}`,
  };
}

/** About how many seeds would decide a comparison at its observed effect. */
function needText(c: Comparison, alpha: number): string {
  const t = c.test;
  if (t.n < 2 && t.method !== "binomial") return "one seed cannot decide: run at least 2 (better 5)";
  if (t.method === "binomial") {
    const n = seedsNeededFraction(t.effect, c.margin, alpha);
    const side = t.effect > c.margin ? "above" : "below";
    return t.effect === c.margin
      ? `at the observed fraction ${fmt(t.effect)}, on the bound, no number of seeds decides it`
      : n === null
      ? `at the observed fraction ${fmt(t.effect)} no practical number of seeds shows it ${side} ${fmt(c.margin)}`
      : `about ${n} seeds would show it ${side} ${fmt(c.margin)} at the observed fraction ${fmt(t.effect)} (80% power)`;
  }
  if (t.sd === null || t.sd === 0) return "the seeds show no spread and no difference";
  const d = (t.effect - c.margin) / t.sd;
  const n = seedsNeeded(d, alpha, t.method === "welch" || t.method === "ranksum");
  return d <= 0
    ? "the observed effect points the other way: more seeds would not show the claim"
    : n === null
    ? "the observed effect is too small for any practical number of seeds"
    : `about ${n} seeds${
      t.method === "welch" || t.method === "ranksum" ? " per side" : ""
    } would decide it at the observed effect (80% power)`;
}
