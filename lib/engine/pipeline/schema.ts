/**
 * The schema of `pipelines/*.yaml`. Every object is strict: an unknown key is
 * an error, so a typo never silently falls back to a default.
 *
 * @example
 * ```ts
 * import { PipelineSchema } from "./schema.ts";
 * const result = PipelineSchema.safeParse({ name: "x" });
 * result.success; // false: title, paper, experiment, ... are missing
 * ```
 * @module
 */
import { z } from "zod";
import { DatasetSourceSchema } from "../../data/types.ts";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected lowercase letters, digits and '-' (a slug)");
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "expected a name like use_baseline or optimizer.lr");
const label = z.union([z.string().min(1), z.number(), z.boolean()]);

/** One grid axis: a list of values for the config key of the same name, or named bundles of config overrides. */
export const AxisSchema = z.union([
  z.array(label).min(1, "an axis needs at least one value"),
  z.record(z.string().min(1), z.record(z.string(), z.unknown())).refine(
    (m) => Object.keys(m).length > 0,
    "an axis needs at least one value",
  ),
]);

const cellSelector = z.record(z.string(), label);

/** The training grid: seeds times the cartesian product of the axes, minus exclude, plus include. */
export const GridSchema = z.strictObject({
  seeds: z.array(z.number().int().nonnegative()).min(1, "the grid needs at least one seed"),
  axes: z.record(z.string(), AxisSchema).default({}),
  exclude: z.array(cellSelector).default([]),
  include: z.array(cellSelector).default([]),
});

/** Named overrides: a profile replaces seeds or axes and deep-merges config over the base. */
export const ProfileSchema = z.strictObject({
  description: z.string().min(1),
  config: z.record(z.string(), z.unknown()).default({}),
  seeds: z.array(z.number().int().nonnegative()).min(1, "a profile's seeds need at least one seed").optional(),
  axes: z.record(z.string(), AxisSchema).optional(),
  exclude: z.array(cellSelector).optional(),
  include: z.array(cellSelector).optional(),
});

/** A learning-curve or bar figure drawn from the summary. */
export const PlotSchema = z.strictObject({
  id: slug,
  title: z.string().min(1),
  kind: z.enum(["curve", "bar", "path", "heatmap", "images"]).default("curve")
    .describe(
      "curve: metric against an index with a CI band; bar: final values; path: y metric against x metric, in index order; heatmap: y metric's colour over the x and rows index columns; images: a grid of one run's grayscale images (y in [0, 1] at x, rows, one image per tile value)",
    ),
  rows: z.string().optional().describe("heatmap, images: the index column along the vertical axis"),
  tile: z.string().optional().describe("images: the index column numbering the images"),
  columns: z.number().int().positive().default(8).describe("images: images per row of the grid"),
  table: z.string().default("metrics"),
  y: z.union([z.string(), z.array(z.string()).min(1)]).describe("metric, or metrics drawn together"),
  dashed: z.array(z.string()).default([]).describe("metrics of y drawn dashed (a known truth, say)"),
  x: z.string().optional(),
  y_label: z.string().min(1),
  x_label: z.string().optional(),
  y_scale: z.enum(["linear", "log"]).default("linear"),
  y_zero: z.boolean().default(true).describe(
    "bar: include 0 in the y axis (false: bars rise from the axis' lower end, for values like ELBOs far from 0)",
  ),
  color: z.array(z.string()).optional(),
  where: cellSelector.optional(),
  index: z.record(z.string(), z.union([z.number(), z.string()])).optional().describe(
    "only rows with these index values",
  ),
  runs: z.strictObject({
    pick: z.enum(["best", "worst", "best-and-worst", "all"]),
    by: z.strictObject({
      table: z.string(),
      metric: z.string(),
      index: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
      lower_is_better: z.boolean().default(true),
    }),
  }).optional().describe("draw individual runs, ranked by a final metric, instead of means over seeds"),
  marks: z.array(z.strictObject({ label: z.string(), where: z.record(z.string(), z.union([z.number(), z.string()])) }))
    .default([]).describe("points to mark on a path, by index or metric value (for example {t: 0} for cue onset)"),
});

const claimAt = z.union([z.literal("final"), z.literal("every"), z.number().int().nonnegative()]);

/** A claim of the paper, checked against the summary (means over seeds). */
export const ClaimSchema = z.strictObject({
  id: slug,
  text: z.string().min(1),
  table: z.string().default("metrics"),
  metric: z.string(),
  at: claimAt.default("final"),
  where: cellSelector.default({}),
  index: z.record(z.string(), z.union([z.number(), z.string()])).default({}),
  compare: z.strictObject({
    direction: z.enum(["higher", "lower"]),
    cells: cellSelector.default({}).describe("the cells expected to be better (default: every cell)"),
    than: cellSelector.default({}).describe("the cells they are compared with (default: the same cells)"),
    index: z.record(z.string(), z.union([z.number(), z.string()])).default({})
      .describe("index values of the better side (for example {cue: 1})"),
    than_index: z.record(z.string(), z.union([z.number(), z.string()])).default({})
      .describe("index values of the other side (for example {cue: 0})"),
    than_metric: z.string().optional().describe("the other side's metric, when two metrics are compared"),
    pair_by: z.array(z.string()).optional(),
    margin: z.number().default(0).describe("required difference; negative allows the cells to be worse by that much"),
  }).optional(),
  expect: z.strictObject({
    value: z.number().optional(),
    tolerance: z.number().nonnegative().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  }).optional(),
  fraction: z.strictObject({
    of: z.literal("seeds"),
    below: z.number().optional(),
    above: z.number().optional(),
    at_least: z.number().min(0).max(1),
  }).optional(),
  profiles: z.array(z.string()).optional(),
});

/** A whole pipeline file. */
export const PipelineSchema = z.strictObject({
  name: slug,
  title: z.string().min(1),
  description: z.string().min(1),
  paper: z.strictObject({
    citation: z.string().min(1),
    url: z.string().url(),
    code: z.string().url(),
    code_commit: z.string().optional(),
  }),
  datasets: z.record(z.string(), DatasetSourceSchema).default({}),
  experiment: z.string().min(1),
  config: z.record(z.string(), z.unknown()).default({}),
  grid: GridSchema,
  profiles: z.record(slug, ProfileSchema).refine((p) => Object.keys(p).length > 0, "at least one profile is needed"),
  default_profile: z.string(),
  evaluation: z.strictObject({
    confidence: z.number().gt(0).lt(1).default(0.95),
    metrics: z.array(z.string()).optional(),
    report: z.array(z.string()).default([]).describe(
      "metrics (of the metrics table) whose final values are printed per cell at the end of a run, as a table",
    ),
  }).default({ confidence: 0.95, report: [] }),
  plots: z.array(PlotSchema).default([]),
  claims: z.array(ClaimSchema).default([]),
});

export type Axis = z.infer<typeof AxisSchema>;
export type Grid = z.infer<typeof GridSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
export type PlotSpec = z.infer<typeof PlotSchema>;
export type ClaimSpec = z.infer<typeof ClaimSchema>;
export type PipelineData = z.infer<typeof PipelineSchema>;
export { identifier as IdentifierSchema };
