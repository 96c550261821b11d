/**
 * Random search as a grid axis: `samples` settings drawn from a space of
 * config values by the axis's own seeded RNG, each setting one cell labelled
 * `s001`, `s002`, ... An optional `select` ranks the settings by a metric of
 * one table (the experiment's validation episodes, say) and keeps the `top`
 * best for claims and figures, which then read another table (held-out
 * episodes): Wang et al.'s protocol, selected on one half of the evaluation
 * episodes and reported on the other.
 *
 * Values are rounded to `digits` significant digits so that a setting reads
 * as it would in a paper's table and its config (and so its run key) does not
 * depend on the last bits of a logarithm.
 *
 * @example
 * ```yaml
 * grid:
 *   axes:
 *     setting:
 *       search:
 *         samples: 100
 *         seed: 2016
 *         space:
 *           lr_start: { log_uniform: [0.0001, 0.01] }
 *           entropy_start: { uniform: [0, 0.1] }
 *           gamma: { choice: [0.8, 0.9] }
 *         select: { top: 5, table: curve, metric: cumulative_regret, direction: lower }
 * ```
 * ```ts
 * import { searchSettings } from "./search.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const s = searchSettings({ samples: 3, seed: 0, digits: 3, space: { lr: { uniform: [0, 1] } } });
 * assertEquals(Object.keys(s), ["s1", "s2", "s3"]);
 * ```
 * @module
 */
import { z } from "zod";
import { Rng } from "../../rng/mod.ts";

const label = z.union([z.string().min(1), z.number(), z.boolean()]);

/** Where one config key's values are drawn from. */
export const SearchDistributionSchema = z.union([
  z.strictObject({
    log_uniform: z.tuple([z.number().positive(), z.number().positive()]).describe("log-uniform between two positives"),
  }),
  z.strictObject({ uniform: z.tuple([z.number(), z.number()]).describe("uniform between two numbers") }),
  z.strictObject({
    int_uniform: z.tuple([z.number().int(), z.number().int()]).describe("an integer, both ends included"),
  }),
  z.strictObject({ choice: z.array(label).min(1).describe("one of these values, equally likely") }),
]);

/** How the settings are ranked for claims and figures. */
export const SearchSelectSchema = z.strictObject({
  top: z.number().int().positive().describe("how many settings are kept"),
  table: z.string().describe("the table the ranking reads (validation episodes, not those reported)"),
  metric: z.string(),
  index: z.record(z.string(), z.union([z.number(), z.string()])).default({}).describe(
    "only rows with these index values",
  ),
  direction: z.enum(["lower", "higher"]).describe("which is better"),
});

/** A random search axis. */
export const SearchSchema = z.strictObject({
  samples: z.number().int().positive().describe("settings drawn"),
  seed: z.number().int().nonnegative().describe("the search's own seed (settings do not change with the runs' seeds)"),
  digits: z.number().int().min(1).max(15).default(3).describe("significant digits of drawn numbers"),
  space: z.record(z.string(), SearchDistributionSchema).refine(
    (s) => Object.keys(s).length > 0,
    "a search needs at least one key in its space",
  ),
  select: SearchSelectSchema.optional().describe(
    "rank settings by this metric's final value (mean over seeds) and keep the top ones for claims and figures",
  ),
});

/** A random search, parsed. */
export type Search = z.infer<typeof SearchSchema>;

/**
 * True for a random search axis (`{search: ...}`); the schema reserves the
 * key, so a bundle axis never has it.
 *
 * @example
 * ```ts
 * import { isSearch } from "./search.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(isSearch([1, 2]), false);
 * ```
 */
export function isSearch(axis: unknown): axis is { search: Search } {
  return typeof axis === "object" && axis !== null && !Array.isArray(axis) && "search" in axis;
}
/** A selection, parsed. */
export type SearchSelect = z.infer<typeof SearchSelectSchema>;

function round(x: number, digits: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(digits));
}

/**
 * Expands a dotted config key into a nested object.
 *
 * @example
 * ```ts
 * import { nest } from "./search.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(nest("optimizer.lr", 0.1), { optimizer: { lr: 0.1 } });
 * ```
 */
export function nest(path: string, value: unknown): Record<string, unknown> {
  const parts = path.split(".");
  let out: unknown = value;
  for (let i = parts.length - 1; i >= 0; i--) out = { [parts[i]]: out };
  return out as Record<string, unknown>;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const o = out[k];
    out[k] = typeof o === "object" && o !== null && typeof v === "object" && v !== null && !Array.isArray(v)
      ? deepMerge(o as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

/** The label of setting i (0-based) of n: s1 .. s9 for n < 10, s01 .. s99 for n < 100, ... */
export function settingLabel(i: number, n: number): string {
  return `s${String(i + 1).padStart(String(n).length, "0")}`;
}

/**
 * The settings of a search, by label: config overrides (dotted keys nested).
 * Draws key by key in the space's key order, setting by setting, from one
 * stream of Rng.fromSeed(seed): the same search gives the same settings on
 * every machine.
 */
export function searchSettings(search: Omit<Search, "select">): Record<string, Record<string, unknown>> {
  const rng = Rng.fromSeed(search.seed).stream("search");
  const out: Record<string, Record<string, unknown>> = {};
  for (let i = 0; i < search.samples; i++) {
    let values: Record<string, unknown> = {};
    for (const [key, d] of Object.entries(search.space)) {
      const u = rng.uniform();
      let v: unknown;
      if ("log_uniform" in d) {
        const [lo, hi] = d.log_uniform;
        v = round(Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))), search.digits);
      } else if ("uniform" in d) {
        const [lo, hi] = d.uniform;
        v = round(lo + u * (hi - lo), search.digits);
      } else if ("int_uniform" in d) {
        const [lo, hi] = d.int_uniform;
        v = lo + Math.min(hi - lo, Math.floor(u * (hi - lo + 1)));
      } else {
        v = d.choice[Math.min(d.choice.length - 1, Math.floor(u * d.choice.length))];
      }
      values = deepMerge(values, nest(key, v));
    }
    out[settingLabel(i, search.samples)] = values;
  }
  return out;
}
