/**
 * `deno task reference [pipeline ...]`: regenerates results/reference/, the
 * committed result hashes of every pipeline's smoke profile on the wasm
 * backend. Run it after a change that is meant to change results, and commit
 * the new hashes with it. tests/reference_test.ts checks a fresh smoke run
 * against them: that is how a second machine proves it reproduces the first.
 * @module
 */
import { join } from "node:path";
import { runMain } from "../lib/engine/commands/cli.ts";
import { writeFileAtomic, writeJsonAtomic } from "../lib/util/atomic.ts";
import { runtimeVersions } from "../lib/engine/run/backend.ts";
import { machineInfo } from "../lib/util/machine.ts";
import { repoRoot } from "../lib/util/repo.ts";
import { pipelineNames, reproduce } from "../lib/engine/commands/reproduce.ts";

if (import.meta.main) {
  await runMain(async () => {
    const names = Deno.args.length ? Deno.args : await pipelineNames();
    for (const name of names) {
      const tmp = await Deno.makeTempDir();
      const { exitCode } = await reproduce({
        pipeline: name,
        profile: "smoke",
        backend: "wasm",
        resultsDir: tmp,
        progress: "lines",
        noPlots: true,
      });
      if (exitCode !== 0) {
        console.error(`${name}: the smoke run failed (exit ${exitCode})`);
        return exitCode;
      }
      const target = join(repoRoot(), "results", "reference", name, "smoke");
      await writeFileAtomic(
        join(target, "hashes.csv"),
        await Deno.readTextFile(join(tmp, name, "smoke", "hashes.csv")),
      );
      await writeJsonAtomic(join(target, "environment.json"), {
        machine: await machineInfo(),
        versions: runtimeVersions(),
        backend: "wasm",
      });
      console.log(`Wrote ${join(target, "hashes.csv")}`);
      await Deno.remove(tmp, { recursive: true });
    }
    return 0;
  });
}
