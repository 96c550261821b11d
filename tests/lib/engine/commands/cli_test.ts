import { assertEquals, assertThrows } from "../../../helpers/assert.ts";
import { parseReproduceArgs } from "../../../../lib/engine/commands/cli.ts";
import { UserError } from "../../../../lib/util/errors.ts";

Deno.test("parseReproduceArgs() reads repeated --only and YAML-typed --set values", () => {
  const o = parseReproduceArgs([
    "p",
    "--only",
    "seed=0",
    "--only",
    "seed=1",
    "--set",
    "epochs=3",
    "--set",
    "opt.lr=1e-4",
    "--set",
    "name=x",
  ]);
  assertEquals(o.only, { seed: ["0", "1"] });
  assertEquals(o.set, { epochs: 3, opt: { lr: 0.0001 }, name: "x" });
  assertEquals(o.backend, "auto");
});

Deno.test("parseReproduceArgs() rejects unknown flags and bad values with a message", () => {
  assertThrows(() => parseReproduceArgs(["p", "--jobz", "2"]), UserError, /Unknown option '--jobz'/);
  assertThrows(() => parseReproduceArgs(["p", "--jobs", "0"]), /--jobs must be a positive integer, got '0'/);
  assertThrows(
    () => parseReproduceArgs(["p", "--backend", "tpu"]),
    /--backend must be auto, wasm, webgpu or cpu, got 'tpu'/,
  );
  assertThrows(() => parseReproduceArgs(["p", "--only", "seed"]), /--only expects KEY=VALUE, got 'seed'/);
});
