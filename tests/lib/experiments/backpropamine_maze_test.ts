import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertNotEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import { BackpropamineConfig, backpropamineMaze, networkSpec } from "../../../lib/experiments/backpropamine_maze.ts";

await initBackend("wasm");

const tiny = {
  maze_size: 7,
  episode_length: 15,
  batch: 3,
  hidden: 6,
  iterations: 6,
  burn_in: 2,
  log_every: 2,
  checkpoint_every: 3,
};

Deno.test("backpropamineMaze's defaults are the paper's command, and hidden sizes are parameter matched per variant", () => {
  const c = BackpropamineConfig.parse({});
  assertEquals(
    [c.maze_size, c.episode_length, c.batch, c.reward, c.wall_penalty, c.simpson_coef, c.gamma, c.value_coef],
    [13, 200, 30, 10, 0, 0.03, 0.9, 0.1],
  );
  assertEquals([c.lr, c.adam_eps, c.clip_global_norm, c.burn_in, c.iterations, c.trace_clip], [
    1e-4,
    1e-4,
    4,
    101,
    200000,
    1,
  ]);
  const hidden = ["modplast", "modul", "plastic", "rnn", "modplast-fanout"].map((variant) =>
    networkSpec(BackpropamineConfig.parse({ variant })).hidden
  );
  assertEquals(hidden, [100, 100, 101, 139, 100]);
});

for (const variant of ["modplast", "modul", "plastic", "rnn", "modplast-fanout"]) {
  Deno.test(`backpropamineMaze (${variant}) is deterministic, resumes from a checkpoint to the same rows, and frees its tensors`, async () => {
    const before = tf.memory().numTensors;
    const a = await runInProcess(backpropamineMaze, { ...tiny, variant }, {}, { seed: 4 });
    assertEquals(tf.memory().numTensors, before, "tensors leaked");
    assertEquals(a.rows.metrics.map((r) => r.iteration), [2, 4, 6]);
    const again = await runInProcess(backpropamineMaze, { ...tiny, variant }, {}, { seed: 4 });
    assertEquals(again.rows.metrics, a.rows.metrics);
    const resumed = await runInProcess(backpropamineMaze, { ...tiny, variant }, {}, {
      seed: 4,
      resume: a.checkpoints[0],
    });
    // The checkpoint at iteration 3 falls inside the window of the row at 4: that row's window is restored too.
    assertEquals(resumed.rows.metrics, a.rows.metrics.slice(1));
    const other = await runInProcess(backpropamineMaze, { ...tiny, variant }, {}, { seed: 5 });
    assertNotEquals(other.rows.metrics, a.rows.metrics);
    for (const r of a.rows.metrics) {
      assert(
        Math.abs((r.reward_mean as number) - (r.hits as number) * 10) < 1e-12,
        "no wall penalty: reward = 10 x hits",
      );
    }
  });
}

for (const variant of ["modul", "modplast-fanout"]) {
  Deno.test(`backpropamineMaze (${variant}): the fused, kernel and tfjs paths compute the same loss and gradient norm`, async () => {
    // No optimizer step (burn_in > iterations): both paths see the same parameters and episodes.
    const config = { ...tiny, iterations: 2, burn_in: 5, log_every: 1, variant, trace_clip: 2 };
    const fused = await runInProcess(backpropamineMaze, config, {}, { seed: 2 });
    const viaTf = await runInProcess(backpropamineMaze, { ...config, impl: "tfjs" }, {}, { seed: 2 });
    const viaKernels = await runInProcess(backpropamineMaze, { ...config, impl: "kernels" }, {}, { seed: 2 });
    for (let i = 0; i < 4; i++) {
      const f = fused.rows.metrics[i % 2], t = (i < 2 ? viaTf : viaKernels).rows.metrics[i % 2];
      assertEquals(f.reward, t.reward);
      assert(
        Math.abs((f.loss as number) - (t.loss as number)) < 1e-5 * Math.abs(f.loss as number),
        `loss ${f.loss} vs ${t.loss}`,
      );
      assert(
        Math.abs((f.grad_norm as number) - (t.grad_norm as number)) < 1e-4 * (f.grad_norm as number),
        `grad norm ${f.grad_norm} vs ${t.grad_norm}`,
      );
    }
  });
}

Deno.test("backpropamineMaze refuses iterations that are not a multiple of log_every (a last row over part of a window)", async () => {
  let message = "";
  try {
    await runInProcess(backpropamineMaze, { ...tiny, iterations: 7 }, {}, { seed: 0 });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("iterations (7) must be a multiple of log_every (2)"), message);
});

Deno.test("backpropamineMaze: the optimizer waits for burn_in, and the original's advantage quirk changes the updates", async () => {
  const base = { ...tiny, iterations: 4, log_every: 1, checkpoint_every: 2, variant: "modplast" };
  const held = await runInProcess(backpropamineMaze, { ...base, burn_in: 4 }, {}, { seed: 1 });
  const count = (r: typeof held) => (r.checkpoints[0].state as { opt: { count: number } }).opt.count;
  assertEquals(count(held), 0, "no Adam step during the burn-in");
  const stepping = await runInProcess(backpropamineMaze, { ...base, burn_in: 1 }, {}, { seed: 1 });
  assertEquals(count(stepping), 1, "iterations 0 and 1 done, a step after iteration 1 only");
  const quirk = await runInProcess(
    backpropamineMaze,
    { ...base, burn_in: 1, reference_quirks: ["advantage_value_of_element_0"] },
    {},
    { seed: 1 },
  );
  assertEquals(quirk.rows.metrics[0].reward, stepping.rows.metrics[0].reward, "same first episode");
  assertNotEquals(quirk.rows.metrics[0].loss, stepping.rows.metrics[0].loss, "a different advantage");
});
