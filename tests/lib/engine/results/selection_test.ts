import { assert, assertEquals, assertThrows } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { rankSettings, selectionView } from "../../../../lib/engine/results/selection.ts";
import type { Plan } from "../../../../lib/engine/pipeline/plan.ts";
import type { RunTables } from "../../../../lib/engine/kinds/types.ts";
import type { TableSpec } from "../../../../lib/engine/experiment.ts";
import { fixtureArgs, runTask } from "../../../helpers/cli.ts";
import { parseCsv } from "../../../../lib/engine/results/tables.ts";

const tables: TableSpec[] = [
  {
    name: "val",
    doc: "",
    step: "epoch",
    columns: [
      { name: "epoch", type: "int", role: "index", doc: "" },
      { name: "loss", type: "f64", role: "metric", doc: "" },
    ],
  },
];

/** Runs of a label x setting grid; the final validation loss is `loss(label, setting, seed)`. */
function runs(loss: (l: string, s: number, seed: number) => number): RunTables[] {
  const out: RunTables[] = [];
  for (const l of ["a", "b"]) {
    for (let s = 1; s <= 4; s++) {
      for (const seed of [0, 1]) {
        out.push({
          cell: `label=${l} setting=s${s}`,
          labels: { label: l, setting: `s${s}` },
          seed,
          // The first epoch is worse; only the last step counts.
          tables: { val: { header: ["epoch", "loss"], rows: [[1, 100], [2, loss(l, s, seed)]] } },
        });
      }
    }
  }
  return out;
}

const sel = { axis: "setting", top: 2, table: "val", metric: "loss", index: {}, direction: "lower" as const };

Deno.test("rankSettings() ranks settings by the mean final value over seeds, within each cell of the other axes", () => {
  // Label a: s3 best (mean 1), then s1 (2); label b: s4, then s2. Seeds disagree, means decide.
  const means: Record<string, number[]> = { a: [2, 5, 1, 4], b: [6, 3, 7, 0.5] };
  const r = rankSettings(runs((l, s, seed) => means[l][s - 1] + (seed ? 1 : -1)), tables, sel);
  assertEquals(
    r.filter((x) => x.selected).map((x) => `${x.group}/${x.setting}/${x.rank}`),
    ["label=a/s3/1", "label=a/s1/2", "label=b/s4/1", "label=b/s2/2"],
  );
  assertEquals(r.find((x) => x.setting === "s3" && x.group === "label=a")?.value, 1);
  assertEquals(r.find((x) => x.setting === "s3" && x.group === "label=a")?.n, 2);
  const higher = rankSettings(runs((l, s) => means[l][s - 1]), tables, { ...sel, direction: "higher", top: 1 });
  assertEquals(higher.filter((x) => x.selected).map((x) => x.setting), ["s2", "s3"]);
});

Deno.test("rankSettings() refuses a selection that matches several rows of a run", () => {
  const two = runs(() => 1).map((r) => ({
    ...r,
    tables: { val: { header: ["epoch", "loss"], rows: [[2, 1], [2, 2]] } },
  }));
  assertThrows(() => rankSettings(two, tables, sel), Error, "2 rows of val match {} at the last step");
});

Deno.test("selectionView() keeps the top settings' runs as replicates of one cell, numbered in rank order", () => {
  const all = runs((l, s, seed) => (l === "a" ? s : 5 - s) + seed / 10);
  const plan = {
    axes: ["label", "setting"],
    tables,
    selection: sel,
    runs: all.map((r) => ({ cell: r.cell, labels: r.labels, seed: r.seed, config: {}, key: r.cell + r.seed })),
  } as unknown as Plan;
  const v = selectionView(plan, all);
  assertEquals(v.plan.axes, ["label"]);
  assertEquals(v.plan.selection, undefined);
  assertEquals(v.runs.length, 2 * 2 * 2, "2 labels x top 2 settings x 2 seeds");
  const a = v.runs.filter((r) => r.cell === "label=a");
  assertEquals(a.map((r) => r.seed), [0, 1, 2, 3]);
  // Label a's best are s1 then s2: replicates 0, 1 are s1's seeds 0, 1.
  assertEquals(a.map((r) => r.tables.val.rows[1][1]), [1, 1.1, 2, 2.1]);
  assertEquals(v.runs.filter((r) => r.cell === "label=b").map((r) => r.tables.val.rows[1][1]), [1, 1.1, 2, 2.1]);
  assert(v.runs.every((r) => !("setting" in r.labels)));
  assertEquals(v.plan.runs.length, 8);
  assertEquals(new Set(v.plan.runs.map((r) => r.cell)), new Set(["label=a", "label=b"]));
});

Deno.test("reproduce with a search axis writes selection.csv and decides claims on the top settings only", async () => {
  const results = await Deno.makeTempDir();
  const r = await runTask("reproduce", fixtureArgs(results, "--profile", "search", "--no-plots"));
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdout.includes("Selection: the top 2 settings of 'setting' by final metrics.loss (lower)"), r.stdout);
  const dir = join(results, "fixture-regression", "search");
  const selection = parseCsv(await Deno.readTextFile(join(dir, "selection.csv")), "selection.csv");
  assertEquals(selection.header, ["group", "setting", "lr", "offset", "loss", "n", "rank", "selected"]);
  assertEquals(selection.rows.length, 8, "2 labels x 4 settings");
  // The full summary still holds every setting; the ranking agrees with it.
  const summary = parseCsv(await Deno.readTextFile(join(dir, "summary.csv")), "summary.csv");
  const col = (n: string) => summary.header.indexOf(n);
  const final = new Map<string, number>();
  for (const row of summary.rows) {
    if (row[col("metric")] === "loss" && row[col("at")] === "final") {
      final.set(`label=${row[col("label")]}/${row[col("setting")]}`, Number(row[col("mean")]));
    }
  }
  assertEquals(final.size, 8);
  for (const group of ["label=a", "label=b"]) {
    const rows = selection.rows.filter((x) => x[0] === group);
    const best = [...rows].sort((x, y) => Number(x[4]) - Number(y[4])).slice(0, 2).map((x) => x[1]);
    assertEquals(rows.filter((x) => x[7] === "true").map((x) => x[1]).sort(), [...best].sort());
    for (const x of rows) assertEquals(Number(x[4]), final.get(`${group}/${x[1]}`), `${group} ${x[1]}`);
  }
  // Claims see 2 replicates per label (the top settings), not 4 settings.
  const claims = parseCsv(await Deno.readTextFile(join(dir, "claims.csv")), "claims.csv");
  const n = claims.header.indexOf("n");
  assertEquals(claims.rows.map((x) => x[n]), ["2", "2"]);
});
