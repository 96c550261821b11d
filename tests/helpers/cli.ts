/**
 * Runs the project's tasks as a user would, in a subprocess.
 *
 * @example
 * ```ts
 * import { runTask } from "./cli.ts";
 * const { code, stdout } = await runTask("reproduce", ["--help"]);
 * ```
 * @module
 */
import { join } from "node:path";
import { repoRoot } from "../../lib/util/repo.ts";

/** Output of a finished task. */
export interface TaskResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fixture registry and pipeline, for engine tests. */
export const FIXTURE = {
  registry: join(repoRoot(), "tests/fixtures/experiments/registry.ts"),
  pipeline: join(repoRoot(), "tests/fixtures/pipelines/regression.yaml"),
};

/** The deno command line that runs a script of the repository (path relative to its root). */
export function scriptCommand(path: string, args: string[]): string[] {
  return ["run", "--allow-all", "--quiet", "--config", join(repoRoot(), "deno.json"), join(repoRoot(), path), ...args];
}

/** The deno command line of a task file under tasks/. */
export function taskCommand(task: string, args: string[]): string[] {
  return scriptCommand(`tasks/${task}.ts`, args);
}

function spawnCommand(args: string[], env: Record<string, string>, bin = Deno.execPath()): Deno.ChildProcess {
  return new Deno.Command(bin, {
    args,
    cwd: repoRoot(),
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs a script of the repository (path relative to its root) with args and waits for it. */
export function runScript(path: string, args: string[], env: Record<string, string> = {}): Promise<TaskResult> {
  return collect(spawnCommand(scriptCommand(path, args), env));
}

/** Runs `tasks/<task>.ts` with args and waits for it. */
export function runTask(task: string, args: string[], env: Record<string, string> = {}): Promise<TaskResult> {
  return runScript(`tasks/${task}.ts`, args, env);
}

/** Starts a task without waiting. */
export function spawnTask(task: string, args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return spawnCommand(taskCommand(task, args), env);
}

/**
 * Starts `deno task <task> args` as a terminal starts a command: in a process
 * group of its own, whose id is the child's pid, so that a signal can be sent
 * to the whole group as Ctrl-C sends it (`signalGroup`).
 */
export function spawnTaskGroup(task: string, args: string[], env: Record<string, string> = {}): Deno.ChildProcess {
  return spawnCommand([Deno.execPath(), "task", task, ...args], env, "setsid");
}

/** Sends a signal to every process of a group, as a terminal's Ctrl-C does (SIGINT to the foreground group). */
export async function signalGroup(pgid: number, signal: "INT" | "TERM" = "INT"): Promise<void> {
  const o = await new Deno.Command("kill", { args: [`-${signal}`, "--", `-${pgid}`], stderr: "piped" }).output();
  if (!o.success) throw new Error(`kill -${signal} -- -${pgid}: ${new TextDecoder().decode(o.stderr)}`);
}

/** Reads a finished child's output. */
export async function collect(child: Deno.ChildProcess): Promise<TaskResult> {
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Reproduce-style arguments for the fixture pipeline into a results folder. */
export function fixtureArgs(results: string, ...extra: string[]): string[] {
  return [
    FIXTURE.pipeline,
    "--registry",
    FIXTURE.registry,
    "--results",
    results,
    "--backend",
    "wasm",
    "--progress",
    "lines",
    "--no-plots",
    ...extra,
  ];
}

/** Waits until `path` exists (polling), or throws after `timeoutMs`. */
export async function waitFor(path: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`Timed out waiting for ${path}`);
}
