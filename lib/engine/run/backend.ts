/**
 * Choosing and starting the TensorFlow.js backend.
 *
 * `auto` picks webgpu when Deno offers a GPU adapter that is not a fallback
 * (software) adapter, and wasm otherwise. The webgpu backend gets two
 * workarounds for Deno (tfjs#8518 / deno#28135: the adapter info is read after
 * the device is requested; tfjs passes `requiredFeatures` as a nested array)
 * and the packed matmul program, which avoids split-K's float atomics whose
 * results vary from run to run.
 *
 * Ask for adapters on a process's main thread only: on Deno 2.9.6 with Mesa's
 * llvmpipe, a process in which another thread (a Worker, or a test module's
 * thread under `deno test --parallel`) has requested one can abort at exit
 * ("double free or corruption"). `reproduce` and its job workers are processes
 * of their own; tests ask in a subprocess (tests/helpers/webgpu.ts).
 *
 * @example
 * ```ts
 * import { chooseBackend, initBackend } from "./backend.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const name = await chooseBackend("wasm"); // "auto": webgpu on a real GPU adapter, else wasm
 * const info = await initBackend(name);
 * assertEquals(info.name, "wasm");
 * ```
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BackendInfo, BackendName } from "../experiment.ts";

/** What `--backend` accepts. */
export type BackendChoice = "auto" | "wasm" | "webgpu" | "cpu";
/** A concrete backend. */
export type { BackendName } from "../experiment.ts";

/** tfjs version pinned in deno.json's import map (read without loading tfjs). */
export const TFJS_VERSION = "4.22.0";

/** Versions that go into run keys. */
export function runtimeVersions(): { tfjs: string; deno: string; v8: string } {
  return { tfjs: TFJS_VERSION, deno: Deno.version.deno, v8: Deno.version.v8 };
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: Record<string, unknown>;
  features: Iterable<string>;
  requestDevice(d?: Record<string, unknown>): Promise<unknown>;
}

/** The GPU adapter Deno offers, or null (no WebGPU, or no adapter). */
export async function gpuAdapter(): Promise<GpuAdapterLike | null> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(o?: unknown): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return null;
  try {
    return await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
}

/**
 * True for a software adapter: flagged as fallback (on the adapter, or on its
 * info as newer WebGPU has it), or a known CPU rasterizer by name.
 */
export function isSoftwareAdapter(a: GpuAdapterLike): boolean {
  const info = a.info ?? {};
  return a.isFallbackAdapter === true || info.isFallbackAdapter === true ||
    /llvmpipe|lavapipe|softpipe|swiftshader/i.test(String(info.description ?? ""));
}

function adapterInfo(a: GpuAdapterLike): Record<string, unknown> {
  const info = a.info ?? {};
  return {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    fallback: isSoftwareAdapter(a),
  };
}

/** Resolves `auto` to a concrete backend; checks that webgpu has an adapter when asked for. */
export async function chooseBackend(choice: BackendChoice): Promise<BackendName> {
  if (choice === "wasm" || choice === "cpu") return choice;
  const adapter = await gpuAdapter();
  if (choice === "webgpu") {
    if (!adapter) throw new Error("Backend webgpu was asked for, but Deno offers no WebGPU adapter on this machine");
    return "webgpu";
  }
  return adapter && !isSoftwareAdapter(adapter) ? "webgpu" : "wasm";
}

/** Folder holding tfjs-backend-wasm's .wasm binaries. */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
}

let patched = false;
/** Wraps navigator.gpu.requestAdapter for tfjs on Deno (see the module doc). */
function patchWebGpuForTfjs(): void {
  if (patched) return;
  patched = true;
  const gpu =
    (navigator as unknown as { gpu: { requestAdapter: (o?: unknown) => Promise<GpuAdapterLike | null> } }).gpu;
  const original = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (options?: unknown) => {
    const adapter = await original(options);
    if (!adapter) return adapter;
    const info = adapter.info;
    const requestDevice = adapter.requestDevice.bind(adapter);
    return new Proxy(adapter, {
      get(target, key) {
        if (key === "requestAdapterInfo") return () => Promise.resolve(info);
        if (key === "requestDevice") {
          return (d?: Record<string, unknown>) =>
            requestDevice(d ? { ...d, requiredFeatures: [...((d.requiredFeatures as unknown[]) ?? [])].flat() } : d);
        }
        const v = Reflect.get(target, key);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  };
}

/** Loads tfjs, registers and activates the backend; returns what is recorded about it. */
export async function initBackend(name: BackendName): Promise<BackendInfo> {
  const tf = await import("@tensorflow/tfjs");
  if (tf.version.tfjs !== TFJS_VERSION) {
    throw new Error(`tfjs ${tf.version.tfjs} is loaded but ${TFJS_VERSION} is pinned; run 'deno install'`);
  }
  let adapter: Record<string, unknown> | null = null;
  const details: Record<string, unknown> = {};
  if (name === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(wasmDistDir());
  } else if (name === "webgpu") {
    const a = await gpuAdapter();
    if (!a) throw new Error("Backend webgpu was asked for, but Deno offers no WebGPU adapter on this machine");
    adapter = adapterInfo(a);
    patchWebGpuForTfjs();
    await import("@tensorflow/tfjs-backend-webgpu");
    tf.env().set("WEBGPU_MATMUL_PROGRAM_TYPE", 3);
    details.matmul_program_type = 3;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs could not start the ${name} backend`);
  await tf.ready();
  if (name === "wasm") {
    details.simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    details.threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  }
  return { name, adapter, details };
}
