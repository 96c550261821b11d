import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./lib/engine/backend.ts";
import { valueRnnTd } from "./lib/experiments/value_rnn_td.ts";
import { runInProcess } from "./tests/helpers/run_in_process.ts";
await initBackend("wasm");
for (const seed of [1, 2, 3, 4, 5]) {
  const before = tf.memory().numTensors;
  const r = await runInProcess(valueRnnTd, { max_epochs: 30 }, {}, { seed });
  console.log(seed, r.rows.metrics[0].loss, r.rows.metrics[30].loss, "leak", tf.memory().numTensors - before);
}
