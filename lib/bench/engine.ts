/**
 * Engine overhead benchmarks: planning a 1,000-run grid, and a reproduce whose
 * runs are all cached (the whole command, process start included).
 * @module
 */
import { join } from "node:path";
import type { Benchmark } from "./mod.ts";
import { parsePipeline } from "../engine/pipeline/load.ts";
import { planRuns } from "../engine/pipeline/plan.ts";
import { defaultRegistryUrl, loadRegistry } from "../engine/pipeline/registry.ts";
import { repoRoot } from "../util/repo.ts";
import { runtimeVersions } from "../engine/run/backend.ts";

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = {
  "engine/plan-1000-runs": {
    id: "engine/plan-1000-runs",
    description: "Load hnca-bandit.yaml with 250 seeds x 4 cells and plan it (keys included)",
    backends: ["any"],
    async run() {
      const text = (await Deno.readTextFile(join(repoRoot(), "pipelines/hnca-bandit.yaml")))
        .replace("seeds: [0, 1, 2, 3, 4]", `seeds: [${Array.from({ length: 250 }, (_, i) => i).join(", ")}]`);
      const registry = await loadRegistry([defaultRegistryUrl()]);
      const t0 = performance.now();
      const plan = await planRuns(parsePipeline(text, "hnca-bandit.yaml"), {
        profile: "paper",
        registry,
        environment: { backend: "wasm", versions: runtimeVersions() },
      });
      const s = (performance.now() - t0) / 1000;
      if (plan.runs.length !== 1000) throw new Error(`planned ${plan.runs.length} runs, expected 1000`);
      return { value: s, unit: "s", better: "lower", target: 1, details: { runs: plan.runs.length } };
    },
  },
  "engine/reproduce-all-cached": {
    id: "engine/reproduce-all-cached",
    description: "deno task reproduce hnca-bandit --profile smoke when every run is cached (wall time of the command)",
    backends: ["any"],
    async run() {
      const results = await Deno.makeTempDir();
      const args = [
        "run",
        "-A",
        "--quiet",
        join(repoRoot(), "tasks/reproduce.ts"),
        "hnca-bandit",
        "--profile",
        "smoke",
        "--results",
        results,
        "--backend",
        "wasm",
        "--progress",
        "lines",
      ];
      const first = await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" }).output();
      if (!first.success) throw new Error(`reproduce failed: ${new TextDecoder().decode(first.stderr)}`);
      const t0 = performance.now();
      const again = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).output();
      const s = (performance.now() - t0) / 1000;
      if (!new TextDecoder().decode(again.stdout).includes("4 runs cached")) {
        throw new Error("the second reproduce was not fully cached");
      }
      await Deno.remove(results, { recursive: true });
      return { value: s, unit: "s", better: "lower", target: 2, details: { runs: 4, figures: "rendered" } };
    },
  },
};
