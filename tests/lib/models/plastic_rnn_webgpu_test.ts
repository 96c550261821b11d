/**
 * The plastic RNNs' gradient on the webgpu backend (Mesa's software adapter on
 * CPU-only machines), through tf.grads of the tfjs forward pass (`impl: tfjs`,
 * the path a GPU runs), against the WebAssembly SIMD kernels (`impl: kernels`).
 * In a subprocess (tests/helpers/webgpu.ts says why).
 */
import { assert } from "../../helpers/assert.ts";
import { runJsonScript, webgpuProbe } from "../../helpers/webgpu.ts";

Deno.test({
  name: "the plastic RNNs' tf.grads gradient on webgpu agrees with the SIMD kernels (every variant)",
  ignore: !(await webgpuProbe()).adapter,
  fn: async () => {
    const gaps = await runJsonScript<Record<string, number>>("plastic_backends");
    assert(Object.keys(gaps).length === 5, JSON.stringify(gaps));
    for (const [variant, g] of Object.entries(gaps)) {
      assert(Number.isFinite(g) && g < 1e-4, `${variant}: relative gap ${g}`);
    }
  },
});
