/**
 * `deno task test` preloads tests/helpers/test_thread_guard.ts, which fails a
 * test module that asks for a WebGPU adapter on its own thread (why: see
 * tests/helpers/webgpu.ts). This runs the task's own `deno test` flags on a
 * module that does so and swallows the error, in a subprocess.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./helpers/assert.ts";
import { repoRoot } from "../lib/util/repo.ts";

Deno.test("the test task's preloaded guard fails a module that asks for a WebGPU adapter on its test thread", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(repoRoot(), "deno.json")));
  const command: string = config.tasks.test.command;
  const flags = command.split(/\s+/).filter((w) => w.startsWith("--"));
  const preload = command.match(/--preload\s+(\S+)/);
  assert(preload, `the test task does not preload the guard: ${command}`);
  assertEquals(preload[1], "tests/helpers/test_thread_guard.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      ...flags.filter((f) => f !== "--preload" && f !== "--doc"),
      "--preload",
      preload[1],
      "tests/fixtures/scripts/adapter_on_test_thread.ts",
    ],
    cwd: repoRoot(),
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(out.code !== 0, `the module passed:\n${text}`);
  assert(text.includes("A WebGPU adapter was requested on a test thread"), text);
});
