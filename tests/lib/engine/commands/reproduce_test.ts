/**
 * End-to-end tests of `deno task reproduce` on the fixture pipeline, through
 * the command line, as a user runs it.
 */
import { assert, assertEquals } from "../../../helpers/assert.ts";
import { join } from "node:path";
import {
  collect,
  FIXTURE,
  fixtureArgs,
  runTask,
  signalGroup,
  spawnTask,
  spawnTaskGroup,
  waitFor,
} from "../../../helpers/cli.ts";
import { treeDigests } from "../../../helpers/tree.ts";
import { parseCsv } from "../../../../lib/engine/results/tables.ts";

async function hashes(
  results: string,
  profile = "smoke",
  pipeline = "fixture-regression",
): Promise<Map<string, string>> {
  const { header, rows } = parseCsv(
    await Deno.readTextFile(join(results, pipeline, profile, "hashes.csv")),
    "hashes.csv",
  );
  const k = header.indexOf("run_key"), h = header.indexOf("result_hash"), o = header.indexOf("outputs_hash");
  return new Map(rows.map((r) => [r[k], `${r[h]}/${r[o]}`]));
}

async function runDirs(results: string): Promise<string[]> {
  const out: string[] = [];
  const store = join(results, "runs");
  if (!(await Deno.stat(store).then(() => true, () => false))) return out;
  for await (const e of Deno.readDir(store)) {
    if (/^[0-9a-f]{64}$/.test(e.name)) out.push(e.name);
  }
  return out.sort();
}

Deno.test("reproduce gives identical hashes for the same runs, with --jobs 1 and --jobs 2", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  const ra = await runTask("reproduce", fixtureArgs(a, "--jobs", "1"));
  assertEquals(ra.code, 0, ra.stderr);
  const rb = await runTask("reproduce", fixtureArgs(b, "--jobs", "2"));
  assertEquals(rb.code, 0, rb.stderr);
  const ha = await hashes(a), hb = await hashes(b);
  assertEquals(ha.size, 4);
  assertEquals([...ha.entries()], [...hb.entries()]);
  // Each run's files, byte for byte.
  for (const key of ha.keys()) {
    for (const f of ["metrics.csv", "weights.csv", "params.safetensors"]) {
      assertEquals(
        await Deno.readFile(join(a, "runs", key, f)),
        await Deno.readFile(join(b, "runs", key, f)),
        f,
      );
    }
  }
  const cmp = await runTask("compare", [a, b]);
  assertEquals(cmp.code, 0, cmp.stdout + cmp.stderr);
  assert(cmp.stdout.includes("4 identical"), cmp.stdout);
});

Deno.test("reproduce skips complete runs and --force reruns them to the same hashes", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals((await runTask("reproduce", fixtureArgs(dir))).code, 0);
  const first = await hashes(dir);
  const again = await runTask("reproduce", fixtureArgs(dir));
  assertEquals(again.code, 0, again.stderr);
  assert(again.stdout.includes("4 runs cached"), again.stdout);
  assert(again.stdout.includes("Runs: 0 completed, 4 cached, 0 failed."), again.stdout);
  const forced = await runTask("reproduce", fixtureArgs(dir, "--force", "--only", "seed=1"));
  assertEquals(forced.code, 0, forced.stderr);
  assert(forced.stdout.includes("Runs: 2 completed, 0 cached"), forced.stdout);
  assertEquals([...(await hashes(dir)).entries()], [...first.entries()]);
});

Deno.test("a run killed mid-way resumes from its checkpoint to the same hash", async () => {
  const clean = await Deno.makeTempDir(), crashed = await Deno.makeTempDir();
  assertEquals((await runTask("reproduce", fixtureArgs(clean, "--only", "label=a", "--only", "seed=0"))).code, 0);
  const killed = await runTask("reproduce", fixtureArgs(crashed, "--only", "label=a", "--only", "seed=0"), {
    REPRO_TEST_CRASH_AFTER_CHECKPOINTS: "2",
  });
  assertEquals(killed.code, 1, "the killed run is reported as failed");
  assert(killed.stderr.includes("worker exited with signal SIGKILL"), killed.stderr);
  const [key] = await runDirs(crashed);
  const runPath = join(crashed, "runs", key);
  await Deno.stat(join(runPath, "checkpoint.safetensors"));
  await Deno.stat(join(runPath, "run.json")).then(() => assert(false, "no run.json after a crash"), () => {});
  const dry = await runTask("reproduce", fixtureArgs(crashed, "--only", "label=a", "--only", "seed=0", "--dry-run"));
  assert(dry.stdout.includes("to resume from checkpoint"), dry.stdout);
  const resumed = await runTask("reproduce", fixtureArgs(crashed, "--only", "label=a", "--only", "seed=0"));
  assertEquals(resumed.code, 0, resumed.stderr);
  assertEquals([...(await hashes(crashed)).entries()], [...(await hashes(clean)).entries()]);
  const record = JSON.parse(await Deno.readTextFile(join(runPath, "run.json")));
  assertEquals(record.attempts, 2);
  assert((await Deno.readTextFile(join(runPath, "run.log"))).includes("resuming from checkpoint at step 2"));
  await Deno.stat(join(runPath, "checkpoint.safetensors")).then(
    () => assert(false, "checkpoint removed after completion"),
    () => {},
  );
});

Deno.test("a NaN metric fails its run with the epoch, writes no CSV, and spares the others", async () => {
  const dir = await Deno.makeTempDir();
  const r = await runTask("reproduce", fixtureArgs(dir, "--set", "nan_at_epoch=2", "--only", "label=a"));
  assertEquals(r.code, 1);
  assert(r.stderr.includes("at epoch 2: Metric 'loss' of table 'metrics' is NaN at epoch 2"), r.stderr);
  assert(r.stderr.includes("config: {"), "the failed run's config is reported");
  assert(r.stdout.includes("0 completed, 0 cached, 2 failed"), r.stdout);
  for (const key of await runDirs(dir)) {
    const files = [];
    for await (const e of Deno.readDir(join(dir, "runs", key))) files.push(e.name);
    assert(!files.includes("metrics.csv") && !files.includes("run.json"), files.join());
    const failure = JSON.parse(await Deno.readTextFile(join(dir, "runs", key, "failure.json")));
    assertEquals(failure.step, { column: "epoch", value: 2 });
  }
  const mixed = await runTask("reproduce", fixtureArgs(dir, "--set", "throw_at_epoch=3", "--jobs", "2"));
  assertEquals(mixed.code, 1);
  assert(mixed.stderr.includes("injected failure at epoch 3"), mixed.stderr);
  assert(mixed.stderr.includes("log: "), mixed.stderr);
});

Deno.test("one failing cell does not stop the others, and completed runs stay complete", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals((await runTask("reproduce", fixtureArgs(dir, "--only", "label=b"))).code, 0);
  const before = await hashes(dir);
  // Make cell a fail: label=a runs get an injected exception through a profile-level override.
  const r = await runTask("reproduce", fixtureArgs(dir, "--set", "throw_at_epoch=1"));
  assertEquals(r.code, 1);
  assert(r.stdout.includes("0 completed, 0 cached, 4 failed"), r.stdout + r.stderr);
  // --set changes every key, so the earlier complete runs are untouched on disk.
  for (const key of before.keys()) {
    const rec = JSON.parse(await Deno.readTextFile(join(dir, "runs", key, "run.json")));
    assertEquals(`${rec.result_hash}/${rec.outputs_hash}`, before.get(key));
  }
});

Deno.test("two reproduce processes at once: the second is refused and the first completes", async () => {
  const dir = await Deno.makeTempDir();
  const first = spawnTask("reproduce", fixtureArgs(dir, "--profile", "long", "--only", "seed=0", "--jobs", "1"));
  await waitFor(join(dir, "fixture-regression", "long", ".lock"));
  const second = await runTask("reproduce", fixtureArgs(dir, "--profile", "long", "--only", "seed=0"));
  assertEquals(second.code, 3, second.stderr);
  assert(/Pipeline fixture-regression \(profile long\) is locked by process \d+/.test(second.stderr), second.stderr);
  const r = await collect(first);
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdout.includes("2 completed"), r.stdout);
});

Deno.test("SIGINT stops reproduce with exit 130; the same command resumes to the same hashes", async () => {
  const clean = await Deno.makeTempDir(), dir = await Deno.makeTempDir();
  const args = ["--profile", "long", "--only", "label=a", "--only", "seed=0"];
  assertEquals((await runTask("reproduce", fixtureArgs(clean, ...args))).code, 0);
  const child = spawnTask("reproduce", fixtureArgs(dir, ...args));
  const [key] = await (async () => {
    await waitFor(join(dir, "runs"));
    for (let i = 0; i < 400; i++) {
      const keys = await runDirs(dir);
      if (
        keys.length &&
        await Deno.stat(join(dir, "runs", keys[0], "checkpoint.safetensors")).then(
          () => true,
          () => false,
        )
      ) return keys;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("no checkpoint appeared");
  })();
  child.kill("SIGINT");
  const r = await collect(child);
  assertEquals(r.code, 130, r.stdout + r.stderr);
  assert(r.stderr.includes("Run the same command again to resume"), r.stderr);
  await Deno.stat(join(dir, "runs", key, "run.json")).then(
    () => assert(false, "interrupted run is not complete"),
    () => {},
  );
  const resumed = await runTask("reproduce", fixtureArgs(dir, ...args));
  assertEquals(resumed.code, 0, resumed.stderr);
  assertEquals([...(await hashes(dir, "long")).entries()], [...(await hashes(clean, "long")).entries()]);
});

/** Waits until some run of the results folder has a checkpoint; returns its key. */
async function firstCheckpoint(dir: string): Promise<string> {
  for (let i = 0; i < 600; i++) {
    for (const key of await runDirs(dir)) {
      if (await Deno.stat(join(dir, "runs", key, "checkpoint.safetensors")).then(() => true, () => false)) return key;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no checkpoint appeared");
}

Deno.test("one Ctrl-C to `deno task reproduce`'s process group stops runs gracefully, counted once", async () => {
  // The terminal sends SIGINT to the whole foreground group and `deno task` forwards its copy to reproduce:
  // two copies of one keypress, which must not count as the second Ctrl-C (quit at once, nothing written).
  const clean = await Deno.makeTempDir(), dir = await Deno.makeTempDir();
  const args = ["--profile", "long", "--only", "seed=0", "--jobs", "1", "--set", "delay_ms=100"];
  assertEquals((await runTask("reproduce", fixtureArgs(clean, ...args))).code, 0);
  const child = spawnTaskGroup("reproduce", fixtureArgs(dir, ...args));
  const key = await firstCheckpoint(dir);
  await signalGroup(child.pid, "INT");
  const r = await collect(child);
  assertEquals(r.code, 130, r.stdout + r.stderr);
  assertEquals(r.stderr.split("Interrupt: stopping runs").length, 2, `one interrupt announced:\n${r.stderr}`);
  assert(r.stdout.includes("Runs: 0 completed, 0 cached, 0 failed, 2 interrupted."), r.stdout);
  assert(r.stderr.includes("Interrupted: 2 runs did not finish. Run the same command again"), r.stderr);
  const profile = join(dir, "fixture-regression", "long");
  assert(await Deno.stat(join(profile, "claims.csv")).then(() => true, () => false), "the summary was written");
  assert(!(await Deno.stat(join(profile, ".lock")).then(() => true, () => false)), "the profile's lock was released");
  assert(await Deno.stat(join(dir, "runs", key, "checkpoint.safetensors")).then(() => true, () => false));
  const resumed = await runTask("reproduce", fixtureArgs(dir, ...args));
  assertEquals(resumed.code, 0, resumed.stderr);
  assertEquals([...(await hashes(dir, "long")).entries()], [...(await hashes(clean, "long")).entries()]);
});

Deno.test("aggregate trains nothing: summaries from the finished runs, the others listed", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals((await runTask("reproduce", fixtureArgs(dir, "--only", "seed=0"))).code, 0);
  const before = await treeDigests(join(dir, "runs"));
  const r = await runTask("aggregate", fixtureArgs(dir));
  assertEquals(r.code, 0, r.stdout + r.stderr);
  assertEquals(await treeDigests(join(dir, "runs")), before, "no run's files changed, none was added");
  assert(r.stdout.includes("Aggregated 2 of 4 runs; nothing was trained (--aggregate-only)."), r.stdout);
  assertEquals(r.stdout.split("\n").filter((l) => l.endsWith("not started")).length, 2, r.stdout);
  assertEquals((await hashes(dir)).size, 2);
  assert(r.stdout.includes("INCOMPLETE"), r.stdout);
  const refused = await runTask("aggregate", fixtureArgs(dir, "--force"));
  assertEquals(refused.code, 2, refused.stderr);
  assert(refused.stderr.includes("--aggregate-only trains nothing: drop --force"), refused.stderr);
});

Deno.test("reproduce reports a results folder it cannot write, with exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "not-a-folder");
  await Deno.writeTextFile(file, "x");
  const r = await runTask("reproduce", fixtureArgs(file));
  assertEquals(r.code, 2, r.stdout + r.stderr);
  assert(r.stderr.includes(`Cannot write to the results folder ${file}`), r.stderr);
});

Deno.test("reproduce --dry-run lists stages and runs; --explain gives key parts and the cause of a miss", async () => {
  const dir = await Deno.makeTempDir();
  assertEquals((await runTask("reproduce", fixtureArgs(dir, "--only", "seed=0"))).code, 0);
  const dry = await runTask("reproduce", fixtureArgs(dir, "--dry-run"));
  assertEquals(dry.code, 0, dry.stderr);
  assert(dry.stdout.includes("train      runs fixture-regression (version 1)"), dry.stdout);
  assertEquals(dry.stdout.split("\n").filter((l) => l.endsWith("cached")).length, 2, dry.stdout);
  assertEquals(dry.stdout.split("\n").filter((l) => l.endsWith("to run")).length, 2, dry.stdout);
  const explain = await runTask("reproduce", fixtureArgs(dir, "--explain", "--only", "seed=0", "--set", "lr=0.02"));
  assertEquals(explain.code, 0, explain.stderr);
  assert(explain.stdout.includes('"batch":16,"delay_ms":0'), explain.stdout);
  assert(explain.stdout.includes("differs in: config.lr: 0.05 -> 0.02"), explain.stdout);
});

Deno.test("--emit-commands prints one command per run, and each runs alone", async () => {
  const dir = await Deno.makeTempDir();
  const r = await runTask("reproduce", fixtureArgs(dir, "--only", "seed=0", "--emit-commands"));
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assertEquals(lines.length, 2);
  const words = lines[0].split(" ");
  assertEquals(words.slice(0, 4), ["deno", "task", "run", FIXTURE.pipeline]);
  assert(/^[0-9a-f]{64}$/.test(words[4]), words[4]);
  const one = await runTask("run", words.slice(3));
  assertEquals(one.code, 0, one.stdout + one.stderr);
  assert(one.stdout.includes("Complete: result hash"), one.stdout);
  const rest = await runTask("reproduce", fixtureArgs(dir, "--only", "seed=0"));
  assert(rest.stdout.includes("1 run cached, 1 to run"), rest.stdout);
});

Deno.test("two pipelines that share a run train it once: the second finds it in the run store", async () => {
  const dir = await Deno.makeTempDir();
  const copy = join(dir, "copy.yaml");
  // The same experiment, grid and configs under another pipeline name.
  const text = (await Deno.readTextFile(FIXTURE.pipeline)).replace("name: fixture-regression", "name: fixture-copy");
  await Deno.writeTextFile(copy, text);
  const first = await runTask("reproduce", fixtureArgs(dir));
  assertEquals(first.code, 0, first.stderr);
  const second = await runTask("reproduce", [copy, ...fixtureArgs(dir).slice(1)]);
  assertEquals(second.code, 0, second.stderr);
  assert(second.stdout.includes("4 runs cached"), second.stdout);
  assert(second.stdout.includes("0 completed, 4 cached"), second.stdout);
  assertEquals((await runDirs(dir)).length, 4, "the store holds each run once");
  const a = await hashes(dir, "smoke"), b = await hashes(dir, "smoke", "fixture-copy");
  for (const [key, h] of b) assertEquals(a.get(key), h);
});

Deno.test("run --force starts over as reproduce --force does: the checkpoint of an interrupted attempt is not resumed", async () => {
  const dir = await Deno.makeTempDir();
  const args = ["--profile", "long", "--only", "label=a", "--only", "seed=0"];
  const crashed = await runTask("reproduce", fixtureArgs(dir, ...args), { REPRO_TEST_CRASH_AFTER_CHECKPOINTS: "2" });
  assertEquals(crashed.code, 1, crashed.stdout + crashed.stderr);
  const [key] = await runDirs(dir);
  await Deno.stat(join(dir, "runs", key, "checkpoint.safetensors"));
  const run = await runTask("run", [
    FIXTURE.pipeline,
    key,
    ...fixtureArgs(dir, "--profile", "long").slice(1),
    "--force",
  ]);
  assertEquals(run.code, 0, run.stdout + run.stderr);
  const log = await Deno.readTextFile(join(dir, "runs", key, "run.log"));
  assert(!log.includes("resuming from checkpoint"), log);
  assertEquals(JSON.parse(await Deno.readTextFile(join(dir, "runs", key, "run.json"))).attempts, 1);
});

Deno.test("deno task runs lists each run with its state, final values and result hash", async () => {
  const dir = await Deno.makeTempDir();
  const args = ["--profile", "long", "--only", "seed=0"];
  assertEquals((await runTask("reproduce", fixtureArgs(dir, ...args, "--only", "label=a"))).code, 0);
  await runTask("reproduce", fixtureArgs(dir, ...args, "--only", "label=b"), {
    REPRO_TEST_CRASH_AFTER_CHECKPOINTS: "2",
  });
  const r = await runTask("runs", [
    FIXTURE.pipeline,
    "--registry",
    FIXTURE.registry,
    "--results",
    dir,
    "--profile",
    "long",
  ]);
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  // The fixture names no evaluation.report: its plotted metric, loss, is reported.
  assertEquals(lines[0].split(/\s{2,}/), ["run key", "label", "seed", "state", "loss", "result hash"]);
  const rows = lines.slice(2).map((l) => l.split(/\s{2,}/));
  assertEquals(rows.map((x) => [x[1], x[2], x[3]]), [
    ["a", "0", "complete"],
    ["a", "1", "not started"],
    ["a", "2", "not started"],
    ["b", "0", "partial at epoch 2"],
    ["b", "1", "not started"],
    ["b", "2", "not started"],
  ]);
  assert(/^[0-9a-f]{16}$/.test(rows[0][5]) && rows[3][5] === "-" && Number(rows[0][4]) > 0, lines.join("\n"));
  const csv = await runTask("runs", [
    FIXTURE.pipeline,
    "--registry",
    FIXTURE.registry,
    "--results",
    dir,
    "--profile",
    "long",
    "--csv",
  ]);
  assert(csv.stdout.startsWith("run_key,label,seed,state,loss,result_hash\n"), csv.stdout);
});
