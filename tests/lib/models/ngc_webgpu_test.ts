/**
 * ANGC's learning steps on the webgpu backend (Mesa's software adapter on
 * CPU-only machines) against wasm: `--backend webgpu` runs the same tfjs ops
 * (no wasm kernel on these paths but Adam's, which has a tfjs fallback), so a
 * GPU can take the paper grid. Both run in a subprocess (tests/helpers/webgpu.ts
 * says why).
 */
import { assert } from "../../helpers/assert.ts";
import { runJsonScript, webgpuProbe } from "../../helpers/webgpu.ts";

Deno.test({
  name: "the released NGC update, DQN's gradient and the specified rule agree between webgpu and wasm",
  ignore: !(await webgpuProbe()).adapter,
  fn: async () => {
    const gaps = await runJsonScript<Record<string, number>>("angc_backends");
    for (const rule of ["released", "dqn", "equations"]) {
      assert(Number.isFinite(gaps[rule]) && gaps[rule] < 1e-4, `${rule}: relative gap ${gaps[rule]}`);
    }
  },
});
