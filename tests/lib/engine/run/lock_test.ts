import { assert, assertEquals, assertRejects } from "../../../helpers/assert.ts";
import { join } from "node:path";
import { acquireLock, LockedError, lockHolder, UNWRITTEN_GRACE_MS } from "../../../../lib/engine/run/lock.ts";

/** A lock record of a process on this host that has exited (its pid no longer runs). */
async function goneHolder(): Promise<string> {
  const child = new Deno.Command("true").spawn();
  assert((await child.status).success);
  return JSON.stringify({ pid: child.pid, hostname: Deno.hostname(), proc_start: "1", started: "x", purpose: "old" });
}

Deno.test("acquireLock() refuses a second holder and names the first", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".lock");
  const lock = await acquireLock(path, "Pipeline demo");
  const err = await assertRejects(() => acquireLock(path, "Pipeline demo"), LockedError);
  assert(err.message.includes(`locked by process ${Deno.pid}`), err.message);
  await lock.release();
  const again = await acquireLock(path, "Pipeline demo");
  await again.release();
  await assertRejects(() => Deno.stat(path), Deno.errors.NotFound);
});

Deno.test("acquireLock() takes over a lock whose process is gone", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".lock");
  await Deno.writeTextFile(path, await goneHolder());
  const lock = await acquireLock(path, "new");
  assertEquals(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid);
  await lock.release();
});

Deno.test("acquireLock() does not take over a live process's lock on another host", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".lock");
  await Deno.writeTextFile(
    path,
    JSON.stringify({ pid: 1, hostname: "elsewhere", proc_start: null, started: "x", purpose: "Run r" }),
  );
  const err = await assertRejects(() => acquireLock(path, "Run r"), LockedError);
  assert(err.message.includes("on elsewhere"), err.message);
});

Deno.test("acquireLock() takes over a lock held by a zombie (exited, never reaped)", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".lock");
  // sh starts a short child, prints its pid and becomes `sleep 5`, which never reaps it: a zombie.
  const parent = new Deno.Command("sh", {
    args: ["-c", "sleep 0.1 & echo $!; exec sleep 5"],
    stdout: "piped",
  }).spawn();
  const reader = parent.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  const pid = Number(new TextDecoder().decode(value).trim());
  const stat = () => Deno.readTextFileSync(`/proc/${pid}/stat`);
  const start = stat().slice(stat().lastIndexOf(")") + 2).split(" ")[19];
  for (let i = 0; i < 100 && !/\) Z /.test(stat()); i++) await new Promise((r) => setTimeout(r, 20));
  assert(/\) Z /.test(stat()), `process ${pid} is a zombie`);
  await Deno.writeTextFile(
    path,
    JSON.stringify({ pid, hostname: Deno.hostname(), proc_start: start, started: "x", purpose: "Pipeline demo" }),
  );
  try {
    const lock = await acquireLock(path, "new");
    assertEquals(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid);
    await lock.release();
  } finally {
    parent.kill("SIGKILL");
    await parent.status;
    await parent.stdout.cancel().catch(() => {});
  }
});

Deno.test("acquireLock() counts an empty lock file younger than the grace period as held", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".lock");
  // Created by a writer that has not written it yet (on NFS the two can be seconds apart).
  await Deno.writeTextFile(path, "");
  const err = await assertRejects(() => acquireLock(path, "Run r"), LockedError);
  assert(err.message.includes("not written yet (empty"), err.message);
  assertEquals(await Deno.readTextFile(path), "", "the lock file is left to its writer");
});

Deno.test("acquireLock() takes over an empty lock file older than the grace period (a writer that crashed)", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".lock");
  await Deno.writeTextFile(path, "");
  const old = new Date(Date.now() - UNWRITTEN_GRACE_MS - 1000);
  await Deno.utime(path, old, old);
  const lock = await acquireLock(path, "Run r");
  assertEquals(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid);
  await lock.release();
});

Deno.test("lockHolder() names a live holder, and nobody for a missing, stale or unreadable lock", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, ".lock");
  assertEquals(await lockHolder(path), null);
  const lock = await acquireLock(path, "Run r");
  assertEquals((await lockHolder(path))?.pid, Deno.pid);
  await lock.release();
  await Deno.writeTextFile(path, await goneHolder());
  assertEquals(await lockHolder(path), null, "a holder that exited");
  await Deno.writeTextFile(path, "{");
  assertEquals(await lockHolder(path), null, "unreadable");
});
