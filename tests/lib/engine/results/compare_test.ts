import { assert, assertEquals, assertRejects } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { compareResults, diffTables, formatReport } from "../../../../lib/engine/results/compare.ts";
import { configHash, outputsManifest } from "../../../../lib/engine/results/layout.ts";
import { sha256Hex } from "../../../../lib/util/hash.ts";
import { runTask } from "../../../helpers/cli.ts";

/** Key parts of a fake run: config and seed decide the pairing by config. */
function parts(config: Record<string, unknown>, seed = 0, extra: Record<string, unknown> = {}) {
  return {
    format: 1,
    experiment: { id: "demo", version: "1", source: "s1" },
    config,
    seed,
    datasets: {},
    backend: "wasm",
    versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "x" },
    ...extra,
  };
}

/** A run folder as a run leaves it: metrics.csv and a run.json recording its hashes. */
async function fakeRun(
  root: string,
  key: string,
  metrics: string,
  keyParts = parts({ lr: 1 }),
  cell = "x=1",
  profile = "smoke",
) {
  const dir = join(root, "runs", key);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "metrics.csv"), metrics);
  const hash = await sha256Hex(metrics);
  const outputs = { "metrics.csv": hash };
  const record = {
    status: "complete",
    key,
    pipeline: "demo",
    profile,
    cell,
    seed: keyParts.seed,
    result_hash: hash,
    outputs_hash: await sha256Hex(outputsManifest(outputs)),
    outputs,
    key_parts: keyParts,
  };
  await Deno.writeTextFile(join(dir, "run.json"), JSON.stringify(record));
  return record;
}

/** A profile's hashes.csv listing runs of the store. */
async function hashesCsv(root: string, profile: string, records: Awaited<ReturnType<typeof fakeRun>>[]) {
  const dir = join(root, "demo", profile);
  await Deno.mkdir(dir, { recursive: true });
  const rows = [];
  for (const r of records) {
    rows.push(
      [
        r.pipeline,
        profile,
        r.key,
        r.cell,
        r.seed,
        "wasm",
        "v",
        await configHash(r.key_parts),
        r.result_hash,
        r.outputs_hash,
      ]
        .join(","),
    );
  }
  const file = join(dir, "hashes.csv");
  await Deno.writeTextFile(
    file,
    `pipeline,profile,run_key,cell,seed,backend,versions,config_hash,result_hash,outputs_hash\n${rows.join("\n")}\n`,
  );
  return file;
}

const M1 = "epoch,loss\n1,0.5\n2,0.25\n";
const M2 = "epoch,loss\n1,0.5\n2,0.2500001\n";

Deno.test("compareResults() reports identical, different (first row, largest differences by header) and only-in-one runs", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  await fakeRun(a, "k1", M1);
  await fakeRun(b, "k1", M1);
  await fakeRun(a, "k2", M1, parts({ lr: 2 }), "x=2");
  await fakeRun(b, "k2", M2, parts({ lr: 2 }), "x=2");
  await fakeRun(a, "k3", M1, parts({ lr: 3 }), "x=3");
  const r = await compareResults(a, b, { tolerance: 0, match: "key" });
  assertEquals(r.pairs.map((p) => [p.a.key, p.status]), [["k1", "identical"], ["k2", "different"]]);
  assertEquals(r.onlyA.map((e) => e.key), ["k3"]);
  assertEquals(r.ok, false);
  const d = r.pairs[1].tables[0];
  assertEquals(d.first_row, { row: 2, a: "2,0.25", b: "2,0.2500001" });
  assertEquals(d.columns.map((c) => c.column), ["loss"]);
  assert(Math.abs(d.columns[0].max_abs - 1e-7) < 1e-12, String(d.columns[0].max_abs));
  const text = formatReport(r);
  assert(text.includes("1 identical, 0 within tolerance 0, 1 different, 0 corrupt; 1 only in a, 0 only in b"), text);
  assert(text.includes("first difference at data row 2") && text.includes("loss: max |diff| 1.00e-7"), text);
  const tol = await compareResults(a, b, { tolerance: 1e-6, match: "key" });
  assertEquals(tol.pairs[1].status, "within tolerance");
  assertEquals(tol.ok, true);
});

Deno.test("compareResults() hashes the files: an edited metrics.csv is CORRUPT even when hashes.csv was edited to match", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  const ra = await fakeRun(a, "k1", M1);
  await hashesCsv(a, "smoke", [ra]);
  await hashesCsv(b, "smoke", [await fakeRun(b, "k1", M1)]);
  assertEquals((await compareResults(a, b, { tolerance: 0, match: "config" })).ok, true);
  // One value changed in the run's metrics.csv, and hashes.csv's row set to the new file's hash.
  await Deno.writeTextFile(join(a, "runs", "k1", "metrics.csv"), M2);
  const csv = join(a, "demo", "smoke", "hashes.csv");
  await Deno.writeTextFile(csv, (await Deno.readTextFile(csv)).replaceAll(ra.result_hash, await sha256Hex(M2)));
  const r = await compareResults(a, b, { tolerance: 0, match: "config" });
  assertEquals(r.ok, false);
  assert(r.corrupt.some((c) => c.side === "a" && c.file.endsWith(join("runs", "k1", "metrics.csv"))), formatReport(r));
  assert(r.corrupt.some((c) => c.side === "a" && c.file === csv), formatReport(r));
  assert(
    formatReport(r).includes(
      `CORRUPT (a): demo (smoke) x=1 seed 0: ${join(a, "runs", "k1", "metrics.csv")} has SHA-256`,
    ),
  );
  const cli = await runTask("compare", [a, b]);
  assertEquals(cli.code, 1, cli.stdout);
  assert(cli.stdout.includes("CORRUPT"), cli.stdout);
});

Deno.test("compare leaves committed reference folders out of a results folder, and fails when the sides share no run", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  // Side a holds a run and a reference; side b only the same reference.
  await fakeRun(a, "k1", M1);
  for (const root of [a, b]) {
    const ref = join(root, "reference");
    await hashesCsv(ref, "smoke", [await fakeRun(join(root, "tmp-ref"), "k9", M1, parts({ lr: 9 }), "x=9")]);
    await Deno.remove(join(root, "tmp-ref"), { recursive: true });
  }
  const r = await compareResults(a, join(b, "reference"), { tolerance: 0, match: "config" });
  assertEquals(r.pairs.length, 0, "the reference rows under a are not runs of a");
  assertEquals(r.ok, false);
  const cli = await runTask("compare", [a, join(b, "reference"), "--require-all"]);
  assertEquals(cli.code, 1, cli.stdout);
  const onlyRefs = await runTask("compare", [join(a, "reference"), join(b, "reference")]);
  assertEquals(onlyRefs.code, 0, onlyRefs.stdout + onlyRefs.stderr);
});

Deno.test("compare --match config pairs runs of the same config and seed only, whatever their keys", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  // a: a smoke run (lr 1) and a quick run of the same cell and seed (lr 1, 8 epochs); b: the smoke run under another key.
  await fakeRun(a, "smoke-a", M1, parts({ lr: 1, epochs: 2 }));
  await fakeRun(a, "quick-a", M2, parts({ lr: 1, epochs: 8 }), "x=1", "quick");
  await fakeRun(
    b,
    "smoke-b",
    M1,
    parts({ lr: 1, epochs: 2 }, 0, { experiment: { id: "demo", version: "1", source: "s2" } }),
  );
  const r = await compareResults(a, b, { tolerance: 0, match: "config" });
  assertEquals(r.pairs.map((p) => [p.a.key, p.b.key, p.status]), [["smoke-a", "smoke-b", "identical"]]);
  assertEquals(r.onlyA.map((e) => e.key), ["quick-a"]);
  assertEquals(r.pairs[0].key_differences, ['experiment.source: "s1" vs "s2"']);
  // Another backend is not paired unless asked.
  const c = await Deno.makeTempDir();
  await fakeRun(c, "gpu", M2, parts({ lr: 1, epochs: 2 }, 0, { backend: "webgpu" }));
  assertEquals((await compareResults(a, c, { tolerance: 0, match: "config" })).pairs.length, 0);
  const ignoring = await compareResults(a, c, { tolerance: 1e-6, match: "config", ignore: ["backend"] });
  assertEquals(ignoring.pairs.map((p) => p.status), ["within tolerance"]);
});

Deno.test("compareResults() reads hashes.csv files and rejects a missing side", async () => {
  const a = await Deno.makeTempDir();
  const csv = await hashesCsv(a, "smoke", [await fakeRun(a, "k1", M1)]);
  const r = await compareResults(csv, a, { tolerance: 0, match: "key" });
  assertEquals(r.pairs.length, 1);
  assertEquals(r.ok, true);
  await assertRejects(() => compareResults(join(a, "nope"), a, { tolerance: 0, match: "key" }), /does not exist/);
});

Deno.test("diffTables() notes differing columns, row counts and text", () => {
  assertEquals(diffTables("m.csv", "a,b\n1,2\n", "a,c\n1,2\n").note, "columns differ: a,b vs a,c");
  assertEquals(diffTables("m.csv", "a\n1\n", "a\n1\n2\n").note, "1 rows vs 2");
  assertEquals(diffTables("m.csv", "a,s\n1,x\n", "a,s\n1,y\n").note, "text differs in s");
});

Deno.test("deno task compare exits 0 for identical, 1 for different, 2 for bad input", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir(), c = await Deno.makeTempDir();
  await fakeRun(a, "k1", M1);
  await fakeRun(b, "k1", M1);
  await fakeRun(c, "k1", M2);
  assertEquals((await runTask("compare", [a, b])).code, 0);
  const diff = await runTask("compare", [a, c]);
  assertEquals(diff.code, 1);
  assert(diff.stdout.includes("DIFFERENT: demo (smoke) x=1 seed 0"), diff.stdout);
  const bad = await runTask("compare", [a, join(a, "missing")]);
  assertEquals(bad.code, 2);
  assert(bad.stderr.includes("does not exist"), bad.stderr);
  const tol = await runTask("compare", [a, c, "--tolerance", "1e-6"]);
  assertEquals(tol.code, 0, tol.stdout);
  assertEquals((await runTask("compare", [a, b, "--ignore", "seed"])).code, 2);
});
