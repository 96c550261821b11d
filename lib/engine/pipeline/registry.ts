/**
 * Finding experiments and datasets by name, and the digest of an
 * experiment's source code.
 *
 * A registry module exports `experiments` (a list of Experiment objects, each
 * naming its own module URL) and may export `datasets` (name -> provider).
 * The default registry is `lib/experiments/mod.ts`; `--registry <file>` names
 * another one (a plugin's experiments and datasets), whose entries are added
 * to the default ones.
 *
 * @example
 * ```ts
 * import { defaultRegistryUrl, loadRegistry } from "./registry.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * Object.keys(registry.experiments); // ["hnca-bandit", ...]
 * assertEquals(Object.keys(registry.datasets), ["mnist"]);
 * ```
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL as toFileUrl } from "node:url";
import type { DatasetProvider } from "../../data/types.ts";
import type { Experiment } from "../experiment.ts";
import { sha256Hex } from "../../util/hash.ts";
import { repoRoot, repoRootUrl } from "../../util/repo.ts";

/** Loaded registry: experiments and datasets by name, plus the module URLs they came from. */
export interface Registry {
  experiments: Record<string, Experiment>;
  datasets: Record<string, DatasetProvider>;
  sources: string[];
}

/** URL of the built-in registry module (lib/experiments/mod.ts). */
export function defaultRegistryUrl(): string {
  return new URL("lib/experiments/mod.ts", repoRootUrl()).href;
}

/** Turns a path or URL given on the command line into a module URL. */
export function toModuleUrl(pathOrUrl: string): string {
  if (/^[a-z]+:\/\//.test(pathOrUrl) || pathOrUrl.startsWith("file:")) return pathOrUrl;
  return toFileUrl(pathOrUrl.startsWith("/") ? pathOrUrl : `${Deno.cwd()}/${pathOrUrl}`).href;
}

function isExperiment(x: unknown): x is Experiment {
  const e = x as Experiment;
  return typeof e === "object" && e !== null && typeof e.id === "string" && typeof e.run === "function";
}

/** Loads registry modules in order; later ones add to and override earlier ones. */
export async function loadRegistry(moduleUrls: string[]): Promise<Registry> {
  const experiments: Record<string, Experiment> = {};
  const datasets: Record<string, DatasetProvider> = {};
  for (const url of moduleUrls) {
    const mod = await import(url);
    const list = Array.isArray(mod.experiments) ? mod.experiments : null;
    if (!list) throw new Error(`Registry module ${url} must export 'experiments', a list of Experiment objects`);
    for (const e of list) {
      if (!isExperiment(e)) throw new Error(`Registry module ${url} lists something that is not an Experiment`);
      if (typeof e.module !== "string" || !e.module.startsWith("file:")) {
        throw new Error(`Experiment '${e.id}' must name its module ('module: import.meta.url')`);
      }
      experiments[e.id] = e;
    }
    if (mod.datasets !== undefined) {
      if (typeof mod.datasets !== "object" || mod.datasets === null) {
        throw new Error(`Registry module ${url}: 'datasets' must map names to dataset providers`);
      }
      Object.assign(datasets, mod.datasets);
    }
  }
  return { experiments, datasets, sources: moduleUrls };
}

/** The experiment with this id; throws naming the registered ones. */
export function getExperiment(registry: Registry, id: string): Experiment {
  const exp = registry.experiments[id];
  if (!exp) {
    throw new Error(
      `Unknown experiment '${id}'; registered: ${Object.keys(registry.experiments).sort().join(", ")}`,
    );
  }
  return exp;
}

/** The dataset provider with this name; throws naming the registered ones. */
export function getDataset(registry: Registry, name: string): DatasetProvider {
  const d = registry.datasets[name];
  if (!d) {
    throw new Error(`Unknown dataset '${name}'; registered: ${Object.keys(registry.datasets).sort().join(", ")}`);
  }
  return d;
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/**
 * The relative (local) imports of one module's source text, leaving out
 * type-only imports and re-exports (`import type`, `export type`), which
 * cannot change what the code does.
 */
export function localImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (/^[\s;]*(?:import|export)\s+type\s/.test(m[0])) continue;
    if (spec && (spec.startsWith("./") || spec.startsWith("../"))) out.push(spec);
  }
  return out;
}

const ASSET_RE = /new\s+URL\(\s*["'](\.\.?\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g;

/** Files a module reads relative to itself (`new URL("./k.wasm", import.meta.url)`). */
export function localAssets(source: string): string[] {
  return [...source.matchAll(ASSET_RE)].map((m) => m[1]);
}

/**
 * SHA-256 over the source of a module and every local module it imports at
 * run time, transitively, and of the files they read by URL (kernels) (line endings normalised to LF; files in sorted order, each as
 * `path NUL content NUL` with paths relative to the repository root). npm
 * dependencies are pinned by deno.lock and their versions are in the run key.
 */
export async function sourceDigest(moduleUrl: string): Promise<{ digest: string; files: string[] }> {
  const seen = new Map<string, string>();
  const queue = [new URL(moduleUrl)];
  while (queue.length > 0) {
    const url = queue.pop()!;
    if (url.protocol !== "file:" || seen.has(url.href)) continue;
    if (!/\.[cm]?[jt]sx?$/.test(url.pathname)) {
      // A file the code reads (a kernel's .wasm): its bytes, as hex.
      seen.set(url.href, `sha256:${await sha256Hex(await Deno.readFile(url))}`);
      continue;
    }
    const text = (await Deno.readTextFile(url)).replaceAll("\r\n", "\n");
    seen.set(url.href, text);
    for (const spec of [...localImports(text), ...localAssets(text)]) queue.push(new URL(spec, url));
  }
  const root = repoRoot();
  const files = [...seen.keys()].map((href) => ({ href, rel: relative(root, fromFileUrl(href)) }))
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  let material = "";
  for (const f of files) material += `${f.rel}\0${seen.get(f.href)}\0`;
  return { digest: await sha256Hex(material), files: files.map((f) => f.rel) };
}
