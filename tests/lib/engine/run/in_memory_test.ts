import { z } from "zod";
import { assertEquals, assertRejects } from "../../../helpers/assert.ts";
import type { Experiment } from "../../../../lib/engine/experiment.ts";
import { runInProcess } from "../../../../lib/engine/run/in_memory.ts";

/** An experiment that emits what it is told to, and checkpoints a state. */
function probe(emit: Record<string, unknown>, state: unknown = { n: 1 }): Experiment<{ epochs: number }> {
  return {
    id: "probe",
    module: import.meta.url,
    version: "1",
    title: "probe",
    config: z.strictObject({ epochs: z.number().default(1) }),
    datasets: [],
    tables: () => [{
      name: "metrics",
      doc: "",
      step: "epoch",
      columns: [
        { name: "epoch", type: "int", role: "index", doc: "" },
        { name: "loss", type: "f64", role: "metric", doc: "" },
      ],
    }],
    async run(ctx) {
      for (let step = 1; step <= ctx.config.epochs; step++) {
        ctx.emit("metrics", { epoch: step, ...emit } as Record<string, number>);
        await ctx.checkpoint({ step, tensors: { w: { shape: [2], data: new Float32Array([step, 2]) } }, state });
      }
    },
  };
}

Deno.test("runInProcess() checks rows as a run does: unknown columns, missing columns and NaN metrics fail", async () => {
  await assertRejects(
    () => runInProcess(probe({ epoch: 1, loss: 0.5, extra: 1 }), {}, {}),
    Error,
    "has no column 'extra'",
  );
  await assertRejects(() => runInProcess(probe({ epoch: 1 }), {}, {}), Error, "lacks column 'loss'");
  await assertRejects(
    () => runInProcess(probe({ epoch: 1, loss: NaN }), {}, {}),
    Error,
    "Metric 'loss' of table 'metrics' is NaN",
  );
  await assertRejects(() => runInProcess(probe({ epoch: 1.5, loss: 1 }), {}, {}), Error, "Column 'epoch'");
});

Deno.test("runInProcess() hands back checkpoints as a run reads them: through the file's bytes", async () => {
  const { checkpoints } = await runInProcess(probe({ epoch: 1, loss: 0.5 }, { n: 1, at: new Date(0) }), {}, {});
  assertEquals(checkpoints[0].state, { n: 1, at: "1970-01-01T00:00:00.000Z" }, "the state is what JSON keeps");
  assertEquals(Array.from(checkpoints[0].tensors.w.data), [1, 2]);
  const notJson = () => 1; // JSON.stringify gives undefined for a function
  await assertRejects(() => runInProcess(probe({ epoch: 1, loss: 0.5 }, notJson), {}, {}), Error, "must be JSON-able");
});

Deno.test("runInProcess() keeps every checkpoint, or with checkpoints: 'last' only the latest", async () => {
  const all = await runInProcess(probe({ loss: 0.5 }), { epochs: 3 }, {});
  assertEquals(all.checkpoints.map((c) => c.step), [1, 2, 3]);
  const last = await runInProcess(probe({ loss: 0.5 }), { epochs: 3 }, {}, { checkpoints: "last" });
  assertEquals(last.checkpoints.map((c) => c.step), [3]);
  assertEquals(Array.from(last.checkpoints[0].tensors.w.data), [3, 2]);
  assertEquals(last.rows.metrics.length, 3);
});
