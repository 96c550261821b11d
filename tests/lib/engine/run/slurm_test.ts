/**
 * `reproduce --executor slurm` against a real single-node Slurm cluster on
 * localhost (started for these tests, stopped after): a grid submitted as a
 * job array ends with a local run's hashes; a task cancelled mid-run is
 * submitted again and still ends with those hashes; a task over its memory
 * is reported failed with the reason, not retried forever; --detach returns
 * and a later reproduce only aggregates; Ctrl-C cancels the array, aggregate
 * trains nothing, and a rerun resumes. Skipped, with the reason printed,
 * where Slurm cannot run (not root, not installed).
 */
import { join } from "node:path";
import { assert, assertEquals } from "../../../helpers/assert.ts";
import { collect, fixtureArgs, runTask, signalGroup, spawnTask, spawnTaskGroup } from "../../../helpers/cli.ts";
import { treeDigests } from "../../../helpers/tree.ts";
import { type Cluster, slurmUnavailable, startCluster } from "../../../helpers/slurm.ts";
import { batchScript } from "../../../../lib/engine/run/slurm.ts";
import { parseCsv } from "../../../../lib/engine/results/tables.ts";

const why = await slurmUnavailable();
if (why) console.log(`slurm_test: ${why}: Slurm tests skipped`);

async function hashes(results: string, profile: string): Promise<Map<string, string>> {
  const { header, rows } = parseCsv(
    await Deno.readTextFile(join(results, "fixture-regression", profile, "hashes.csv")),
    "hashes.csv",
  );
  const k = header.indexOf("run_key"), h = header.indexOf("result_hash"), o = header.indexOf("outputs_hash");
  return new Map(rows.map((r) => [r[k], `${r[h]}/${r[o]}`]));
}

Deno.test("batchScript() asks for an array of one task per run, throttled, with the resources and one output file per task", () => {
  const s = batchScript({
    manifest: "/r/m.txt",
    outDir: "/r/out",
    tasks: 4,
    maxParallel: 2,
    resources: { cpus: 1, mem: "500M", time: "00:10:00", partition: "debug", account: "lab", qos: "low" },
    name: "demo-smoke",
  }, ["deno", "run", "-A", "worker.ts"]);
  for (
    const line of [
      "#SBATCH --array=0-3%2",
      "#SBATCH --cpus-per-task=1",
      "#SBATCH --mem=500M",
      "#SBATCH --time=00:10:00",
      "#SBATCH --output=/r/out/%A_%a.out",
      "#SBATCH --partition=debug",
      "#SBATCH --account=lab",
      "#SBATCH --qos=low",
      `spec=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" '/r/m.txt')`,
      `exec 'deno' 'run' '-A' 'worker.ts' "$spec"`,
    ]
  ) assert(s.includes(line), `${line}\n${s}`);
});

Deno.test({
  name: "reproduce --executor slurm on a real single-node cluster",
  ignore: why !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const cluster: Cluster = await startCluster();
    const env = { ...cluster.env, REPRO_SLURM_POLL_S: "0.5" };
    try {
      const local = await Deno.makeTempDir();
      assertEquals((await runTask("reproduce", fixtureArgs(local, "--profile", "long"))).code, 0);
      // Slower runs (about 4 s each) for the steps that act while tasks run.
      const SLOW = ["--set", "delay_ms=100"];
      const localSlow = await Deno.makeTempDir();
      assertEquals((await runTask("reproduce", fixtureArgs(localSlow, "--profile", "long", ...SLOW))).code, 0);
      const queued = async (job: string) => {
        const q = await new Deno.Command("squeue", { args: ["-h", "-r", "-j", job, "-o", "%i"], env, stdout: "piped" })
          .output();
        return new TextDecoder().decode(q.stdout).trim().split("\n").filter(Boolean);
      };

      await t.step("a job array ends with the hashes of a local run", async () => {
        const dir = await Deno.makeTempDir();
        const r = await runTask(
          "reproduce",
          fixtureArgs(dir, "--profile", "long", "--executor", "slurm", "--mem", "600M", "--time", "00:05:00"),
          env,
        );
        assertEquals(r.code, 0, r.stdout + r.stderr);
        assert(r.stderr.includes("Submitted job array"), r.stderr);
        assertEquals(
          [...(await hashes(dir, "long")).entries()].sort(),
          [...(await hashes(local, "long")).entries()].sort(),
        );
        const jobs = JSON.parse(await Deno.readTextFile(join(dir, "fixture-regression", "long", "slurm", "jobs.json")));
        assertEquals(jobs.length, 1);
        assertEquals(jobs[0].keys.length, 6);
      });

      await t.step("a task cancelled mid-run is submitted again at once and resumes to the same hashes", async () => {
        const dir = await Deno.makeTempDir();
        const child = spawnTask(
          "reproduce",
          fixtureArgs(
            dir,
            "--profile",
            "long",
            "--only",
            "seed=0",
            "--executor",
            "slurm",
            "--mem",
            "600M",
            "--retries",
            "2",
            ...SLOW,
          ),
          env,
        );
        // Cancel task 0 once its run has a checkpoint.
        const jobsFile = join(dir, "fixture-regression", "long", "slurm", "jobs.json");
        let cancelled = false;
        for (let i = 0; i < 400 && !cancelled; i++) {
          await new Promise((r) => setTimeout(r, 50));
          const jobs = await Deno.readTextFile(jobsFile).then(JSON.parse).catch(() => null);
          if (!jobs) continue;
          const key = jobs[0].keys[0];
          const hasCheckpoint = await Deno.stat(join(dir, "runs", key, "checkpoint.safetensors")).then(
            () => true,
            () => false,
          );
          if (hasCheckpoint) {
            const s = await new Deno.Command("scancel", { args: [`${jobs[0].jobId}_0`], env }).output();
            cancelled = s.success;
          }
        }
        assert(cancelled, "the task was cancelled mid-run");
        // Back in the queue while the rest of the first array still runs (not when the array ends).
        let resubmitted: { jobId: string }[] = [];
        for (let i = 0; i < 200 && resubmitted.length < 2; i++) {
          await new Promise((r) => setTimeout(r, 50));
          resubmitted = await Deno.readTextFile(jobsFile).then(JSON.parse);
        }
        assertEquals(resubmitted.length, 2, "the cancelled task was submitted again");
        const first = await queued(resubmitted[0].jobId);
        assert(first.includes(`${resubmitted[0].jobId}_1`), `task 1 of the first array still queued: ${first}`);
        const r = await collect(child);
        assertEquals(r.code, 0, r.stdout + r.stderr);
        assert(/Task \d+_0 .* ended CANCELLED at step \d+: submitting it again/.test(r.stderr), r.stderr);
        const want = await hashes(localSlow, "long");
        for (const [k, h] of await hashes(dir, "long")) assertEquals(h, want.get(k));
        const jobs = JSON.parse(await Deno.readTextFile(jobsFile));
        assertEquals(jobs.length, 2, "the cancelled task went into a second array");
        const run = JSON.parse(await Deno.readTextFile(join(dir, "runs", jobs[1].keys[0], "run.json")));
        assertEquals(run.attempts, 2, "the second attempt resumed the first's checkpoint");
      });

      await t.step(
        "Ctrl-C cancels the array; aggregate trains nothing; a rerun resumes to the same hashes",
        async () => {
          const dir = await Deno.makeTempDir();
          const args = fixtureArgs(dir, "--profile", "long", "--only", "label=a", ...SLOW);
          const slurm = ["--executor", "slurm", "--mem", "600M"];
          const child = spawnTaskGroup("reproduce", [...args, ...slurm], env);
          const jobsFile = join(dir, "fixture-regression", "long", "slurm", "jobs.json");
          let job = "";
          for (let i = 0; i < 600 && !job; i++) {
            await new Promise((r) => setTimeout(r, 50));
            const jobs = await Deno.readTextFile(jobsFile).then(JSON.parse).catch(() => null);
            if (!jobs) continue;
            const key = jobs[0].keys[0];
            if (await Deno.stat(join(dir, "runs", key, "checkpoint.safetensors")).then(() => true, () => false)) {
              job = jobs[0].jobId;
            }
          }
          assert(job, "a task wrote a checkpoint");
          await signalGroup(child.pid, "INT");
          const r = await collect(child);
          assertEquals(r.code, 130, r.stdout + r.stderr);
          assertEquals(await queued(job), [], "no task of the array is left in the queue");
          assert(r.stderr.includes(`Cancelled job array ${job}`), r.stderr);
          assert(/Interrupted: [1-3] runs? did not finish\. Run the same command again/.test(r.stderr), r.stderr);
          assert(!/submitting it again/.test(r.stderr), `nothing resubmitted after the interrupt:\n${r.stderr}`);

          const before = await treeDigests(join(dir, "runs"));
          const agg = await runTask("aggregate", args, env);
          assertEquals(agg.code, 0, agg.stdout + agg.stderr);
          assert(/stopped; resumes from its checkpoint/.test(agg.stdout), agg.stdout);
          assertEquals(await treeDigests(join(dir, "runs")), before, "aggregate changed no run");
          assertEquals(JSON.parse(await Deno.readTextFile(jobsFile)).length, 1, "aggregate submitted nothing");

          const again = await runTask("reproduce", [...args, ...slurm], env);
          assertEquals(again.code, 0, again.stdout + again.stderr);
          const want = await hashes(localSlow, "long");
          const got = await hashes(dir, "long");
          assertEquals(got.size, 3);
          for (const [k, h] of got) assertEquals(h, want.get(k), `run ${k}`);
        },
      );

      await t.step("a task over its memory is reported failed with the reason, and not retried forever", async () => {
        const dir = await Deno.makeTempDir();
        const r = await runTask(
          "reproduce",
          fixtureArgs(
            dir,
            "--only",
            "seed=0",
            "--only",
            "label=a",
            "--set",
            "alloc_mb=1200",
            "--executor",
            "slurm",
            "--mem",
            "400M",
            "--retries",
            "5",
          ),
          env,
        );
        assertEquals(r.code, 1, r.stdout + r.stderr);
        assert(r.stderr.includes("FAILED run"), r.stderr);
        assert(/Slurm state (OUT_OF_MEMORY|FAILED)/.test(r.stderr), `the failure names its Slurm state:\n${r.stderr}`);
        assert(r.stderr.includes("after 2 submissions"), r.stderr);
        assert(/log: .*slurm\/2\/\d+_0\.out/.test(r.stderr), r.stderr);
      });

      await t.step(
        "--detach returns with the job id; a later reproduce says what still runs, then aggregates",
        async () => {
          const dir = await Deno.makeTempDir();
          const args = fixtureArgs(
            dir,
            "--profile",
            "long",
            "--only",
            "label=a",
            "--executor",
            "slurm",
            "--mem",
            "600M",
          );
          const r = await runTask("reproduce", [...args, "--detach"], env);
          assertEquals(r.code, 0, r.stdout + r.stderr);
          const job = r.stderr.match(/Job (\d+) runs 3 tasks/)?.[1];
          assert(job, r.stderr);
          const soon = await runTask("reproduce", fixtureArgs(dir, "--profile", "long", "--only", "label=a"), env);
          assert(soon.code === 3 || soon.code === 0, soon.stdout + soon.stderr);
          if (soon.code === 3) assert(soon.stderr.includes(`still running under Slurm job ${job}`), soon.stderr);
          for (let i = 0; i < 600; i++) {
            const q = await new Deno.Command("squeue", { args: ["-h", "-j", job!], env, stdout: "piped" }).output();
            if (!new TextDecoder().decode(q.stdout).trim()) break;
            await new Promise((res) => setTimeout(res, 200));
          }
          const later = await runTask("reproduce", fixtureArgs(dir, "--profile", "long", "--only", "label=a"), env);
          assertEquals(later.code, 0, later.stdout + later.stderr);
          assert(later.stdout.includes("3 runs cached"), later.stdout);
        },
      );

      await t.step("a lock held by a Slurm job on another host is stale once Slurm says the job ended", async () => {
        const submit = async (wrap: string) => {
          const o = await new Deno.Command("sbatch", {
            // --output keeps the job's log out of the working directory.
            args: ["--parsable", "--mem=100M", "--output=/dev/null", "--wrap", wrap],
            env,
            stdout: "piped",
          })
            .output();
          return new TextDecoder().decode(o.stdout).trim();
        };
        const running = await submit("sleep 30"), ended = await submit("true");
        for (let i = 0; i < 100; i++) {
          const q = await new Deno.Command("squeue", { args: ["-h", "-j", ended], env, stdout: "piped" }).output();
          if (!new TextDecoder().decode(q.stdout).trim()) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const dir = await Deno.makeTempDir();
        const lockOf = (job: string) =>
          JSON.stringify({
            pid: 1,
            hostname: "node-elsewhere",
            proc_start: null,
            started: "x",
            purpose: "run r",
            slurm_job: job,
          });
        // The check runs in a subprocess that sees the cluster's SLURM_CONF.
        const probe = async (job: string) => {
          await Deno.writeTextFile(join(dir, ".lock"), lockOf(job));
          const code = `import { acquireLock } from "${
            new URL("../../../../lib/engine/run/lock.ts", import.meta.url).href
          }";
            try { const l = await acquireLock("${join(dir, ".lock")}", "x"); await l.release(); console.log("taken"); }
            catch (e) { console.log(e.name); }`;
          const o = await new Deno.Command(Deno.execPath(), { args: ["eval", code], env, stdout: "piped" }).output();
          return new TextDecoder().decode(o.stdout).trim();
        };
        assertEquals(await probe(ended), "taken");
        assertEquals(await probe(running), "LockedError");
        await new Deno.Command("scancel", { args: [running], env }).output();
      });
    } finally {
      await cluster.stop();
    }
  },
});
