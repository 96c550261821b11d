/**
 * Bad input through `deno task reproduce`, as a user meets it: a clear
 * message, a non-zero exit, and nothing already completed lost.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../helpers/assert.ts";
import { runTask } from "../helpers/cli.ts";
import { npmMnistDir } from "../../lib/data/mnist.ts";

const SMOKE = ["hnca-bandit", "--profile", "smoke", "--backend", "wasm", "--progress", "lines", "--no-plots"];

Deno.test("reproduce with a corrupt --mnist-dir exits 2 naming the file, and leaves complete runs alone", async () => {
  const results = await Deno.makeTempDir();
  const ok = await runTask("reproduce", [
    ...SMOKE,
    "--results",
    results,
    "--only",
    "estimator=hnca",
    "--only",
    "baseline=false",
  ]);
  assertEquals(ok.code, 0, ok.stderr);
  const before = await Deno.readTextFile(join(results, "hnca-bandit", "smoke", "hashes.csv"));
  const mnist = await Deno.makeTempDir();
  for await (const e of Deno.readDir(npmMnistDir())) {
    await Deno.copyFile(join(npmMnistDir(), e.name), join(mnist, e.name));
  }
  const labels = await Deno.readFile(join(mnist, "train-labels-idx1-ubyte"));
  await Deno.writeFile(join(mnist, "train-labels-idx1-ubyte"), labels.subarray(0, 1000));
  const cache = await Deno.makeTempDir();
  const bad = await runTask("reproduce", [...SMOKE, "--results", results, "--mnist-dir", mnist], {
    REPRO_CACHE_DIR: cache,
  });
  assertEquals(bad.code, 2, bad.stdout + bad.stderr);
  assert(
    bad.stderr.includes("Dataset mnist could not be prepared: MNIST file train-labels-idx1-ubyte from"),
    bad.stderr,
  );
  assert(bad.stderr.includes("IDX file is truncated"), bad.stderr);
  assertEquals(
    await Deno.readTextFile(join(results, "hnca-bandit", "smoke", "hashes.csv")),
    before,
    "aggregates untouched",
  );
});

Deno.test("reproduce of a broken pipeline file exits 2 with file, line, column and key", async () => {
  const dir = await Deno.makeTempDir();
  const text = (await Deno.readTextFile(new URL("../../pipelines/hnca-bandit.yaml", import.meta.url)))
    .replace("  batch_size: 50", "  batch_size: fifty")
    .replace("default_profile: quick", "default_profile: quick\nplotz: []");
  const file = join(dir, "broken.yaml");
  await Deno.writeTextFile(file, text);
  const r = await runTask("reproduce", [file, "--results", dir, "--dry-run"]);
  assertEquals(r.code, 2, r.stdout + r.stderr);
  const line = text.split("\n").findIndex((l) => l.startsWith("plotz")) + 1;
  assert(r.stderr.includes(`${file}:${line}:1: plotz: unknown key 'plotz'`), r.stderr);
  const fixed = text.replace("plotz: []\n", "");
  await Deno.writeTextFile(file, fixed);
  const r2 = await runTask("reproduce", [file, "--results", dir, "--dry-run"]);
  assertEquals(r2.code, 2);
  const bl = fixed.split("\n").findIndex((l) => l.includes("batch_size: fifty")) + 1;
  assert(r2.stderr.includes(`${file}:${bl}:15: config.batch_size: expected number, got "fifty"`), r2.stderr);
});

Deno.test("reproduce names the profiles when asked for one that does not exist, and an unknown pipeline", async () => {
  const r = await runTask("reproduce", ["hnca-bandit", "--profile", "huge", "--dry-run"]);
  assertEquals(r.code, 2);
  assert(
    r.stderr.includes("Profile 'huge' does not exist in") && r.stderr.includes("Available: smoke, quick, paper, depth"),
    r.stderr,
  );
  const p = await runTask("reproduce", ["no-such-pipeline"]);
  assertEquals(p.code, 2);
  assert(p.stderr.includes("Pipeline 'no-such-pipeline' not found") && p.stderr.includes("hnca-bandit"), p.stderr);
});

Deno.test("an error in the base config is reported whatever profile is asked for, even one that overrides the key", async () => {
  const dir = await Deno.makeTempDir();
  const base = await Deno.readTextFile(new URL("../../pipelines/hnca-bandit.yaml", import.meta.url));
  const cases = [
    {
      text: base.replace("  epochs: 100\n", "  epochs: ten\n"),
      line: "  epochs: ten",
      want: ':11: config.epochs: expected number, got "ten"',
    },
    {
      text: base.replace("  seeds: [0, 1, 2, 3, 4]\n", "  seeds: [0, 0, 1]\n"),
      line: "  seeds: [0, 0, 1]",
      want: ":10: grid.seeds: seeds must be unique",
    },
  ];
  for (const c of cases) {
    const file = join(dir, "typo.yaml");
    await Deno.writeTextFile(file, c.text);
    const n = c.text.split("\n").findIndex((l) => l === c.line) + 1;
    // The smoke and quick profiles set epochs and seeds themselves; the error must still be found.
    for (const profile of ["smoke", "quick"]) {
      const r = await runTask("reproduce", [file, "--profile", profile, "--results", dir, "--dry-run"]);
      assertEquals(r.code, 2, r.stdout + r.stderr);
      assert(r.stderr.includes(`${file}:${n}${c.want}`), r.stderr);
    }
  }
});

Deno.test("--set on a grid axis or the seed exits 2 and names --only", async () => {
  const dir = await Deno.makeTempDir();
  const axis = await runTask("reproduce", [...SMOKE, "--results", dir, "--set", "estimator=hnca", "--dry-run"]);
  assertEquals(axis.code, 2, axis.stdout + axis.stderr);
  assert(
    axis.stderr.includes("'estimator' is a grid axis") && axis.stderr.includes("--only estimator=VALUE"),
    axis.stderr,
  );
  const seed = await runTask("reproduce", [...SMOKE, "--results", dir, "--set", "seed=3", "--dry-run"]);
  assertEquals(seed.code, 2, seed.stdout + seed.stderr);
  assert(seed.stderr.includes("--only seed=VALUE"), seed.stderr);
});
