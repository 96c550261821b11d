/**
 * Lock files that keep two processes off the same run or pipeline.
 *
 * A lock is a file created with O_EXCL holding who took it. A lock whose owner
 * is gone (same host, and no live process with that pid and start time; a
 * zombie counts as gone), or whose Slurm job Slurm reports ended (on any
 * host), is stale and is taken over; any other existing lock is refused with
 * a message naming its holder. A lock file that is empty or unreadable is
 * held while it is younger than `UNWRITTEN_GRACE_MS` (its writer created it
 * and has not written it yet: on NFS the two can be seconds apart), and
 * taken over after (a writer that crashed between the two).
 *
 * @example
 * ```ts
 * import { acquireLock } from "./lock.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const lock = await acquireLock("/tmp/example.lock", "example");
 * try {
 *   // exclusive work: a second taker is refused while it is held
 *   await acquireLock("/tmp/example.lock", "other").then(() => assert(false, "taken twice"), () => {});
 * } finally {
 *   await lock.release();
 * }
 * ```
 * @module
 */
import { dirname } from "node:path";
import { jobActive } from "./slurm.ts";

/** What a lock file records about its holder. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** Process start time from /proc (clock ticks since boot), to tell pid reuse apart. */
  proc_start: string | null;
  started: string;
  purpose: string;
  /** The Slurm job (or array task, <job>_<task>) that took it, when one did. */
  slurm_job?: string;
}

/** A held lock. */
export interface Lock {
  path: string;
  info: LockInfo;
  release(): Promise<void>;
}

/** Thrown when another live process holds the lock. */
export class LockedError extends Error {
  constructor(readonly path: string, readonly holder: LockInfo | null, why = "exists and could not be read") {
    super(
      holder
        ? `${holder.purpose} is locked by process ${holder.pid} on ${holder.hostname} since ${holder.started} (lock file ${path})`
        : `Lock file ${path} ${why}`,
    );
    this.name = "LockedError";
  }
}

/** How long an empty or unreadable lock file counts as held (its writer may not have written it yet). */
export const UNWRITTEN_GRACE_MS = 10_000;

/** A process's start time (clock ticks since boot) and state letter from /proc, or null when it does not exist. */
async function procStat(pid: number): Promise<{ start: string | null; state: string } | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the ")" that closes the command name: 3 (state) is first, 22 (starttime) the 20th.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0], start: rest[19] ?? null };
  } catch {
    return null;
  }
}

async function procStart(pid: number): Promise<string | null> {
  return (await procStat(pid))?.start ?? null;
}

/**
 * True when the holder certainly no longer runs (only decidable on the same
 * host): no such process, its pid reused by another process, or a zombie (it
 * exited and nobody reaped it, as in a container whose init does not).
 */
export async function isStale(info: LockInfo): Promise<boolean> {
  // A lock taken by a Slurm task (on this host or another) is stale once Slurm says the job has ended.
  if (info.slurm_job && (await jobActive(info.slurm_job)) === false) return true;
  if (info.hostname !== Deno.hostname()) return false;
  if (Deno.build.os !== "linux") return false;
  const stat = await procStat(info.pid);
  if (stat === null) return true; // no such process
  if (stat.state === "Z" || stat.state === "X") return true; // exited, not reaped
  return info.proc_start !== null && stat.start !== info.proc_start; // pid reused
}

/** Who holds the lock at `path` now: its record, or null when there is no lock or its holder is gone. */
export async function lockHolder(path: string): Promise<LockInfo | null> {
  const text = await Deno.readTextFile(path).catch(() => null);
  if (!text) return null;
  try {
    const info = JSON.parse(text) as LockInfo;
    return (await isStale(info)) ? null : info;
  } catch {
    return null;
  }
}

/** This process's Slurm job: "<array job>_<task>" in an array, else the job id; null outside Slurm. */
function slurmJob(): string | null {
  const array = Deno.env.get("SLURM_ARRAY_JOB_ID"), task = Deno.env.get("SLURM_ARRAY_TASK_ID");
  if (array && task) return `${array}_${task}`;
  return Deno.env.get("SLURM_JOB_ID") ?? null;
}

/**
 * Takes the lock at `path` or throws LockedError.
 * @param purpose what is locked, for messages ("run 3f2a…", "pipeline hnca-bandit").
 */
export async function acquireLock(path: string, purpose: string): Promise<Lock> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const info: LockInfo = {
    pid: Deno.pid,
    hostname: Deno.hostname(),
    proc_start: await procStart(Deno.pid),
    started: new Date().toISOString(),
    purpose,
    ...(slurmJob() ? { slurm_job: slurmJob()! } : {}),
  };
  const text = JSON.stringify(info);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, text, { createNew: true });
      let released = false;
      return {
        path,
        info,
        async release() {
          if (released) return;
          released = true;
          // Remove only our own lock.
          const now = await Deno.readTextFile(path).catch(() => null);
          if (now === text) await Deno.remove(path).catch(() => {});
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const held = await Deno.readTextFile(path).catch(() => null);
    if (held === null) continue; // released meanwhile
    let holder: LockInfo | null = null;
    try {
      holder = JSON.parse(held) as LockInfo;
    } catch {
      holder = null; // a lock is written in one small write; unreadable means a crash mid-write
    }
    if (holder === null) {
      const age = await Deno.stat(path).then((st) => Date.now() - (st.mtime?.getTime() ?? 0), () => null);
      if (age === null) continue; // released meanwhile
      if (age < UNWRITTEN_GRACE_MS) {
        throw new LockedError(
          path,
          null,
          `exists but is not written yet (${held.length ? "unreadable" : "empty"}, ${
            (age / 1000).toFixed(1)
          } s old): another process is taking it`,
        );
      }
    }
    if (holder === null || await isStale(holder)) {
      const again = await Deno.readTextFile(path).catch(() => null);
      if (again === held) await Deno.remove(path).catch(() => {});
      continue;
    }
    throw new LockedError(path, holder);
  }
  throw new LockedError(path, null);
}
