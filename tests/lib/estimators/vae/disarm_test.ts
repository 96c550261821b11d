import { assert } from "../../../helpers/assert.ts";
import { checkVaeEstimator, describe, tinyVae } from "../../../helpers/vae_moments.ts";
import { initBackend } from "../../../../lib/engine/run/backend.ts";
import { vaeDisarm, vaeReinforce } from "../../../../lib/estimators/vae/mod.ts";

await initBackend("wasm");

const X = [1, 0, 1, 1];

Deno.test("vaeDisarm() matches the exact gradient", async () => {
  const r = await checkVaeEstimator(tinyVae(1), X, vaeDisarm, { seed: 3 });
  console.log(`  ${describe(r)}`);
  assert(r.worst < r.bound, describe(r));
});

Deno.test("vaeDisarm() has lower encoder gradient variance than vaeReinforce() without baseline", async () => {
  const vae = tinyVae(4);
  const d = await checkVaeEstimator(vae, X, vaeDisarm, { seed: 5 });
  const r = await checkVaeEstimator(vae, X, vaeReinforce, { seed: 5 });
  console.log(`  disARM ${describe(d)}\n  REINFORCE ${describe(r)}`);
  assert(d.variance < r.variance, `disARM ${d.variance} >= REINFORCE ${r.variance}`);
});
