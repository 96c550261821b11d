import { assert, assertEquals } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { chooseBackend, isSoftwareAdapter } from "../../../../lib/engine/run/backend.ts";
import { fixtureArgs, runTask } from "../../../helpers/cli.ts";
import { webgpuProbe } from "../../../helpers/webgpu.ts";

Deno.test("isSoftwareAdapter() recognises fallback flags and CPU rasterizers", () => {
  const a = (info: Record<string, unknown>, flag?: boolean) => ({
    info,
    isFallbackAdapter: flag,
    features: [],
    requestDevice: () => Promise.resolve(null),
  });
  assert(isSoftwareAdapter(a({ description: "llvmpipe (LLVM 15.0.6, 256 bits)" })));
  assert(isSoftwareAdapter(a({ isFallbackAdapter: true })));
  assert(isSoftwareAdapter(a({}, true)));
  assert(!isSoftwareAdapter(a({ vendor: "nvidia", description: "NVIDIA H100" })));
});

Deno.test("chooseBackend('auto') picks webgpu only on a real GPU adapter", async () => {
  // Asked in a subprocess: a test thread must not hold a WebGPU adapter (tests/helpers/webgpu.ts).
  const probe = await webgpuProbe();
  assertEquals(probe.auto, probe.adapter && !probe.software ? "webgpu" : "wasm");
  assertEquals(await chooseBackend("wasm"), "wasm");
  assertEquals(await chooseBackend("cpu"), "cpu");
});

Deno.test({
  name: "the webgpu backend (llvmpipe here) runs the fixture and agrees with wasm within 1e-5",
  ignore: !(await webgpuProbe()).adapter,
  fn: async () => {
    const wasm = await Deno.makeTempDir(), webgpu = await Deno.makeTempDir();
    const only = ["--only", "label=a", "--only", "seed=0"];
    const a = await runTask("reproduce", fixtureArgs(wasm, ...only));
    assertEquals(a.code, 0, a.stderr);
    const args = fixtureArgs(webgpu, ...only).map((x) => (x === "wasm" ? "webgpu" : x));
    const b = await runTask("reproduce", args);
    assertEquals(b.code, 0, b.stderr);
    assert(b.stdout.includes("backend webgpu"), b.stdout);
    // Different backends give different run keys: pair by cell and seed.
    const cmp = await runTask("compare", [wasm, webgpu, "--ignore", "backend", "--tolerance", "1e-5"]);
    assertEquals(cmp.code, 0, cmp.stdout);
    assert(cmp.stdout.includes('Keys differ for label=a seed 0: backend: "wasm" vs "webgpu"'), cmp.stdout);
    const [key] = [...Deno.readDirSync(join(webgpu, "runs"))].filter((e) => e.name.length === 64).map((
      e,
    ) => e.name);
    const record = JSON.parse(await Deno.readTextFile(join(webgpu, "runs", key, "run.json")));
    assertEquals(record.backend.name, "webgpu");
    assertEquals(record.backend.details.matmul_program_type, 3);
    assert(typeof record.backend.adapter.description === "string", JSON.stringify(record.backend));
  },
});
