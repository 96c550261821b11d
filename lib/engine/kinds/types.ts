/**
 * The contract between the engine and its plot and claim kinds. A kind is one
 * module exporting `{kind, schema, check, build}` (plots) or
 * `{kind, schema, check, evaluate}` (claims): its schema is one branch of a
 * zod discriminated union on `kind`, `check` reports what a pipeline names
 * that does not exist (with file, line and key), and `build` / `evaluate`
 * turn a profile's results into a figure or a verdict. Adding a kind is one
 * new module and one entry in its list (plots/mod.ts, claims/mod.ts).
 *
 * This room sits below the pipeline loader (which validates against the kinds'
 * schemas) and the report (which draws and decides with them), and imports
 * only the experiment contract and utilities.
 *
 * @example
 * ```ts
 * import type { PlotKind } from "./types.ts";
 * import { PLOT_KINDS } from "./plots/mod.ts";
 * import { CLAIM_KINDS } from "./claims/mod.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const curve: PlotKind = PLOT_KINDS.curve;
 * assertEquals(curve.kind, "curve");
 * assertEquals(Object.keys(CLAIM_KINDS), ["compare", "expect", "fraction"]);
 * ```
 * @module
 */
import type { z } from "zod";
import type { TableSpec } from "../experiment.ts";
import type { OneSidedTest } from "../../util/stats.ts";

/** A path into the pipeline file: `["claims", 2, "metric"]`. */
export type YamlPath = (string | number)[];

/** A grid cell's label for each axis. */
export type Labels = Record<string, string>;

/** A parsed table cell: a number, a string, or null for an empty cell. */
export type CellValue = number | string | null;

/** One summary row: a cell's metric at one index point, over seeds. */
export interface SummaryRow {
  table: string;
  cell: string;
  labels: Labels;
  metric: string;
  at: "each" | "final";
  /** Index column values (the step column is null in final rows whose runs ended at different steps). */
  index: Record<string, CellValue>;
  n: number;
  mean: number;
  std: number | null;
  ci: [number, number] | null;
  median: number;
  /** 25th and 75th percentiles (linear interpolation, as numpy's default). */
  q25: number;
  q75: number;
  min: number;
  max: number;
}

/** One complete run's tables, with its cell and seed. */
export interface RunTables {
  cell: string;
  labels: Labels;
  seed: number;
  tables: Record<string, { header: string[]; rows: CellValue[][] }>;
}

/** What kinds see of a profile's results. */
export interface ReportContext {
  pipeline: string;
  profile: string;
  /** Grid axes of the profile, in order. */
  axes: string[];
  /** The cells of the profile's plan, in order. */
  cells: { id: string; labels: Labels }[];
  tables: TableSpec[];
  /** Confidence level of the summary's intervals (evaluation.confidence). */
  confidence: number;
  /** Significance level of claims (evaluation.level). */
  level: number;
  summary: SummaryRow[];
  runs: RunTables[];
}

/** What kinds see when a pipeline is checked; `issue` records a located problem. */
export interface CheckContext {
  /** The experiment's tables (for the profile being planned). */
  tables: TableSpec[];
  /** The profile's axes. */
  axes: string[];
  /** The values an axis takes in the grid or in any profile (null for an unknown axis). */
  axisLabels(axis: string): string[] | null;
  /** The pipeline's profile names. */
  profiles: string[];
  issue(path: YamlPath, message: string, key?: boolean): void;
}

/** A figure a plot kind built: a Vega-Lite spec, a finished SVG, or a reason to draw nothing. */
export type Figure =
  | { type: "vega-lite"; spec: Record<string, unknown> }
  | { type: "svg"; svg: string }
  | { type: "skip"; reason: string };

/** A plot kind. */
export interface PlotKind<P extends { kind: string } = { kind: string }> {
  kind: P["kind"];
  /** One branch of the plots' discriminated union (a strict object with `kind: z.literal(...)`). */
  schema: z.ZodType<P>;
  /** What the kind draws, for the generated docs. */
  doc: string;
  check(plot: P, at: YamlPath, ctx: CheckContext): void;
  build(plot: P, ctx: ReportContext): Figure | Promise<Figure>;
}

/** A verdict on a claim. */
export type Verdict = "PASS" | "FAIL" | "INCONCLUSIVE";

/** One statistical comparison behind a claim (a pair of cells at one point, a cell against a bound, ...). */
export interface Comparison {
  /** What is compared, for people: "estimator=hnca 0.43 > estimator=reinforce 0.12 (final)". */
  label: string;
  test: OneSidedTest;
  /** The claimed margin the effect is tested against (0 when none). */
  margin: number;
  /** The test's p-value for the claim and for its opposite after Holm's adjustment over the claim's comparisons. */
  pAdjusted: number;
  pOppositeAdjusted: number;
}

/** How a claim kind decided. */
export interface Decision {
  verdict: Verdict;
  /** The comparison that decided: the weakest of a PASS, the clearest failure of a FAIL, the weakest of an INCONCLUSIVE. */
  deciding: Comparison | null;
  comparisons: Comparison[];
  /** One line for people (counts, the deciding comparison, seeds needed when INCONCLUSIVE). */
  detail: string;
}

/** A claim kind. */
export interface ClaimKind<C extends { kind: string } = { kind: string }> {
  kind: C["kind"];
  schema: z.ZodType<C>;
  doc: string;
  check(claim: C, at: YamlPath, ctx: CheckContext): void;
  /** Decides the claim on the profile's complete runs; null when nothing in the results matches. */
  evaluate(claim: C, ctx: ReportContext): Decision | null;
}
