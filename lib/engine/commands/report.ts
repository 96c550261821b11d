/**
 * `deno task report`: gathers what a results folder holds for each pipeline
 * and profile (verdicts decided again from the runs' verified files, final
 * values, figures, runs, environment) into one static page,
 * `results/report/index.html`, with its figures copied beside it.
 *
 * @example
 * ```ts
 * import { writeReport } from "./report.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const out = await Deno.makeTempDir();
 * const { sections } = await writeReport({ resultsDir: "results/reference", outDir: out, pipelines: ["hnca-bandit"] });
 * assertEquals(sections, 2); // hnca-bandit's committed smoke and quick references
 * ```
 * @module
 */
import { join, relative } from "node:path";
import { copyFileAtomic, exists, writeFileAtomic } from "../../util/atomic.ts";
import { UserError } from "../../util/errors.ts";
import { checkClaims } from "../report/claims.ts";
import { reportHtml, type ReportSection } from "../report/html.ts";
import { profileDir, runDir, runState } from "../results/layout.ts";
import { finalValues, loadRunTables, readSummaryCsv, summarize } from "../results/summary.ts";
import { parseCsv } from "../results/tables.ts";
import { loadPipeline } from "../pipeline/load.ts";
import { loadAndPlan, reportedMetrics } from "./load_plan.ts";
import { pipelineNames, pipelinePath } from "../pipeline/load.ts";

/** Options of writeReport. */
export interface ReportOptions {
  resultsDir: string;
  /** Where index.html and its figures go (default <resultsDir>/report). */
  outDir?: string;
  /** Pipelines to report (default: every pipeline with results). */
  pipelines?: string[];
  /** Only this profile (default: every profile with a summary). */
  profile?: string;
  registry?: string[];
}

/** The profiles of a pipeline that have a summary in the results folder. */
async function profilesWithResults(resultsDir: string, pipeline: string): Promise<string[]> {
  const dir = join(resultsDir, pipeline);
  if (!(await exists(dir))) return [];
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isDirectory && await exists(join(dir, e.name, "summary.csv"))) out.push(e.name);
  }
  return out.sort();
}

/** The backend a profile's runs used (from its hashes.csv), for planning their keys. */
async function profileBackend(dir: string): Promise<"wasm" | "webgpu" | "cpu"> {
  try {
    const { header, rows } = parseCsv(await Deno.readTextFile(join(dir, "hashes.csv")), "hashes.csv");
    const b = rows[0]?.[header.indexOf("backend")];
    if (b === "webgpu" || b === "cpu") return b;
  } catch {
    // an older hashes.csv: wasm
  }
  return "wasm";
}

/** Builds one section from a profile's results. */
async function section(
  pipelineArg: string,
  name: string,
  profile: string,
  opts: ReportOptions,
  outDir: string,
): Promise<ReportSection> {
  const pdir = profileDir(opts.resultsDir, name, profile);
  const { plan } = await loadAndPlan({
    pipeline: pipelineArg,
    profile,
    backend: await profileBackend(pdir),
    resultsDir: opts.resultsDir,
    registry: opts.registry,
  });
  const runs = await loadRunTables(plan, opts.resultsDir);
  const states = await Promise.all(plan.runs.map((r) => runState(runDir(opts.resultsDir, r.key), r.key)));
  const data = plan.pipeline.data;
  const summary = runs.length ? summarize(plan, runs, data.evaluation.confidence, data.evaluation.metrics) : [];
  const fromDisk = await readSummaryCsv(plan, pdir).catch(() => summary);
  const claims = checkClaims(plan, fromDisk, runs, states.every((s) => s === "complete"));
  const figures: ReportSection["figures"] = [];
  for (const p of data.plots) {
    const png = join(pdir, "figures", `${p.id}.png`);
    if (!(await exists(png))) continue;
    const target = join(outDir, name, profile, `${p.id}.png`);
    await copyFileAtomic(png, target);
    figures.push({ id: p.id, title: p.title, src: relative(outDir, target) });
  }
  const first = runs[0]?.record;
  const versions = first?.versions ?? {};
  const machine = (first?.machine ?? {}) as Record<string, unknown>;
  return {
    pipeline: name,
    title: data.title,
    profile,
    profileDescription: data.profiles[profile].description.trim(),
    citation: data.paper.citation.trim(),
    paperUrl: data.paper.url,
    codeUrl: data.paper.code,
    claims,
    finals: finalValues(plan, fromDisk, reportedMetrics(plan)),
    figures,
    runs: runs.map((r) => ({
      key: r.run.key,
      cell: r.cell,
      seed: r.seed,
      resultHash: r.record.result_hash,
      backend: r.record.backend?.name ?? r.run.parts.backend,
      wallTimeS: r.record.wall_time_s ?? null,
      peakRssBytes: r.record.peak_rss_bytes ?? null,
    })),
    missing: states.filter((s) => s !== "complete").length,
    environment: first
      ? {
        Deno: String(versions.deno ?? ""),
        V8: String(versions.v8 ?? ""),
        TypeScript: String(versions.typescript ?? ""),
        "TensorFlow.js": String(versions.tfjs ?? ""),
        backend: `${first.backend?.name ?? ""} ${JSON.stringify(first.backend?.details ?? {})}`,
        CPU: `${machine.cpu ?? ""} (${machine.cores ?? "?"} cores)`,
        OS: String(machine.os ?? ""),
      }
      : {},
  };
}

/** Writes the report page and its figures; returns its path and how many sections it has. */
export async function writeReport(opts: ReportOptions): Promise<{ path: string; sections: number }> {
  const outDir = opts.outDir ?? join(opts.resultsDir, "report");
  const given = opts.pipelines?.length ? opts.pipelines : await pipelineNames();
  const sections: ReportSection[] = [];
  for (const arg of given) {
    // A name under pipelines/ or a path to a pipeline file; its results live under its `name`.
    const name = (await loadPipeline(pipelinePath(arg))).data.name;
    const profiles = opts.profile ? [opts.profile] : await profilesWithResults(opts.resultsDir, name);
    for (const profile of profiles) {
      if (!(await exists(join(profileDir(opts.resultsDir, name, profile), "summary.csv")))) {
        if (opts.profile) {
          throw new UserError(
            `No results for ${name} profile ${profile} in ${opts.resultsDir}: run 'deno task reproduce ${name} --profile ${profile}' first`,
          );
        }
        continue;
      }
      sections.push(await section(arg, name, profile, opts, outDir));
    }
  }
  const path = join(outDir, "index.html");
  await writeFileAtomic(path, reportHtml(sections, new Date().toISOString().slice(0, 19).replace("T", " ")));
  return { path, sections: sections.length };
}
