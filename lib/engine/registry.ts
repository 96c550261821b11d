/**
 * Finding experiments by id, and the digest of their source code.
 *
 * A registry module exports `experiments`: a record from experiment id to
 * `{ module, exportName }`, where `module` is the module's URL. The default
 * registry is `lib/experiments/mod.ts`; `--registry <file>` names another one
 * (a plugin's own experiments), whose entries are added to the default ones.
 *
 * @example
 * ```ts
 * import { defaultRegistryUrl, loadRegistry } from "./registry.ts";
 * const registry = await loadRegistry([defaultRegistryUrl()]);
 * Object.keys(registry.entries); // ["hnca-bandit", ...]
 * ```
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL as toFileUrl } from "node:url";
import type { Experiment } from "./experiment.ts";
import { sha256Hex } from "./hash.ts";

/** Where an experiment lives. */
export interface RegistryEntry {
  /** Module URL (file: URL). */
  module: string;
  /** Name of the export holding the Experiment object. */
  exportName: string;
}

/** Loaded registry: entries plus the module URLs it came from. */
export interface Registry {
  entries: Record<string, RegistryEntry>;
  sources: string[];
}

/** URL of the repository root (the folder holding deno.json). */
export function repoRootUrl(): URL {
  return new URL("../../", import.meta.url);
}

/** Path of the repository root. */
export function repoRoot(): string {
  return fromFileUrl(repoRootUrl()).replace(/\/$/, "");
}

/** URL of the built-in registry module. */
export function defaultRegistryUrl(): string {
  return new URL("../experiments/mod.ts", import.meta.url).href;
}

/** Turns a path or URL given on the command line into a module URL. */
export function toModuleUrl(pathOrUrl: string): string {
  if (/^[a-z]+:\/\//.test(pathOrUrl) || pathOrUrl.startsWith("file:")) return pathOrUrl;
  return toFileUrl(pathOrUrl.startsWith("/") ? pathOrUrl : `${Deno.cwd()}/${pathOrUrl}`).href;
}

/** Loads registry modules in order; later ones add to and override earlier ones. */
export async function loadRegistry(moduleUrls: string[]): Promise<Registry> {
  const entries: Record<string, RegistryEntry> = {};
  for (const url of moduleUrls) {
    const mod = await import(url);
    if (typeof mod.experiments !== "object" || mod.experiments === null) {
      throw new Error(`Registry module ${url} must export 'experiments' (id -> { module, exportName })`);
    }
    Object.assign(entries, mod.experiments);
  }
  return { entries, sources: moduleUrls };
}

/** Imports and returns the experiment with this id. */
export async function loadExperiment(registry: Registry, id: string): Promise<Experiment> {
  const entry = registry.entries[id];
  if (!entry) {
    throw new Error(`Unknown experiment '${id}'; registered: ${Object.keys(registry.entries).sort().join(", ")}`);
  }
  const mod = await import(entry.module);
  const exp = mod[entry.exportName] as Experiment | undefined;
  if (!exp || typeof exp.run !== "function") {
    throw new Error(`Module ${entry.module} has no experiment export '${entry.exportName}'`);
  }
  if (exp.id !== id) throw new Error(`Experiment registered as '${id}' calls itself '${exp.id}'`);
  return exp;
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
