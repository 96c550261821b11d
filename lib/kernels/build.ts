/**
 * Builds the project's WebAssembly kernels from their AssemblyScript sources
 * (`deno task build-kernels`), or checks that the committed binaries are what
 * the sources build to (`--check`).
 *
 * @example
 * ```ts
 * import { ASC_FLAGS, KERNELS } from "./build.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(KERNELS, ["counterfactual", "tfjs_ops", "plastic_rnn"]); // built by `deno task build-kernels`, checked by `deno task build-kernels --check`
 * assertEquals(ASC_FLAGS.includes("simd"), true);
 * ```
 * @module
 */
import { join } from "node:path";

/** Kernels: source under lib/kernels/assembly, binary under lib/kernels. */
export const KERNELS = ["counterfactual", "tfjs_ops", "plastic_rnn"];

/** Flags of one kernel besides ASC_FLAGS: tfjs_ops runs in tfjs-backend-wasm's memory, which it imports. */
export const KERNEL_FLAGS: Record<string, string[]> = { tfjs_ops: ["--importMemory"] };

/** asc flags: optimized, wasm SIMD (not relaxed SIMD, whose results vary by machine), no GC runtime. */
export const ASC_FLAGS = ["--optimize", "--enable", "simd", "--runtime", "stub", "--noAssert"];

const here = new URL(".", import.meta.url).pathname;

/** Compiles one kernel into `outFile`. */
export async function buildKernel(name: string, outFile: string): Promise<void> {
  // The toolchain has its own config and lock (lib/kernels/deno.json): it is installed into
  // lib/kernels/node_modules only when kernels are built, never by `deno task reproduce` or `test`.
  const out = await new Deno.Command(Deno.execPath(), {
    cwd: here,
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      join(here, "deno.json"),
      "npm:assemblyscript@0.28.20/asc",
      join(here, "assembly", `${name}.ts`),
      "--outFile",
      outFile,
      ...ASC_FLAGS,
      ...(KERNEL_FLAGS[name] ?? []),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`asc failed for ${name}:\n${new TextDecoder().decode(out.stderr)}`);
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  let stale = 0;
  for (const name of KERNELS) {
    const target = join(here, `${name}.wasm`);
    if (check) {
      const tmp = await Deno.makeTempFile({ suffix: ".wasm" });
      await buildKernel(name, tmp);
      const same = (await Deno.readFile(tmp)).join() === (await Deno.readFile(target)).join();
      console.log(`${name}.wasm: ${same ? "up to date" : "DIFFERS from its source; run deno task build-kernels"}`);
      if (!same) stale++;
    } else {
      await buildKernel(name, target);
      console.log(`built ${target}`);
    }
  }
  Deno.exit(stale ? 1 : 0);
}
