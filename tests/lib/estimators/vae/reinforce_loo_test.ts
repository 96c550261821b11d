import { assert } from "../../../helpers/assert.ts";
import { checkVaeEstimator, describe, tinyVae } from "../../../helpers/vae_moments.ts";
import { initBackend } from "../../../../lib/engine/run/backend.ts";
import { vaeReinforce, vaeReinforceLoo } from "../../../../lib/estimators/vae/mod.ts";

await initBackend("wasm");

const X = [1, 0, 1, 1];

Deno.test("vaeReinforceLoo() matches the exact gradient", async () => {
  const r = await checkVaeEstimator(tinyVae(1), X, vaeReinforceLoo, { seed: 3 });
  console.log(`  ${describe(r)}`);
  assert(r.worst < r.bound, describe(r));
});

Deno.test("vaeReinforceLoo() has lower encoder gradient variance than vaeReinforce() without baseline", async () => {
  const vae = tinyVae(4);
  const l = await checkVaeEstimator(vae, X, vaeReinforceLoo, { seed: 5 });
  const r = await checkVaeEstimator(vae, X, vaeReinforce, { seed: 5 });
  console.log(`  REINFORCE-LOO ${describe(l)}\n  REINFORCE ${describe(r)}`);
  assert(l.variance < r.variance, `REINFORCE-LOO ${l.variance} >= REINFORCE ${r.variance}`);
});
