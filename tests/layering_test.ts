/**
 * Imports only point down. Each folder of lib/ may import the folders listed
 * for it here and nothing above: the engine's rooms (pipeline, results, run,
 * report, commands) over the plot and claim kinds, the experiment contract,
 * datasets and utilities; the
 * science (experiments over agents, estimators, models, envs, ...) beside the engine,
 * meeting it only at the contract in lib/engine/experiment.ts.
 */
import { dirname, join, normalize, relative } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { repoRoot } from "../lib/util/repo.ts";

const BELOW: Record<string, string[]> = {
  util: [],
  rng: [],
  data: ["util", "rng"],
  "engine/experiment": ["util", "rng"],
  "engine/kinds": ["engine/experiment", "util"],
  "engine/pipeline": ["engine/kinds", "engine/experiment", "data", "util", "rng"],
  "engine/results": ["engine/pipeline", "engine/kinds", "engine/experiment", "util"],
  "engine/run": ["engine/results", "engine/pipeline", "engine/experiment", "data", "util", "rng"],
  "engine/report": ["engine/results", "engine/pipeline", "engine/kinds", "engine/experiment", "util"],
  "engine/commands": [
    "engine/report",
    "engine/run",
    "engine/results",
    "engine/pipeline",
    "engine/kinds",
    "engine/experiment",
    "util",
  ],
  envs: ["rng"],
  // Models and optimizers may run their arithmetic on the wasm kernels (kernels import nothing).
  models: ["kernels", "rng"],
  optim: ["kernels", "util"],
  kernels: [],
  estimators: ["kernels", "models", "rng"],
  agents: ["models", "optim", "rng", "util"],
  baselines: ["envs", "rng"],
  experiments: [
    "engine/experiment",
    "agents",
    "baselines",
    "estimators",
    "models",
    "envs",
    "optim",
    "kernels",
    "data",
    "rng",
    "util",
  ],
  bench: [
    "experiments",
    "agents",
    "envs",
    "engine/run",
    "engine/pipeline",
    "engine/experiment",
    "kernels",
    "data",
    "rng",
    "util",
  ],
};

/** The room of a file under lib/: `engine/<room>` inside the engine, else the top folder. */
function room(file: string): string {
  const parts = relative(join(repoRoot(), "lib"), file).split("/");
  if (parts[0] === "engine") return `engine/${parts[1].replace(/\.ts$/, "")}`;
  return parts[0];
}

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory && e.name !== "assembly") yield* tsFiles(p);
    else if (e.isFile && e.name.endsWith(".ts")) yield p;
  }
}

const SPEC = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

Deno.test("imports in lib/ only point down (each room imports only the rooms below it)", async () => {
  const violations: string[] = [];
  const seen = new Set<string>();
  for await (const file of tsFiles(join(repoRoot(), "lib"))) {
    const from = room(file);
    seen.add(from);
    assert(
      from in BELOW,
      `lib/${relative(join(repoRoot(), "lib"), file)}: room '${from}' is not in the layering table`,
    );
    const text = (await Deno.readTextFile(file)).replace(/^\s*\*.*$/gm, ""); // doc examples are not imports
    for (const m of text.matchAll(SPEC)) {
      const to = room(normalize(join(dirname(file), m[1])));
      if (to !== from && !BELOW[from].includes(to)) {
        violations.push(`${relative(repoRoot(), file)} imports ${m[1]} (${from} -> ${to})`);
      }
    }
  }
  assertEquals(violations, []);
  assert(seen.has("engine/commands") && seen.has("util"), "the scan found the engine's rooms");
});

Deno.test("the layering table is acyclic", () => {
  const state = new Map<string, "open" | "done">();
  const visit = (r: string, path: string[]) => {
    if (state.get(r) === "done") return;
    assert(state.get(r) !== "open", `cycle: ${[...path, r].join(" -> ")}`);
    state.set(r, "open");
    for (const d of BELOW[r] ?? []) visit(d, [...path, r]);
    state.set(r, "done");
  };
  for (const r of Object.keys(BELOW)) visit(r, []);
});
