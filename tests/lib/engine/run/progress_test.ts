import { assert, assertEquals } from "../../../helpers/assert.ts";
import { createProgress } from "../../../../lib/engine/run/progress.ts";

Deno.test("createProgress() prints plain lines when not on a terminal", () => {
  const lines: string[] = [];
  const p = createProgress({ total: 2, terminal: false, intervalS: 3600, write: (l) => lines.push(l) });
  p.runStarted("aaaaaaaaaaaaaaaa", "label=a seed 0");
  p.runProgress("aaaaaaaaaaaaaaaa", 5, 10, "epoch 5/10");
  p.runEnded("aaaaaaaaaaaaaaaa", "complete");
  p.runStarted("bbbbbbbbbbbbbbbb", "label=b seed 0");
  p.runEnded("bbbbbbbbbbbbbbbb", "failed");
  p.stop();
  assertEquals(lines, [
    "[run] start aaaaaaaaaaaa label=a seed 0",
    "[run] complete aaaaaaaaaaaa label=a seed 0 (1/2 done)",
    "[run] start bbbbbbbbbbbb label=b seed 0",
    "[run] failed bbbbbbbbbbbb label=b seed 0 (2/2 done)",
  ]);
});

Deno.test("createProgress() reports the overall fraction and ETA periodically", async () => {
  const lines: string[] = [];
  const p = createProgress({ total: 4, terminal: false, intervalS: 0.05, write: (l) => lines.push(l) });
  p.runStarted("aaaaaaaaaaaaaaaa", "x");
  p.runProgress("aaaaaaaaaaaaaaaa", 1, 2, "epoch 1/2");
  await new Promise((r) => setTimeout(r, 120));
  p.stop();
  const periodic = lines.find((l) => l.startsWith("[progress"));
  assert(periodic !== undefined, lines.join("\n"));
  assert(periodic.includes("0/4 runs done, 13%, ETA"), periodic);
  assert(periodic.includes("running: aaaaaaaa epoch 1/2"), periodic);
});
