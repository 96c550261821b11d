/**
 * Markdown documentation of a pipeline, generated from its YAML, its
 * experiment's config schema and table specs (so README cannot drift from
 * the code: tests/readme_test.ts checks it).
 *
 * @example
 * ```ts
 * import { pipelineDocs } from "./docs.ts";
 * const md = await pipelineDocs("value-rnn-td");
 * md.startsWith("### `value-rnn-td`"); // true
 * ```
 * @module
 */
import { join } from "node:path";
import type { z } from "zod";
import { loadPipeline } from "../pipeline/load.ts";
import { planRuns } from "../pipeline/plan.ts";
import { referenceProfiles } from "../pipeline/schema.ts";
import { isSearch } from "../pipeline/search.ts";
import { defaultRegistryUrl, getExperiment, loadRegistry } from "../pipeline/registry.ts";
import { repoRoot } from "../../util/repo.ts";
import { parseCsv } from "../results/tables.ts";

/** The committed claims.csv of a reference profile, as records (null when there is none). */
async function referenceClaims(name: string, profile: string): Promise<Record<string, string>[] | null> {
  try {
    const file = join(repoRoot(), "results", "reference", name, profile, "claims.csv");
    const { header, rows } = parseCsv(await Deno.readTextFile(file), file);
    return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Verdict counts of a claims.csv: "2 PASS, 1 INCONCLUSIVE". */
function verdictCounts(claims: Record<string, string>[]): string {
  const order = ["PASS", "FAIL", "INCONCLUSIVE", "NOT CHECKED", "INCOMPLETE"];
  const n = new Map<string, number>();
  for (const c of claims) n.set(c.status, (n.get(c.status) ?? 0) + 1);
  return [...n].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([s, k]) => `${k} ${s}`).join(", ");
}

/**
 * What the committed references measured: per profile other than smoke, the
 * verdict of each claim with its comparison and Holm-adjusted p, and the
 * pipeline's first figure.
 */
export async function measuredDocs(
  name: string,
  references: string[],
  plots: { id: string; title: string }[],
): Promise<string[]> {
  const lines: string[] = [];
  for (const profile of references.filter((p) => p !== "smoke")) {
    const claims = await referenceClaims(name, profile);
    if (!claims) continue;
    const checked = claims.filter((c) => c.status !== "NOT CHECKED");
    lines.push(
      `Measured, profile \`${profile}\` (committed in \`results/reference/${name}/${profile}/\`; rerun and check with \`deno task reproduce ${name} --profile ${profile} && deno task verify ${name} --profile ${profile}\`): ${
        verdictCounts(checked) || "no claims checked"
      }.`,
      "",
    );
    if (checked.length) {
      lines.push("| claim | verdict | weakest comparison | p (Holm) |", "| --- | --- | --- | --- |");
      for (const c of checked) {
        const p = c.p_holm ? Number(c.p_holm).toPrecision(2) : "";
        lines.push(`| \`${c.claim}\` | **${c.status}** | ${c.comparison || c.detail} | ${p} |`);
      }
      lines.push("");
    }
    const fig = plots[0];
    if (fig && await exists(join(repoRoot(), "results", "reference", name, profile, "figures", `${fig.id}.png`))) {
      lines.push(
        `![${fig.title} (${name}, profile ${profile})](results/reference/${name}/${profile}/figures/${fig.id}.png)`,
        "",
      );
    }
  }
  return lines;
}

/** One row per pipeline of the verdicts its committed references measured. */
export async function verdictTable(names: string[]): Promise<string> {
  const lines = ["| pipeline | profile | verdicts |", "| --- | --- | --- |"];
  for (const name of names) {
    const pipeline = await loadPipeline(join(repoRoot(), "pipelines", `${name}.yaml`));
    let any = false;
    for (const profile of referenceProfiles(pipeline.data).filter((p) => p !== "smoke")) {
      const claims = await referenceClaims(name, profile);
      if (!claims) continue;
      any = true;
      lines.push(
        `| \`${name}\` | \`${profile}\` | ${verdictCounts(claims.filter((c) => c.status !== "NOT CHECKED"))} |`,
      );
    }
    if (!any) lines.push(`| \`${name}\` | | no committed reference beyond smoke |`);
  }
  return lines.join("\n");
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

/** Markdown for one pipeline. */
export async function pipelineDocs(name: string): Promise<string> {
  const pipeline = await loadPipeline(join(repoRoot(), "pipelines", `${name}.yaml`));
  const d = pipeline.data;
  const registry = await loadRegistry([defaultRegistryUrl()]);
  const experiment = getExperiment(registry, d.experiment);
  const defaults = experiment.config.parse({}) as Record<string, unknown>;
  const shape = (experiment.config as unknown as { shape: Record<string, z.ZodType> }).shape;
  const lines: string[] = [];
  lines.push(`### \`${name}\`: ${d.title}`, "");
  lines.push(d.description.trim(), "");
  lines.push(
    `Paper: ${d.paper.citation.trim()} Original code: ${d.paper.code}${
      d.paper.code_commit ? ` (commit ${d.paper.code_commit})` : ""
    }.`,
    "",
  );
  lines.push(
    "```sh",
    `deno task reproduce ${name}${
      d.default_profile === "quick" ? "" : " --profile quick"
    }          # profile ${d.default_profile} by default`,
    `deno task reproduce ${name} --profile paper --jobs 2`,
    "```",
    "",
  );
  lines.push("| profile | runs | what it is |", "| --- | --- | --- |");
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
      } x ${seeds} seed${seeds === 1 ? "" : "s"} | ${prof.description.trim()} |`,
    );
  }
  lines.push("");
  lines.push(
    `Grid axes: ${
      Object.entries(d.grid.axes).map(([a, v]) =>
        `\`${a}\` (${
          Array.isArray(v)
            ? v.join(", ")
            : isSearch(v)
            ? `a random search of ${v.search.samples} settings`
            : Object.keys(v).join(", ")
        })`
      ).join(", ") || "none"
    }; seeds ${d.grid.seeds.join(", ")}.`,
    "",
  );
  lines.push(
    `Config keys of experiment \`${experiment.id}\` (set them under \`config:\` or with \`--set key=value\`):`,
    "",
  );
  lines.push("| key | type | default | meaning |", "| --- | --- | --- | --- |");
  for (const [key, schema] of Object.entries(shape)) {
    lines.push(
      `| \`${key}\` | ${describeType(schema)} | \`${JSON.stringify(defaults[key])}\` | ${schema.description ?? ""} |`,
    );
  }
  lines.push("");
  for (const t of experiment.tables(defaults)) {
    lines.push(
      `Columns of \`${t.name}.csv\`${t.deterministic === false ? " (not deterministic: left out of the hashes)" : ""}${
        t.summarize === false ? " (per run, not summarized over seeds)" : ""
      }: ${t.doc}`,
      "",
    );
    lines.push("| column | type | meaning |", "| --- | --- | --- |");
    for (const c of t.columns) lines.push(`| \`${c.name}\` | ${c.type} | ${c.doc}${c.unit ? ` (${c.unit})` : ""} |`);
    lines.push("");
  }
  if (d.claims.length) {
    lines.push("Claims checked (statistical tests over seeds, at level " + d.evaluation.level + "):", "");
    for (const c of d.claims) {
      const source = c.source === "paper"
        ? `paper, ${c.section}${c.says ? `: ${c.verbatim ? "" : "(paraphrase) "}"${c.says.trim()}"` : ""}`
        : `project: ${c.why?.trim()}`;
      lines.push(
        `- \`${c.id}\` (${c.kind}; ${source}): ${c.text.trim()}${c.argument ? ` Threshold: ${c.argument.trim()}` : ""}`,
      );
    }
    lines.push("");
  }
  if (d.plots.length) lines.push(`Figures: ${d.plots.map((p) => `\`${p.id}\` (${p.title})`).join(", ")}.`, "");
  lines.push(...await measuredDocs(name, referenceProfiles(d), d.plots));
  return lines.join("\n");
}

/** Markers around the generated part of README.md. */
export const README_MARKERS = [
  "<!-- generated by deno task docs: begin -->",
  "<!-- generated by deno task docs: end -->",
] as const;

/** The generated README section for every pipeline. */
export async function generatedReadmeSection(names: string[]): Promise<string> {
  const parts = [
    "Verdicts of the committed references (claims checked over seeds; details under each pipeline):\n\n" +
    await verdictTable(names) + "\n",
  ];
  for (const n of names) parts.push(await pipelineDocs(n));
  return `${README_MARKERS[0]}\n\n${parts.join("\n")}\n${README_MARKERS[1]}`;
}
