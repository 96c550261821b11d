import { assertEquals } from "../../../helpers/assert.ts";
import { Interrupts } from "../../../../lib/engine/commands/interrupt.ts";

function recorder(windowMs: number) {
  const seen: string[] = [];
  const i = new Interrupts({ windowMs, onFirst: () => seen.push("stop"), onSecond: () => seen.push("quit") });
  return { i, seen };
}

Deno.test("Interrupts: copies of one keypress within the window count once", () => {
  const { i, seen } = recorder(500);
  assertEquals(i.signal.aborted, false);
  i.deliver(10_000);
  i.deliver(10_001); // `deno task` forwards its copy
  i.deliver(10_499);
  assertEquals(seen, ["stop"]);
  assertEquals(i.signal.aborted, true);
});

Deno.test("Interrupts: a second keypress after the window quits, every time it comes", () => {
  const { i, seen } = recorder(500);
  i.deliver(0);
  i.deliver(500);
  i.deliver(900);
  assertEquals(seen, ["stop", "quit", "quit"]);
});
