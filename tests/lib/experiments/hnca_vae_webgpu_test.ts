/**
 * The VAE on the webgpu backend (Mesa's software adapter on CPU-only
 * machines): its HNCA counterfactual terms take the tfjs path and must give
 * the gradient variances the wasm backend's kernel gives. Both run in a
 * subprocess (tests/helpers/webgpu.ts says why).
 */
import { assert } from "../../helpers/assert.ts";
import { runJsonScript, webgpuProbe } from "../../helpers/webgpu.ts";

type Row = Record<string, number | string>;

Deno.test({
  name: "hncaVae on webgpu (tfjs counterfactual path) measures the same ELBO and variances as on wasm",
  ignore: !(await webgpuProbe()).adapter,
  fn: async () => {
    const config = {
      epochs: 1,
      train_examples: 50,
      test_examples: 20,
      latent_width: 6,
      iw_samples: 0,
      digits: 0,
      baseline: true,
    };
    const { wasm: a, webgpu: b } = await runJsonScript<{ wasm: Row; webgpu: Row }>("hnca_vae_backends", [
      JSON.stringify(config),
    ]);
    for (const k of ["train_elbo", "grad_var_mean", "grad_var_w_q1", "grad_var_w_q2", "grad_var_w_q3"]) {
      const x = a[k] as number, y = b[k] as number;
      assert(Number.isFinite(x) && Number.isFinite(y), `${k}: wasm ${x}, webgpu ${y}`);
      assert(Math.abs(x - y) <= 1e-3 * Math.abs(x), `${k}: wasm ${x}, webgpu ${y}`);
    }
  },
});
