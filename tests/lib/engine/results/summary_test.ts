import { assert, assertEquals } from "../../../helpers/assert.ts";
import { loadReferenceRunTables, reportTable, summarize, summaryCsv } from "../../../../lib/engine/results/summary.ts";
import { loadAndPlan } from "../../../../lib/engine/commands/load_plan.ts";
import { referenceDir } from "../../../../lib/engine/commands/reference.ts";
import { fakeRuns, fixturePlan } from "../../../helpers/fixtures.ts";

Deno.test("summarize() gives n, mean, std and the t interval per cell, metric and epoch", async () => {
  const plan = await fixturePlan();
  const runs = fakeRuns(plan, (cell, seed, epoch) => (cell === "label=a" ? 1 : 3) + seed * 2 + epoch);
  const rows = summarize(plan, runs, 0.95);
  const a2 = rows.find((r) => r.cell === "label=a" && r.metric === "loss" && r.at === "each" && r.index.epoch === 2)!;
  assertEquals([a2.n, a2.mean, a2.std], [2, 4, Math.sqrt(2)]);
  const half = 12.706204736174698 * Math.sqrt(2) / Math.sqrt(2);
  assert(Math.abs(a2.ci![0] - (4 - half)) < 1e-9 && Math.abs(a2.ci![1] - (4 + half)) < 1e-9, JSON.stringify(a2.ci));
  const finalB = rows.find((r) => r.cell === "label=b" && r.metric === "loss" && r.at === "final")!;
  assertEquals([finalB.mean, finalB.index.epoch], [6, 2]);
  const w = rows.filter((r) => r.table === "weights" && r.cell === "label=a");
  assertEquals(w.map((r) => [r.index.unit, r.mean]), [[0, 0.5], [1, -0.5]]);
});

Deno.test("summarize() takes each run's own last step as final when runs stop at different epochs", async () => {
  const plan = await fixturePlan();
  const rows = summarize(plan, fakeRuns(plan, (_c, _s, epoch) => epoch * 10, (seed) => 2 + seed), 0.95);
  const final = rows.find((r) => r.cell === "label=a" && r.metric === "loss" && r.at === "final")!;
  assertEquals([final.n, final.mean, final.index.epoch], [2, 25, null]);
  const e3 = rows.find((r) => r.cell === "label=a" && r.metric === "loss" && r.at === "each" && r.index.epoch === 3)!;
  assertEquals([e3.n, e3.std, e3.ci], [1, null, null]);
});

Deno.test("summaryCsv() writes one row per summary entry with axis columns", async () => {
  const plan = await fixturePlan();
  const rows = summarize(plan, fakeRuns(plan, () => 0.5), 0.95, ["loss"]);
  const text = summaryCsv(plan.tables[0], plan.axes, rows, 0.95);
  const lines = text.trim().split("\n");
  assertEquals(lines[0], "cell,label,metric,at,epoch,n,mean,std,ci_low,ci_high,ci_level,median,q25,q75,min,max");
  assertEquals(lines[1], "label=a,a,loss,each,1,2,0.5,0,0.5,0.5,0.95,0.5,0.5,0.5,0.5,0.5");
  assertEquals(lines.length, 1 + 2 * 3, "2 cells x (2 epochs + final), weight_norm filtered out");
});

Deno.test("summarize() leaves out tables marked summarize: false", async () => {
  const plan = await fixturePlan();
  const marked = { ...plan, tables: plan.tables.map((t) => (t.name === "weights" ? { ...t, summarize: false } : t)) };
  const rows = summarize(marked, fakeRuns(marked, () => 1), 0.95);
  assert(rows.length > 0 && rows.every((r) => r.table === "metrics"), [...new Set(rows.map((r) => r.table))].join());
});

Deno.test("reportTable() prints each cell's final mean and interval per metric", async () => {
  const plan = await fixturePlan();
  const rows = summarize(plan, fakeRuns(plan, (cell, seed) => (cell === "label=a" ? 1 : 3) + seed), 0.95);
  const text = reportTable(plan, rows, ["loss", "weight_norm"]);
  const lines = text.split("\n");
  assertEquals(lines[0], "Final values (mean [95% CI] over seeds):");
  assert(/^cell +seeds +loss +weight_norm$/.test(lines[1]), lines[1]);
  assert(/^label=a +2 +1\.5 \[-4\.853, 7\.853\] +1 \[1, 1\]$/.test(lines[3]), lines[3]);
  assert(lines[4].startsWith("label=b") && lines[4].includes("3.5 ["), lines[4]);
});

Deno.test("loadReferenceRunTables() reads a committed reference and names a changed file, another config, a missing run", async () => {
  const { plan } = await loadAndPlan({ pipeline: "value-rnn-td", profile: "smoke", backend: "wasm" });
  const dir = await Deno.makeTempDir();
  await new Deno.Command("cp", { args: ["-r", `${referenceDir("value-rnn-td", "smoke")}/.`, dir] }).output();
  const runs = await loadReferenceRunTables(plan, dir);
  assertEquals(runs.map((r) => r.seed), plan.runs.map((r) => r.seed));
  assert(runs.every((r) => r.tables.metrics.rows.length > 0));

  const metrics = `${dir}/runs/default-seed0/metrics.csv`;
  const text = await Deno.readTextFile(metrics);
  await Deno.writeTextFile(metrics, text.replace(/\n(\d)/, "\n$1 "));
  const changed = await loadReferenceRunTables(plan, dir).then(() => null, (e: Error) => e.message);
  assert(changed !== null && changed.includes(metrics) && changed.includes("changed after the run"), String(changed));
  await Deno.writeTextFile(metrics, text);

  const other = (await loadAndPlan({
    pipeline: "value-rnn-td",
    profile: "smoke",
    backend: "wasm",
    set: { gamma: 0.7 },
  })).plan;
  const config = await loadReferenceRunTables(other, dir).then(() => null, (e: Error) => e.message);
  assert(config !== null && config.includes("another config"), String(config));

  await Deno.remove(`${dir}/runs/default-seed1`, { recursive: true });
  const missing = await loadReferenceRunTables(plan, dir).then(() => null, (e: Error) => e.message);
  assert(missing !== null && missing.includes("no completed run of default, seed 1"), String(missing));
  await Deno.remove(dir, { recursive: true });
});
