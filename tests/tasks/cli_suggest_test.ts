/**
 * The command line suggests what a user probably meant, and says what to run
 * when a step is missing.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { runTask } from "../helpers/cli.ts";

const DRY = ["--backend", "wasm", "--dry-run"];

Deno.test("a mistyped flag, pipeline, profile, config key or axis value gets a 'did you mean'", async () => {
  const cases: [string[], string][] = [
    [["hnca-bandit", "--profle", "smoke", ...DRY], "Unknown option '--profle'. Did you mean '--profile'?"],
    [["hnca-bandt", ...DRY], "Pipeline 'hnca-bandt' not found"],
    [["hnca-bandt", ...DRY], "Did you mean 'hnca-bandit'?"],
    [["hnca-bandit", "--profile", "quik", ...DRY], "Profile 'quik' does not exist"],
    [["hnca-bandit", "--profile", "quik", ...DRY], "Did you mean 'quick'?"],
    [["hnca-bandit", "--profile", "smoke", "--set", "lrr=0.1", ...DRY], "unknown key 'lrr'. Did you mean 'lr'?"],
    [["hnca-bandit", "--profile", "smoke", "--only", "estimator=hcna", ...DRY], "Did you mean 'hnca'?"],
    [["hnca-bandit", "--profile", "smoke", "--only", "estimatr=hnca", ...DRY], "Did you mean 'estimator'?"],
  ];
  for (const [args, want] of cases) {
    const r = await runTask("reproduce", args);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert(r.stderr.includes(want), `${args.join(" ")}:\n${r.stderr}`);
    assert(!r.stderr.includes("place it at the end of the command"), r.stderr);
  }
});

Deno.test("deno task plot without a summary exits 2 and names the command that makes one", async () => {
  const dir = await Deno.makeTempDir();
  const r = await runTask("plot", ["hnca-bandit", "--profile", "smoke", "--results", dir, "--backend", "wasm"]);
  assertEquals(r.code, 2, r.stderr);
  assert(r.stderr.includes("run 'deno task reproduce hnca-bandit --profile smoke' first"), r.stderr);
  assert(!r.stderr.includes("    at "), "no stack trace");
});
