/**
 * A real single-node Slurm cluster on localhost for tests (Debian's
 * slurm-wlm and munge; facts in shared/references/slurm.md): a slurm.conf in
 * a temporary folder (SLURM_CONF points the daemons and the commands at it),
 * munged, slurmctld and slurmd started, and stopped after.
 *
 * @example
 * ```ts
 * import { slurmUnavailable, startCluster } from "./slurm.ts";
 * // if (!(await slurmUnavailable())) { const c = await startCluster(); ...; await c.stop(); }
 * ```
 * @module
 */
import { join } from "node:path";

/** Why no cluster can be started here, or null when one can. */
export async function slurmUnavailable(): Promise<string | null> {
  if (Deno.build.os !== "linux") return "Slurm tests need Linux";
  if (Deno.uid() !== 0) return "Slurm tests start daemons as root; this is not root";
  for (const bin of ["slurmctld", "slurmd", "sbatch", "squeue", "munged"]) {
    const found = await new Deno.Command("sh", { args: ["-c", `command -v ${bin} || test -x /usr/sbin/${bin}`] })
      .output();
    if (!found.success) return `${bin} is not installed (apt-get install slurm-wlm munge; .ci/run does)`;
  }
  return null;
}

async function sh(script: string, env: Record<string, string> = {}): Promise<string> {
  const o = await new Deno.Command("bash", { args: ["-c", script], env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(o.stdout) + new TextDecoder().decode(o.stderr);
  if (!o.success) throw new Error(`${script}\n${text}`);
  return text;
}

/** A running cluster. */
export interface Cluster {
  dir: string;
  /** Environment for Slurm commands and for tasks that submit (SLURM_CONF). */
  env: Record<string, string>;
  /** jobcomp's lines (one per finished job). */
  jobcomp(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts munged (if needed), slurmctld and slurmd with a fresh state; resolves once the node is idle. */
export async function startCluster(): Promise<Cluster> {
  const dir = await Deno.makeTempDir({ prefix: "slurm-" });
  for (const d of ["state", "spool", "log"]) await Deno.mkdir(join(dir, d));
  const node = (await sh("slurmd -C | head -1")).trim();
  const host = (await sh("hostname -s")).trim();
  const conf = [
    "ClusterName=repro",
    `SlurmctldHost=${host}(127.0.0.1)`,
    "SlurmUser=root",
    "AuthType=auth/munge",
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core_Memory",
    "DefMemPerCPU=1024",
    "EnforcePartLimits=ALL",
    "ReturnToService=2",
    "MinJobAge=300",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/filetxt",
    `JobCompLoc=${join(dir, "log", "jobcomp.txt")}`,
    "JobAcctGatherType=jobacct_gather/linux",
    "JobAcctGatherParams=OverMemoryKill",
    "JobAcctGatherFrequency=1",
    "AuthInfo=cred_expire=10",
    "MailProg=/bin/true",
    "MpiDefault=none",
    `StateSaveLocation=${join(dir, "state")}`,
    `SlurmdSpoolDir=${join(dir, "spool")}`,
    `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
    `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
    `SlurmctldLogFile=${join(dir, "log", "slurmctld.log")}`,
    `SlurmdLogFile=${join(dir, "log", "slurmd.log")}`,
    `${node} NodeAddr=127.0.0.1 State=UNKNOWN`,
    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    "",
  ].join("\n");
  await Deno.writeTextFile(join(dir, "slurm.conf"), conf);
  const env = { SLURM_CONF: join(dir, "slurm.conf") };
  // munged: one per machine; a second exits 1 ("Failed to lock"), so only start it when its socket is missing.
  await sh(
    "test -S /run/munge/munge.socket.2 && munge -n >/dev/null 2>&1 || { install -d -o munge -g munge -m 0755 /run/munge; runuser -u munge -- /usr/sbin/munged; for i in $(seq 50); do test -S /run/munge/munge.socket.2 && break; sleep 0.1; done; }",
  );
  await sh("slurmctld -c && slurmd", env);
  for (let i = 0; i < 100; i++) {
    const state = await sh("sinfo -h -o %t", env).catch(() => "");
    if (state.trim() === "idle") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    dir,
    env,
    jobcomp: () => Deno.readTextFile(join(dir, "log", "jobcomp.txt")).catch(() => ""),
    async stop() {
      // Cancel every job and wait for an empty queue before stopping slurmd (it leaves running steps behind).
      await sh("scancel --full $(squeue -h -o %A | sort -u) 2>/dev/null || true", env);
      for (let i = 0; i < 100 && (await sh("squeue -h", env).catch(() => "")).trim(); i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const pid of ["slurmd.pid", "slurmctld.pid"]) {
        await sh(
          `p=$(cat ${
            join(dir, pid)
          } 2>/dev/null) && kill $p 2>/dev/null; for i in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done`,
        ).catch(() => {});
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
