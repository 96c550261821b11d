import { assert, assertEquals, assertRejects } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { compareResults, diffTables, formatReport } from "../../../../lib/engine/results/compare.ts";
import { runTask } from "../../../helpers/cli.ts";

async function fakeRun(root: string, key: string, metrics: string, parts: unknown = { v: 1 }, cell = "x=1", seed = 0) {
  const dir = join(root, "demo", key);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "metrics.csv"), metrics);
  const hash = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(metrics)))).map(
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  await Deno.writeTextFile(
    join(dir, "run.json"),
    JSON.stringify({
      status: "complete",
      key,
      pipeline: "demo",
      cell,
      seed,
      result_hash: hash,
      outputs_hash: hash,
      key_parts: parts,
    }),
  );
}

const M1 = "epoch,loss\n1,0.5\n2,0.25\n";
const M2 = "epoch,loss\n1,0.5\n2,0.2500001\n";

Deno.test("compareResults() reports identical, different (first row, largest differences) and only-in-one runs", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  await fakeRun(a, "k1", M1);
  await fakeRun(b, "k1", M1);
  await fakeRun(a, "k2", M1, { v: 1 }, "x=2");
  await fakeRun(b, "k2", M2, { v: 1 }, "x=2");
  await fakeRun(a, "k3", M1, { v: 1 }, "x=3");
  const r = await compareResults(a, b, { tolerance: 0, match: "key" });
  assertEquals(r.pairs.map((p) => [p.a.key, p.status]), [["k1", "identical"], ["k2", "different"]]);
  assertEquals(r.onlyA.map((e) => e.key), ["k3"]);
  assertEquals(r.ok, false);
  const d = r.pairs[1].tables[0];
  assertEquals(d.first_row, { row: 2, a: "2,0.25", b: "2,0.2500001" });
  assertEquals(d.columns.map((c) => c.column), ["loss"]);
  assert(Math.abs(d.columns[0].max_abs - 1e-7) < 1e-12, String(d.columns[0].max_abs));
  const text = formatReport(r);
  assert(text.includes("1 identical, 0 within tolerance 0, 1 different; 1 only in a, 0 only in b"), text);
  assert(text.includes("first difference at data row 2"), text);
  const tol = await compareResults(a, b, { tolerance: 1e-6, match: "key" });
  assertEquals(tol.pairs[1].status, "within tolerance");
  assertEquals(tol.ok, true);
});

Deno.test("compareResults() pairs runs by cell and seed and names the key parts that differ", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  await fakeRun(a, "ka", M1, { versions: { deno: "2.9.6" } });
  await fakeRun(b, "kb", M1, { versions: { deno: "2.9.7" } });
  assertEquals((await compareResults(a, b, { tolerance: 0, match: "key" })).ok, false);
  const r = await compareResults(a, b, { tolerance: 0, match: "cell" });
  assertEquals(r.ok, true);
  assertEquals(r.pairs[0].key_differences, ['versions.deno: "2.9.6" vs "2.9.7"']);
});

Deno.test("compareResults() reads hashes.csv files and rejects a missing side", async () => {
  const a = await Deno.makeTempDir();
  await fakeRun(a, "k1", M1);
  const csv = join(a, "demo", "smoke", "hashes.csv");
  await Deno.mkdir(join(a, "demo", "smoke"));
  const rec = JSON.parse(await Deno.readTextFile(join(a, "demo", "k1", "run.json")));
  await Deno.writeTextFile(
    csv,
    `pipeline,profile,run_key,cell,seed,result_hash,outputs_hash\ndemo,smoke,k1,x=1,0,${rec.result_hash},${rec.outputs_hash}\n`,
  );
  const r = await compareResults(csv, a, { tolerance: 0, match: "key" });
  assertEquals(r.pairs.length, 1);
  assertEquals(r.ok, true);
  await assertRejects(() => compareResults(join(a, "nope"), a, { tolerance: 0, match: "key" }), /does not exist/);
});

Deno.test("diffTables() notes differing columns and row counts", () => {
  assertEquals(diffTables("m.csv", "a,b\n1,2\n", "a,c\n1,2\n").note, "columns differ: a,b vs a,c");
  assertEquals(diffTables("m.csv", "a\n1\n", "a\n1\n2\n").note, "1 rows vs 2");
});

Deno.test("deno task compare exits 0 for identical, 1 for different, 2 for bad input", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir(), c = await Deno.makeTempDir();
  await fakeRun(a, "k1", M1);
  await fakeRun(b, "k1", M1);
  await fakeRun(c, "k1", M2);
  assertEquals((await runTask("compare", [a, b])).code, 0);
  const diff = await runTask("compare", [a, c]);
  assertEquals(diff.code, 1);
  assert(diff.stdout.includes("DIFFERENT: demo x=1 seed 0"), diff.stdout);
  const bad = await runTask("compare", [a, join(a, "missing")]);
  assertEquals(bad.code, 2);
  assert(bad.stderr.includes("does not exist"), bad.stderr);
  const tol = await runTask("compare", [a, c, "--tolerance", "1e-6"]);
  assertEquals(tol.code, 0, tol.stdout);
});
