import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertNotEquals } from "../../helpers/assert.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import { angc, AngcExperimentConfig } from "../../../lib/experiments/angc.ts";

await initBackend("wasm");

const tiny = { episodes: 4, hidden: [8, 8], batch: 16, checkpoint_every: 2 };

Deno.test("angc's defaults are the official train_agent.py's", () => {
  const c = AngcExperimentConfig.parse({});
  assertEquals(
    [c.episodes, c.hidden, c.eta, c.gamma, c.batch, c.replay_capacity, c.epsilon_start, c.epsilon_end, c.epsilon_decay],
    [700, [256, 256], 0.002, 0.99, 512, 1000000, 1, 0.01, 0.99991],
  );
  assertEquals([c.target_every, c.update_clip, c.reward, c.truncation_is_done], [50, 100, "instrumental", true]);
});

for (const agent of ["angc", "dqn"]) {
  for (const environment of ["mountain-car", "cartpole"]) {
    Deno.test(`angc experiment (${agent}, ${environment}) is deterministic, resumes to the same rows, and frees its tensors`, async () => {
      const before = tf.memory().numTensors;
      const config = { ...tiny, agent, environment };
      const a = await runInProcess(angc, config, {}, { seed: 3 });
      assertEquals(tf.memory().numTensors, before, "tensors leaked");
      assertEquals(a.rows.metrics.map((r) => r.episode), [1, 2, 3, 4]);
      const again = await runInProcess(angc, config, {}, { seed: 3 });
      assertEquals(again.rows, a.rows);
      const resumed = await runInProcess(angc, config, {}, { seed: 3, resume: a.checkpoints[0] });
      assertEquals(resumed.rows.metrics, a.rows.metrics.slice(2));
      assertEquals(resumed.rows.run, a.rows.run);
      assertNotEquals((await runInProcess(angc, config, {}, { seed: 4 })).rows.metrics, a.rows.metrics);
      for (const r of a.rows.metrics) {
        if (environment === "mountain-car") assertEquals(r.return, -(r.steps as number), "reward -1 per step");
        else assertEquals(r.return, r.steps, "reward 1 per step");
        assertEquals(r.epistemic === null, agent !== "angc");
      }
    });
  }
}

Deno.test("angc experiment: a random policy on Mountain Car never reaches the goal in 200 steps, and the run table says so", async () => {
  const r = await runInProcess(angc, { episodes: 3, agent: "random", environment: "mountain-car" }, {}, { seed: 0 });
  assertEquals(r.rows.metrics.map((m) => m.return), [-200, -200, -200]);
  assert(r.rows.metrics.every((m) => (m.extreme as number) < 0.5));
  assertEquals(r.rows.run, [{ best_mean100: null, final_mean100: -200, first_solved: null }]);
});
