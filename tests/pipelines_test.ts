/**
 * Every profile of every pipeline under pipelines/ plans without errors (its
 * axes, exclude and include, config values and claims fit the experiment).
 */
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { loadPipeline } from "../lib/engine/pipeline/load.ts";
import { planRuns } from "../lib/engine/pipeline/plan.ts";
import { defaultRegistryUrl, loadRegistry } from "../lib/engine/pipeline/registry.ts";
import { repoRoot } from "../lib/util/repo.ts";
import { pipelineNames } from "../lib/engine/pipeline/load.ts";

const registry = await loadRegistry([defaultRegistryUrl()]);
const environment = { backend: "wasm", versions: { tfjs: "4.22.0", deno: "2.9.6", v8: "v" } };

for (const name of await pipelineNames()) {
  Deno.test(`every profile of pipeline ${name} plans`, async () => {
    const pipeline = await loadPipeline(join(repoRoot(), "pipelines", `${name}.yaml`));
    for (const profile of Object.keys(pipeline.data.profiles)) {
      const plan = await planRuns(pipeline, { profile, registry, environment });
      assert(plan.runs.length > 0, `${name} profile ${profile} has no runs`);
    }
  });
}
