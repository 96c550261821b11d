/**
 * The schema of `pipelines/*.yaml`. Every object is strict: an unknown key is
 * an error, so a typo never silently falls back to a default.
 *
 * @example
 * ```ts
 * import { PipelineSchema } from "./schema.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const result = PipelineSchema.safeParse({ name: "x" });
 * assertEquals(result.success, false); // title, paper, experiment, ... are missing
 * ```
 * @module
 */
import { z } from "zod";
import { DatasetSourceSchema } from "../../data/types.ts";
import { ClaimSchema } from "../kinds/claims/mod.ts";
import { PlotSchema } from "../kinds/plots/mod.ts";
import { SearchSchema } from "./search.ts";

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected lowercase letters, digits and '-' (a slug)");
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, "expected a name like use_baseline or optimizer.lr");
const label = z.union([z.string().min(1), z.number(), z.boolean()]);

/**
 * One grid axis: a list of values for the config key of the same name, named
 * bundles of config overrides, or a random search (`{search: ...}`, see
 * search.ts).
 */
export const AxisSchema = z.union([
  z.strictObject({ search: SearchSchema }),
  z.array(label).min(1, "an axis needs at least one value"),
  z.record(z.string().min(1), z.record(z.string(), z.unknown())).refine(
    (m) => Object.keys(m).length > 0,
    "an axis needs at least one value",
  ).refine((m) => !("search" in m), "'search' is reserved for a random search axis"),
]);

const cellSelector = z.record(z.string(), label);

const seed = z.number().int().nonnegative();

/**
 * Seeds: a list (`[0, 1, 2]`), or a range for the long lists a power analysis
 * asks for (`{ from: 10, to: 167 }`, both ends included), read as the list.
 */
function seedList(empty: string) {
  return z.union([
    z.array(seed).min(1, empty),
    z.strictObject({ from: seed, to: seed }).refine((r) => r.to >= r.from, "'to' must be at least 'from'")
      .transform((r) => Array.from({ length: r.to - r.from + 1 }, (_, i) => r.from + i)),
  ]);
}

/** The training grid: seeds times the cartesian product of the axes, minus exclude, plus include. */
export const GridSchema = z.strictObject({
  seeds: seedList("the grid needs at least one seed"),
  axes: z.record(z.string(), AxisSchema).default({}),
  exclude: z.array(cellSelector).default([]),
  include: z.array(cellSelector).default([]),
});

/** What each run asks of a Slurm cluster (deno task reproduce --executor slurm); flags override it. */
export const SlurmSchema = z.strictObject({
  cpus: z.number().int().positive().optional().describe("CPUs per task (default 1: a run is one process)"),
  mem: z.string().regex(/^\d+[KMGT]?$/, "expected a size as sbatch takes it (2G, 500M)").optional().describe(
    "memory per task (default 2G)",
  ),
  time: z.string().regex(/^(\d+-)?\d+(:\d+){0,2}$/, "expected a time as sbatch takes it (HH:MM:SS or D-HH:MM:SS)")
    .optional().describe("time limit per task (default 04:00:00)"),
  gpus: z.number().int().nonnegative().optional(),
  partition: z.string().optional(),
  account: z.string().optional(),
  qos: z.string().optional(),
  max_parallel: z.number().int().positive().optional().describe("at most this many tasks at once"),
});

/** Named overrides: a profile replaces seeds or axes and deep-merges config over the base. */
export const ProfileSchema = z.strictObject({
  description: z.string().min(1),
  config: z.record(z.string(), z.unknown()).default({}),
  seeds: seedList("a profile's seeds need at least one seed").optional(),
  axes: z.record(z.string(), AxisSchema).optional(),
  exclude: z.array(cellSelector).optional(),
  include: z.array(cellSelector).optional(),
  slurm: SlurmSchema.optional().describe("Slurm resources of this profile's runs, over the pipeline's"),
  cost: z.strictObject({
    core_hours: z.number().positive(),
    basis: z.string().min(1).describe("how the estimate was made (benchmark, measured runs)"),
  }).optional().describe(
    "the estimated cost of a profile without a committed reference (docs/claims.md lists it for claims only it decides)",
  ),
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
  references: z.array(z.string()).optional().describe(
    "profiles whose results are committed under results/reference/ (deno task reference) for users to verify against; default: smoke and quick, where they exist",
  ),
  evaluation: z.strictObject({
    confidence: z.number().gt(0).lt(1).default(0.95).describe("confidence level of the summary's intervals"),
    level: z.number().gt(0).lt(0.5).default(0.05).describe(
      "significance level of the claims' tests (Holm-corrected over each claim's comparisons)",
    ),
    metrics: z.array(z.string()).optional(),
    report: z.array(z.string()).default([]).describe(
      "metrics (of the metrics table) whose final values are printed per cell at the end of a run, as a table",
    ),
  }).default({ confidence: 0.95, level: 0.05, report: [] }),
  slurm: SlurmSchema.optional().describe("Slurm resources of each run (deno task reproduce --executor slurm)"),
  plots: z.array(PlotSchema).default([]),
  claims: z.array(ClaimSchema).default([]),
  departures: z.array(z.strictObject({
    what: z.string().min(1).describe("what this pipeline does differently from the original code or the paper"),
    why: z.string().min(1).describe("the reason"),
  })).default([]).describe("departures from the original, listed on the pipeline's page (docs/pipelines/)"),
});

export type Axis = z.infer<typeof AxisSchema>;
export type Grid = z.infer<typeof GridSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
export type { ClaimSpec } from "../kinds/claims/mod.ts";
export type { PlotSpec } from "../kinds/plots/mod.ts";
export type PipelineData = z.infer<typeof PipelineSchema>;

/** The profiles with committed references: `references`, or smoke and quick where the pipeline has them. */
export function referenceProfiles(data: PipelineData): string[] {
  return data.references ?? ["smoke", "quick"].filter((p) => p in data.profiles);
}
export { identifier as IdentifierSchema };
