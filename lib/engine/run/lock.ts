/**
 * Lock files that keep two processes off the same run or pipeline.
 *
 * A lock is a file created with O_EXCL holding who took it. A lock whose owner
 * is gone (same host, and no live process with that pid and start time) is
 * stale and is taken over; any other existing lock is refused with a message
 * naming its holder.
 *
 * @example
 * ```ts
 * import { acquireLock } from "./lock.ts";
 * const lock = await acquireLock("/tmp/example.lock", "example");
 * try {
 *   // exclusive work
 * } finally {
 *   await lock.release();
 * }
 * ```
 * @module
 */
import { dirname } from "node:path";

/** What a lock file records about its holder. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** Process start time from /proc (clock ticks since boot), to tell pid reuse apart. */
  proc_start: string | null;
  started: string;
  purpose: string;
}

/** A held lock. */
export interface Lock {
  path: string;
  info: LockInfo;
  release(): Promise<void>;
}

/** Thrown when another live process holds the lock. */
export class LockedError extends Error {
  constructor(readonly path: string, readonly holder: LockInfo | null) {
    super(
      holder
        ? `${holder.purpose} is locked by process ${holder.pid} on ${holder.hostname} since ${holder.started} (lock file ${path})`
        : `Lock file ${path} exists and could not be read`,
    );
    this.name = "LockedError";
  }
}

async function procStart(pid: number): Promise<string | null> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Field 22 (starttime) counted after the ")" that closes the command name.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the holder certainly no longer runs (only decidable on the same host). */
async function isStale(info: LockInfo): Promise<boolean> {
  if (info.hostname !== Deno.hostname()) return false;
  if (Deno.build.os !== "linux") return false;
  const start = await procStart(info.pid);
  if (start === null) return true; // no such process
  return info.proc_start !== null && start !== info.proc_start; // pid reused
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
    if (holder === null || await isStale(holder)) {
      const again = await Deno.readTextFile(path).catch(() => null);
      if (again === held) await Deno.remove(path).catch(() => {});
      continue;
    }
    throw new LockedError(path, holder);
  }
  throw new LockedError(path, null);
}
