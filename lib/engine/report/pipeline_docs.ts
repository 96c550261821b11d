/**
 * One pipeline's page (docs/pipelines/<name>.md), generated from its YAML,
 * its experiment's config schema and table specs, and its committed
 * references: the paper, how to run it, what each profile runs and costs,
 * the claims with their sources and measured verdicts, the committed
 * figures, the departures from the original, the config keys and the CSV
 * columns. tests/readme_test.ts fails when a committed page is stale.
 *
 * @example
 * ```ts
 * import { pipelineDocs } from "./pipeline_docs.ts";
 * import { ok as assert } from "node:assert";
 * const md = await pipelineDocs("value-rnn-td");
 * assert(md.startsWith("# `value-rnn-td`"));
 * assert(md.includes("## Config keys"));
 * ```
 * @module
 */
import { join } from "node:path";
import type { z } from "zod";
import type { Experiment } from "../experiment.ts";
import { type LoadedPipeline, loadPipeline } from "../pipeline/load.ts";
import { planRuns } from "../pipeline/plan.ts";
import { type PipelineData, referenceProfiles } from "../pipeline/schema.ts";
import { isSearch } from "../pipeline/search.ts";
import { defaultRegistryUrl, getExperiment, loadRegistry, type Registry } from "../pipeline/registry.ts";
import { repoRoot } from "../../util/repo.ts";
import { verdictCounts } from "./claims.ts";
import { effectText } from "./claims_table.ts";
import { formatCoreHours, referenceClaims, referenceCost, referenceDir } from "./references.ts";

/** Where the pages live, relative to the repository. */
export const PIPELINE_DOCS_DIR = "docs/pipelines";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** What a profile costs: measured from its committed runs, else its declared estimate. */
async function profileCost(name: string, d: PipelineData, profile: string, committed: boolean): Promise<string> {
  const measured = committed ? await referenceCost(name, profile) : null;
  if (measured) return `${formatCoreHours(measured.coreHours)} (measured)`;
  const declared = d.profiles[profile].cost;
  return declared ? `about ${formatCoreHours(declared.core_hours)} (estimate)` : "";
}

async function profilesSection(name: string, pipeline: LoadedPipeline, registry: Registry): Promise<string[]> {
  const d = pipeline.data;
  const committed = new Set(referenceProfiles(d));
  const lines = [
    "## Profiles",
    "",
    "| profile | runs | core-hours | committed | what it is |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const [p, prof] of Object.entries(d.profiles)) {
    // The planner applies the profile's axes, exclude and include: count what it would run.
    const plan = await planRuns(pipeline, {
      profile: p,
      registry,
      environment: { backend: "wasm", versions: { tfjs: "", deno: "", v8: "" } },
    });
    const seeds = new Set(plan.runs.map((r) => r.seed)).size;
    const cells = new Set(plan.runs.map((r) => r.cell)).size;
    lines.push(
      `| \`${p}\`${p === d.default_profile ? " (default)" : ""} | ${cells} cell${
        cells === 1 ? "" : "s"
      } x ${seeds} seed${seeds === 1 ? "" : "s"} | ${await profileCost(name, d, p, committed.has(p))} | ${
        committed.has(p) ? "yes" : ""
      } | ${prof.description.trim()} |`,
    );
  }
  lines.push("", gridLine(d), "");
  return lines;
}

function gridLine(d: PipelineData): string {
  const axes = Object.entries(d.grid.axes).map(([a, v]) =>
    `\`${a}\` (${
      Array.isArray(v)
        ? v.join(", ")
        : isSearch(v)
        ? `a random search of ${v.search.samples} settings`
        : Object.keys(v).join(", ")
    })`
  );
  return `Grid axes: ${axes.join(", ") || "none"}; seeds ${d.grid.seeds.join(", ")}.`;
}

function claimsSection(d: PipelineData): string[] {
  if (!d.claims.length) return [];
  const lines = ["## Claims", "", `Statistical tests over seeds, at level ${d.evaluation.level}:`, ""];
  for (const c of d.claims) {
    const source = c.source === "paper"
      ? `paper, ${c.section}${c.says ? `: ${c.verbatim ? "" : "(paraphrase) "}"${c.says.trim()}"` : ""}`
      : `project: ${c.why?.trim()}`;
    const where = c.profiles ? ` Checked in ${c.profiles.map((p) => `\`${p}\``).join(", ")}.` : "";
    lines.push(
      `- \`${c.id}\` (${c.kind}; ${source}): ${c.text.trim()}${
        c.argument ? ` Threshold: ${c.argument.trim()}` : ""
      }${where}`,
    );
  }
  lines.push("");
  return lines;
}

/** What the committed references measured: per profile other than smoke, each claim's verdict and the figures. */
async function measuredSection(name: string, d: PipelineData): Promise<string[]> {
  const lines: string[] = [];
  for (const profile of referenceProfiles(d).filter((p) => p !== "smoke")) {
    const claims = await referenceClaims(name, profile);
    if (!claims) continue;
    const checked = claims.filter((c) => c.status !== "NOT CHECKED");
    lines.push(
      `### Profile \`${profile}\``,
      "",
      `Committed in \`results/reference/${name}/${profile}/\`; rerun and check with ` +
        `\`deno task reproduce ${name} --profile ${profile} && deno task verify ${name} --profile ${profile}\`. ` +
        `Verdicts: ${checked.length ? verdictCounts(checked) : "no claims checked"}.`,
      "",
    );
    if (checked.length) {
      lines.push("| claim | verdict | effect | p (Holm) |", "| --- | --- | --- | --- |");
      for (const c of checked) {
        const p = c.p_holm ? Number(c.p_holm).toPrecision(2) : "";
        lines.push(`| \`${c.claim}\` | **${c.status}** | ${effectText(c) || c.detail} | ${p} |`);
      }
      lines.push("");
    }
    for (const fig of d.plots) {
      if (await exists(join(referenceDir(name, profile), "figures", `${fig.id}.png`))) {
        lines.push(
          `![${fig.title} (profile ${profile})](../../results/reference/${name}/${profile}/figures/${fig.id}.png)`,
          "",
        );
      }
    }
  }
  return lines.length ? ["## Measured", "", ...lines] : [];
}

function describeType(schema: z.ZodType): string {
  const def =
    (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; entries?: Record<string, string> } } })
      ._zod.def;
  if (def.type === "default" || def.type === "nullable" || def.type === "optional") {
    const inner = describeType(def.innerType!);
    return def.type === "nullable" ? `${inner} or null` : inner;
  }
  if (def.type === "enum") return Object.values(def.entries ?? {}).map((v) => `\`${v}\``).join(" \\| ");
  if (def.type === "array") return "list";
  return def.type;
}

/** What a pipeline sets a key to: its base config's value, then each profile that changes it. */
function pipelineValue(d: PipelineData, key: string): string {
  const parts: string[] = [];
  if (key in d.config) parts.push(`\`${JSON.stringify(d.config[key])}\``);
  for (const [name, prof] of Object.entries(d.profiles)) {
    if (key in prof.config) parts.push(`${name}: \`${JSON.stringify(prof.config[key])}\``);
  }
  return parts.join("; ");
}

function configSection(experiment: Experiment<unknown>, d: PipelineData): string[] {
  const defaults = experiment.config.parse({}) as Record<string, unknown>;
  const shape = (experiment.config as unknown as { shape: Record<string, z.ZodType> }).shape;
  const lines = [
    "## Config keys",
    "",
    `Of experiment \`${experiment.id}\`; set them under \`config:\` or with \`--set key=value\`. "This pipeline" is ` +
    "the value its base config sets, then each profile that changes it (a grid axis sets its own key per cell):",
    "",
    "| key | type | default | this pipeline | meaning |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const [key, schema] of Object.entries(shape)) {
    lines.push(
      `| \`${key}\` | ${describeType(schema)} | \`${JSON.stringify(defaults[key])}\` | ${pipelineValue(d, key)} | ${
        schema.description ?? ""
      } |`,
    );
  }
  lines.push("");
  return lines;
}

function tablesSection(experiment: Experiment<unknown>): string[] {
  const lines = ["## Result tables", ""];
  for (const t of experiment.tables(experiment.config.parse({}))) {
    lines.push(
      `Columns of \`${t.name}.csv\`${t.deterministic === false ? " (not deterministic: left out of the hashes)" : ""}${
        t.summarize === false ? " (per run, not summarized over seeds)" : ""
      }: ${t.doc}`,
      "",
      "| column | type | meaning |",
      "| --- | --- | --- |",
      ...t.columns.map((c) => `| \`${c.name}\` | ${c.type} | ${c.doc}${c.unit ? ` (${c.unit})` : ""} |`),
      "",
    );
  }
  return lines;
}

function departuresSection(d: PipelineData): string[] {
  if (!d.departures.length) return [];
  return [
    "## Departures from the original",
    "",
    ...d.departures.map((x) => `- ${x.what.trim()} *Why:* ${x.why.trim()}`),
    "",
  ];
}

/** The page of one pipeline. */
export async function pipelineDocs(name: string): Promise<string> {
  const pipeline = await loadPipeline(join(repoRoot(), "pipelines", `${name}.yaml`));
  const d = pipeline.data;
  const registry = await loadRegistry([defaultRegistryUrl()]);
  const experiment = getExperiment(registry, d.experiment);
  const code = `${d.paper.code}${d.paper.code_commit ? ` (commit ${d.paper.code_commit})` : ""}`;
  const lines = [
    `# \`${name}\`: ${d.title}`,
    "",
    "<!-- generated by deno task docs from the pipeline, its experiment and its committed references: do not edit -->",
    "",
    "[All pipelines](../../README.md#pipelines) · [every paper claim and what decides it](../claims.md) · " +
    "[what the reproductions found](../findings.md)",
    "",
    d.description.trim(),
    "",
    `Paper: ${d.paper.citation.trim()} Original code: ${code}.`,
    "",
    "```sh",
    `deno task reproduce ${name}                       # profile ${d.default_profile}`,
    `deno task reproduce ${name} --profile paper --jobs 2`,
    `deno task reproduce ${name} --profile paper --executor slurm   # a job array (docs/cluster.md)`,
    "```",
    "",
    ...await profilesSection(name, pipeline, registry),
    ...claimsSection(d),
    ...await measuredSection(name, d),
    ...departuresSection(d),
    ...configSection(experiment, d),
    ...tablesSection(experiment),
  ];
  if (d.plots.length) lines.push(`Figures: ${d.plots.map((p) => `\`${p.id}\` (${p.title})`).join(", ")}.`, "");
  return lines.join("\n");
}
