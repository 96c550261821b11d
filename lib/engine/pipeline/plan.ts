/**
 * Planning: from a pipeline, a profile and the environment to the list of
 * runs, each with its resolved config and run key.
 *
 * A run's config is the base `config`, deep-merged with the profile's
 * `config`, then with the cell's axis values, then with `--set` overrides;
 * arrays are replaced, not merged. Every config is validated by the
 * experiment's schema, and a rejected value is reported at the line that set
 * it.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "./load.ts";
 * import { defaultRegistryUrl, loadRegistry } from "./registry.ts";
 * import { planRuns } from "./plan.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const pipeline = await loadPipeline("pipelines/hnca-bandit.yaml");
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * const plan = await planRuns(pipeline, {
 *   profile: "smoke",
 *   registry,
 *   environment: { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "x" } },
 * });
 * assertEquals(plan.runs.length, 4); // the smoke profile: 4 cells x 1 seed
 * assert(plan.runs.every((r) => /^[0-9a-f]{64}$/.test(r.key)));
 * ```
 * @module
 */
import { canonicalJson } from "../../util/canonical_json.ts";
import { describeValue, PipelineError, type PipelineIssue, UserError } from "../../util/errors.ts";
import { didYouMean } from "../../util/suggest.ts";
import type { Experiment, TableSpec } from "../experiment.ts";
import { sha256Hex } from "../../util/hash.ts";
import { type LoadedPipeline, zodIssues } from "./load.ts";
import type { Axis } from "./schema.ts";
import { isSearch, nest, type Search, type SearchSelect, searchSettings } from "./search.ts";
import { columnCheck } from "../kinds/check.ts";
import { CLAIM_KINDS } from "../kinds/claims/mod.ts";
import { PLOT_KINDS } from "../kinds/plots/mod.ts";
import type { CheckContext } from "../kinds/types.ts";
import { getExperiment, type Registry, sourceDigest } from "./registry.ts";

/** Bumped when the engine changes how result files are written. */
export const OUTPUT_FORMAT_VERSION = 1;

/** What the environment contributes to run keys. */
export interface KeyEnvironment {
  /** Backend family: wasm, webgpu or cpu. */
  backend: string;
  versions: { tfjs: string; deno: string; v8: string };
}

/** Everything that determines a run; its canonical JSON's SHA-256 is the run key. */
export interface KeyParts {
  format: number;
  experiment: { id: string; version: string; source: string };
  config: unknown;
  seed: number;
  datasets: Record<string, string>;
  backend: string;
  versions: { tfjs: string; deno: string; v8: string };
}

/** One planned run. */
export interface PlannedRun {
  key: string;
  parts: KeyParts;
  pipeline: string;
  profile: string;
  /** Grid cell id, for example `estimator=hnca baseline=true` (`default` with no axes). */
  cell: string;
  /** The cell's label for each axis, in axis order. */
  labels: Record<string, string>;
  seed: number;
  config: Record<string, unknown>;
}

/** A plan: the runs plus what is needed to summarize them. */
export interface Plan {
  pipeline: LoadedPipeline;
  profile: string;
  experiment: Experiment;
  sourceFiles: string[];
  axes: string[];
  tables: TableSpec[];
  runs: PlannedRun[];
  /**
   * A random search axis with `select`: claims and figures read only the top
   * settings by the selection metric (see results/selection.ts).
   */
  selection?: SearchSelect & { axis: string };
}

/** Options for planRuns. */
export interface PlanOptions {
  profile?: string;
  registry: Registry;
  environment: KeyEnvironment;
  /** `--only key=value` filters (see selectRuns); the plan then holds only the matching runs. */
  only?: Record<string, string[]>;
  /** `--set path=value` config overrides, applied last. */
  set?: Record<string, unknown>;
  /** Stop after validating the profile's configs and references (no run keys): for checking every profile. */
  validateOnly?: boolean;
}

type YamlPath = (string | number)[];
/** A config layer: values and the YAML path each leaf came from. */
interface Layer {
  values: Record<string, unknown>;
  origin: YamlPath;
  /** Every value of this layer comes from the node at `origin` itself (a list axis value). */
  exact?: boolean;
}

interface Cell {
  id: string;
  labels: Record<string, string>;
  layers: Layer[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge with provenance: records for each leaf path the YAML path that set it. */
function mergeLayers(layers: Layer[]): { config: Record<string, unknown>; origins: Map<string, YamlPath> } {
  const config: Record<string, unknown> = {};
  const origins = new Map<string, YamlPath>();
  const apply = (
    target: Record<string, unknown>,
    values: Record<string, unknown>,
    at: string[],
    origin: YamlPath,
    exact: boolean,
  ) => {
    for (const [k, v] of Object.entries(values)) {
      const here = [...at, k];
      const o = exact ? origin : [...origin, k];
      if (isPlainObject(v)) {
        if (!isPlainObject(target[k])) target[k] = {};
        origins.set(JSON.stringify(here), o);
        apply(target[k] as Record<string, unknown>, v, here, o, exact);
      } else {
        target[k] = structuredClone(v);
        origins.set(JSON.stringify(here), o);
      }
    }
  };
  for (const layer of layers) apply(config, layer.values, [], layer.origin, layer.exact ?? false);
  return { config, origins };
}

/** A random search axis's settings, drawn once per axis object. */
const settingsCache = new WeakMap<object, Record<string, Record<string, unknown>>>();
function settingsOf(axis: { search: Search }): Record<string, Record<string, unknown>> {
  let s = settingsCache.get(axis);
  if (!s) settingsCache.set(axis, s = searchSettings(axis.search));
  return s;
}

function axisLabels(axis: Axis): string[] {
  if (isSearch(axis)) return Object.keys(settingsOf(axis));
  return Array.isArray(axis) ? axis.map(String) : Object.keys(axis);
}

/** The config layer one axis value contributes. */
function axisLayer(name: string, axis: Axis, label: string, origin: YamlPath): Layer {
  if (Array.isArray(axis)) {
    const index = axis.findIndex((v) => String(v) === label);
    const value = index >= 0 ? axis[index] : parseScalar(label);
    const nested = nest(name, value);
    // The origin of a list value is the list element; every nested key maps to it.
    return { values: nested, origin: index >= 0 ? [...origin, index] : origin, exact: true };
  }
  if (isSearch(axis)) return { values: settingsOf(axis)[label], origin: [...origin, "search", "space"], exact: true };
  return { values: (axis as Record<string, Record<string, unknown>>)[label], origin: [...origin, label] };
}

function parseScalar(s: string): unknown {
  if (s === "true") return true;
  if (s === "false") return false;
  if (s !== "" && !Number.isNaN(Number(s))) return Number(s);
  return s;
}

function selectorMatches(labels: Record<string, string>, sel: Record<string, unknown>): boolean {
  return Object.entries(sel).every(([k, v]) => labels[k] === String(v));
}

/** Picks the default or named profile; throws a UserError listing the profiles when unknown. */
export function profileName(pipeline: LoadedPipeline, requested?: string): string {
  const name = requested ?? pipeline.data.default_profile;
  if (!(name in pipeline.data.profiles)) {
    throw new UserError(
      `Profile '${name}' does not exist in ${pipeline.file}.${
        didYouMean(name, Object.keys(pipeline.data.profiles))
      } Available: ${Object.keys(pipeline.data.profiles).join(", ")}`,
    );
  }
  return name;
}

/** The problems a pipeline has whatever its profile: default profile, references, experiment. */
function checkTopLevel(pipeline: LoadedPipeline, registry: Registry): PipelineIssue[] {
  const data = pipeline.data;
  const issues: PipelineIssue[] = [];
  if (!(data.default_profile in data.profiles)) {
    issues.push(
      pipeline.issue(
        ["default_profile"],
        `profile '${data.default_profile}' is not defined under profiles (defined: ${
          Object.keys(data.profiles).join(", ")
        })`,
      ),
    );
  }
  (data.references ?? []).forEach((r, i) => {
    if (!(r in data.profiles)) issues.push(pipeline.issue(["references", i], `unknown profile '${r}'`));
  });
  if (!(data.experiment in registry.experiments)) {
    issues.push(
      pipeline.issue(
        ["experiment"],
        `unknown experiment '${data.experiment}'; registered: ${Object.keys(registry.experiments).sort().join(", ")}`,
      ),
    );
  }
  return issues;
}

/** Every dataset the experiment needs is declared by the pipeline and registered. */
function checkDatasets(pipeline: LoadedPipeline, experiment: Experiment, registry: Registry, issues: PipelineIssue[]) {
  for (const name of experiment.datasets) {
    if (!(name in pipeline.data.datasets)) {
      issues.push(
        pipeline.issue(
          ["datasets"],
          `experiment '${experiment.id}' needs dataset '${name}'; declare it, for example '${name}: {source: npm}'`,
          true,
        ),
      );
    } else if (!(name in registry.datasets)) {
      issues.push(
        pipeline.issue(
          ["datasets", name],
          `no registered dataset '${name}' (registered: ${Object.keys(registry.datasets).sort().join(", ")})`,
          true,
        ),
      );
    }
  }
}

/** A profile's grid: its axes (with where each was declared), seeds, and cells' labels. */
interface Grid {
  axes: Record<string, { axis: Axis; origin: YamlPath }>;
  axisNames: string[];
  seeds: number[];
  combos: Record<string, string>[];
}

/** The profile's axes (the base grid's, replaced or extended by the profile's), seeds and cells. */
function expandGrid(pipeline: LoadedPipeline, profile: string, issues: PipelineIssue[]): Grid {
  const data = pipeline.data;
  const prof = data.profiles[profile];
  const axes: Grid["axes"] = {};
  for (const [name, axis] of Object.entries(data.grid.axes)) axes[name] = { axis, origin: ["grid", "axes", name] };
  for (const [name, axis] of Object.entries(prof.axes ?? {})) {
    axes[name] = { axis, origin: ["profiles", profile, "axes", name] };
  }
  const axisNames = Object.keys(axes);
  for (const name of axisNames) {
    if (name === "seed" || name === "cell") {
      issues.push(pipeline.issue(axes[name].origin, `'${name}' is reserved; list seeds under grid.seeds`, true));
    }
  }
  const seeds = prof.seeds ?? data.grid.seeds;
  const seedsOrigin: YamlPath = prof.seeds ? ["profiles", profile, "seeds"] : ["grid", "seeds"];
  if (new Set(seeds).size !== seeds.length) {
    issues.push(pipeline.issue(seedsOrigin, `seeds must be unique, got ${describeValue(seeds)}`));
  }
  const exclude = prof.exclude ?? data.grid.exclude;
  const excludeOrigin: YamlPath = prof.exclude ? ["profiles", profile, "exclude"] : ["grid", "exclude"];
  const include = prof.include ?? data.grid.include;
  const includeOrigin: YamlPath = prof.include ? ["profiles", profile, "include"] : ["grid", "include"];
  const unknownAxis = (path: YamlPath, k: string) =>
    issues.push(pipeline.issue(path, `unknown axis '${k}' (axes: ${axisNames.join(", ") || "none"})`, true));
  exclude.forEach((sel, i) => {
    for (const [k, v] of Object.entries(sel)) {
      if (!(k in axes)) unknownAxis([...excludeOrigin, i, k], k);
      else if (!axisLabels(axes[k].axis).includes(String(v))) {
        issues.push(
          pipeline.issue(
            [...excludeOrigin, i, k],
            `axis '${k}' has no value ${describeValue(v)} (values: ${axisLabels(axes[k].axis).join(", ")})`,
          ),
        );
      }
    }
  });
  // Cartesian product in axis order, then exclude, then include.
  let combos: Record<string, string>[] = [{}];
  for (const name of axisNames) {
    const next: Record<string, string>[] = [];
    for (const c of combos) for (const l of axisLabels(axes[name].axis)) next.push({ ...c, [name]: l });
    combos = next;
  }
  combos = combos.filter((c) => !exclude.some((sel) => selectorMatches(c, sel)));
  include.forEach((sel, i) => {
    const labels: Record<string, string> = {};
    for (const name of axisNames) {
      if (!(name in sel)) {
        issues.push(
          pipeline.issue([...includeOrigin, i], `an include entry must give every axis; '${name}' is missing`),
        );
        return;
      }
      const l = String(sel[name]);
      if (!Array.isArray(axes[name].axis) && !axisLabels(axes[name].axis).includes(l)) {
        issues.push(
          pipeline.issue(
            [...includeOrigin, i, name],
            `axis '${name}' has no value '${l}' (values: ${axisLabels(axes[name].axis).join(", ")})`,
          ),
        );
        return;
      }
      labels[name] = l;
    }
    for (const k of Object.keys(sel)) if (!(k in axes)) unknownAxis([...includeOrigin, i, k], k);
    if (!combos.some((c) => axisNames.every((n) => c[n] === labels[n]))) combos.push(labels);
  });
  if (combos.length === 0) issues.push(pipeline.issue(excludeOrigin, "the grid is empty: every cell is excluded"));
  return { axes, axisNames, seeds, combos };
}

/** --set changes every run's config alike; a grid axis or the seed would relabel cells with other values. */
function checkSet(set: Record<string, unknown>, grid: Grid): void {
  for (const k of Object.keys(set)) {
    if (k === "seed" || k === "seeds" || grid.axisNames.includes(k)) {
      const seed = k.startsWith("seed");
      const values = seed ? grid.seeds.map(String) : axisLabels(grid.axes[k].axis);
      throw new UserError(
        `--set ${k}=...: '${k}' is ${seed ? "the seed" : "a grid axis"} of this profile (values: ${
          values.join(", ")
        }); select runs with --only ${seed ? "seed" : k}=VALUE instead`,
      );
    }
  }
}

/** Each cell's config layers: base, profile, axis values, --set. */
function gridCells(pipeline: LoadedPipeline, profile: string, grid: Grid, set: Record<string, unknown>): Cell[] {
  const data = pipeline.data;
  const setLayer: Layer[] = Object.keys(set).length > 0 ? [{ values: set, origin: ["(command line --set)"] }] : [];
  return grid.combos.map((labels) => ({
    id: grid.axisNames.length === 0 ? "default" : grid.axisNames.map((n) => `${n}=${labels[n]}`).join(" "),
    labels,
    layers: [
      { values: data.config, origin: ["config"] },
      { values: data.profiles[profile].config, origin: ["profiles", profile, "config"] },
      ...grid.axisNames.map((n) => axisLayer(n, grid.axes[n].axis, labels[n], grid.axes[n].origin)),
      ...setLayer,
    ],
  }));
}

/** Each cell's config merged and validated by the experiment's schema; each distinct problem reported once, where it was set. */
function resolveConfigs(
  pipeline: LoadedPipeline,
  experiment: Experiment,
  cells: Cell[],
  issues: PipelineIssue[],
): Map<string, Record<string, unknown>> {
  const seen = new Set<string>();
  const resolved = new Map<string, Record<string, unknown>>();
  for (const cell of cells) {
    const { config, origins } = mergeLayers(cell.layers);
    const result = experiment.config.safeParse(config, { reportInput: true });
    if (result.success) {
      resolved.set(cell.id, result.data as Record<string, unknown>);
      continue;
    }
    const at = (path: (string | number)[], message: string, key = false): PipelineIssue => {
      let origin: YamlPath | undefined;
      for (let n = path.length; n >= 0 && !origin; n--) origin = origins.get(JSON.stringify(path.slice(0, n)));
      const yamlPath = origin ?? ["config"];
      if (yamlPath[0] === "(command line --set)") {
        return { file: "command line", line: null, col: null, path: ["--set", path.join(".")], message };
      }
      return pipeline.issue(yamlPath, `${message} (config key '${path.join(".")}' in cell ${cell.id})`, key);
    };
    for (const i of zodIssues(result.error.issues, [], at, experiment.config)) {
      const sig = `${i.line}:${i.col}:${i.message.replace(/ in cell .*\)$/, "")}`;
      if (!seen.has(sig)) {
        seen.add(sig);
        issues.push(i);
      }
    }
  }
  return resolved;
}

/** Plans every run of a pipeline profile. Throws PipelineError with located issues. */
export async function planRuns(pipeline: LoadedPipeline, options: PlanOptions): Promise<Plan> {
  const top = checkTopLevel(pipeline, options.registry);
  if (top.length > 0) throw new PipelineError(top);
  const profile = profileName(pipeline, options.profile);
  const experiment = getExperiment(options.registry, pipeline.data.experiment);
  const source = await sourceDigest(experiment.module);

  const issues: PipelineIssue[] = [];
  checkDatasets(pipeline, experiment, options.registry, issues);
  const grid = expandGrid(pipeline, profile, issues);
  if (issues.length > 0) throw new PipelineError(issues);
  checkSet(options.set ?? {}, grid);
  const cells = gridCells(pipeline, profile, grid, options.set ?? {});
  const resolved = resolveConfigs(pipeline, experiment, cells, issues);
  if (issues.length > 0) throw new PipelineError(issues);
  const tables = experiment.tables(resolved.get(cells[0].id)!);
  checkReferences(pipeline, tables, grid.axes, issues);
  const searchAxes = grid.axisNames.filter((n) => isSearch(grid.axes[n].axis));
  for (const name of searchAxes) {
    const select = (grid.axes[name].axis as { search: Search }).search.select;
    if (!select) continue;
    const at = [...grid.axes[name].origin, "search", "select"];
    const ctx: CheckContext = {
      tables,
      axes: grid.axisNames,
      axisLabels: () => null,
      profiles: Object.keys(pipeline.data.profiles),
      issue: (path, message, key) => issues.push(pipeline.issue(path, message, key)),
    };
    columnCheck(ctx, [...at, "metric"], select.table, select.metric, "metric");
  }
  if (searchAxes.filter((n) => (grid.axes[n].axis as { search: Search }).search.select).length > 1) {
    issues.push(pipeline.issue(grid.axes[searchAxes[1]].origin, "only one search axis may have 'select'"));
  }
  if (issues.length > 0) throw new PipelineError(issues);

  const plan: Plan = {
    pipeline,
    profile,
    experiment,
    sourceFiles: source.files,
    axes: grid.axisNames,
    tables,
    runs: [],
  };
  const selected = searchAxes.find((n) => (grid.axes[n].axis as { search: Search }).search.select);
  if (selected) {
    plan.selection = { axis: selected, ...(grid.axes[selected].axis as { search: Search }).search.select! };
  }
  if (options.validateOnly) return plan;
  const datasets: Record<string, string> = {};
  for (const name of experiment.datasets) datasets[name] = await options.registry.datasets[name].digest();
  for (const cell of cells) {
    for (const seed of grid.seeds) {
      const config = resolved.get(cell.id)!;
      const parts: KeyParts = {
        format: OUTPUT_FORMAT_VERSION,
        experiment: { id: experiment.id, version: experiment.version, source: source.digest },
        config,
        seed,
        datasets,
        backend: options.environment.backend,
        versions: options.environment.versions,
      };
      plan.runs.push({
        key: await sha256Hex(canonicalJson(parts)),
        parts,
        pipeline: pipeline.data.name,
        profile,
        cell: cell.id,
        labels: cell.labels,
        seed,
        config,
      });
    }
  }
  if (options.only && Object.keys(options.only).length > 0) plan.runs = selectRuns(plan, options.only);
  return plan;
}

/**
 * Plans `profile` and validates every other profile of the pipeline too, so
 * that an error in the base config (or in any profile) is reported with its
 * file, line and key whatever profile is asked for. `--set` applies to the
 * profile asked for only.
 */
export async function planValidated(pipeline: LoadedPipeline, options: PlanOptions): Promise<Plan> {
  const plan = await planRuns(pipeline, options);
  const issues: PipelineIssue[] = [];
  const seen = new Set<string>();
  for (const other of Object.keys(pipeline.data.profiles)) {
    if (other === plan.profile) continue;
    try {
      await planRuns(pipeline, { ...options, profile: other, set: undefined, only: undefined, validateOnly: true });
    } catch (e) {
      if (!(e instanceof PipelineError)) throw e;
      for (const i of e.issues) {
        const sig = `${i.line}:${i.col}:${i.message}`;
        if (!seen.has(sig)) {
          seen.add(sig);
          issues.push({ ...i, message: `${i.message} (profile ${other})` });
        }
      }
    }
  }
  if (issues.length > 0) throw new PipelineError(issues);
  return plan;
}

/**
 * The runs that match `--only` filters: axis (or `seed`) to accepted labels;
 * labels of one key are OR-ed, keys AND-ed. Throws a UserError for an unknown
 * key or when nothing matches.
 */
export function selectRuns(plan: Plan, only: Record<string, string[]>): PlannedRun[] {
  for (const k of Object.keys(only)) {
    if (k !== "seed" && !plan.axes.includes(k)) {
      throw new UserError(
        `--only ${k}=...: '${k}' is neither an axis nor 'seed' (axes: ${plan.axes.join(", ") || "none"}).${
          didYouMean(k, [...plan.axes, "seed"])
        }`,
      );
    }
    const known = k === "seed" ? plan.runs.map((r) => String(r.seed)) : plan.runs.map((r) => r.labels[k]);
    for (const v of only[k]) {
      if (!known.includes(v)) {
        throw new UserError(
          `--only ${k}=${v}: ${k === "seed" ? "the profile has no seed" : `axis '${k}' has no value`} '${v}' (values: ${
            [...new Set(known)].join(", ")
          }).${didYouMean(v, known)}`,
        );
      }
    }
  }
  const runs = plan.runs.filter((r) =>
    Object.entries(only).every(([k, vs]) => vs.includes(k === "seed" ? String(r.seed) : r.labels[k]))
  );
  if (runs.length === 0) {
    throw new UserError(
      `No run of ${plan.pipeline.data.name} (profile ${plan.profile}) matches the --only filters ${
        describeValue(only)
      }`,
    );
  }
  return runs;
}

/** Checks that plots, claims and evaluation name tables, columns, axes and values that exist (each kind checks its own). */
function checkReferences(
  pipeline: LoadedPipeline,
  tables: TableSpec[],
  axes: Record<string, { axis: Axis }>,
  issues: PipelineIssue[],
): void {
  const data = pipeline.data;
  // Plots and claims serve every profile: their selectors may name any value an axis has in the
  // grid or in some profile (in a profile without it they match nothing).
  const anyProfileLabels = (k: string): string[] | null => {
    const sources = [data.grid.axes, ...Object.values(data.profiles).map((p) => p.axes ?? {})];
    const found = sources.filter((a) => k in a).flatMap((a) => axisLabels(a[k]));
    return found.length ? [...new Set(found)] : null;
  };
  const ctx: CheckContext = {
    tables,
    axes: Object.keys(axes),
    axisLabels: anyProfileLabels,
    profiles: Object.keys(data.profiles),
    issue: (path, message, key) => issues.push(pipeline.issue(path, message, key)),
  };
  (data.evaluation.metrics ?? []).forEach((m, i) =>
    columnCheck(ctx, ["evaluation", "metrics", i], "metrics", m, "metric")
  );
  data.evaluation.report.forEach((m, i) => columnCheck(ctx, ["evaluation", "report", i], "metrics", m, "metric"));
  const plotIds = new Set<string>();
  data.plots.forEach((p, i) => {
    if (plotIds.has(p.id)) ctx.issue(["plots", i, "id"], `duplicate plot id '${p.id}'`);
    plotIds.add(p.id);
    PLOT_KINDS[p.kind].check(p, ["plots", i], ctx);
  });
  const claimIds = new Set<string>();
  data.claims.forEach((c, i) => {
    if (claimIds.has(c.id)) ctx.issue(["claims", i, "id"], `duplicate claim id '${c.id}'`);
    claimIds.add(c.id);
    CLAIM_KINDS[c.kind].check(c, ["claims", i], ctx);
  });
}
