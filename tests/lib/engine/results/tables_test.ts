import { assertEquals, assertThrows } from "../../../helpers/assert.ts";
import type { TableSpec } from "../../../../lib/engine/experiment.ts";
import {
  checkRow,
  checkTableSpecs,
  NonFiniteMetricError,
  parseCsv,
  toCsv,
} from "../../../../lib/engine/results/tables.ts";

const spec: TableSpec = {
  name: "metrics",
  doc: "",
  step: "epoch",
  columns: [
    { name: "epoch", type: "int", role: "index", doc: "" },
    { name: "loss", type: "f32", role: "metric", doc: "" },
    { name: "note", type: "str", role: "metric", doc: "", nullable: true },
  ],
};

Deno.test("checkRow() formats cells in column order", () => {
  assertEquals(checkRow(spec, { note: "a,b", loss: Math.fround(0.3), epoch: 2 }), ["2", "0.3", "a,b"]);
  assertEquals(checkRow(spec, { epoch: 1, loss: 1, note: null }), ["1", "1", ""]);
});

Deno.test("checkRow() rejects NaN with the step, and unknown or missing columns", () => {
  const e = assertThrows(
    () => checkRow(spec, { epoch: 7, loss: NaN, note: null }),
    NonFiniteMetricError,
  ) as NonFiniteMetricError;
  assertEquals(e.message, "Metric 'loss' of table 'metrics' is NaN at epoch 7");
  assertEquals(e.step, { column: "epoch", value: 7 });
  assertThrows(() => checkRow(spec, { epoch: 1, loss: Infinity, note: null }), /is Infinity at epoch 1/);
  assertThrows(() => checkRow(spec, { epoch: 1, loss: 1, note: null, extra: 1 }), /has no column 'extra'/);
  assertThrows(() => checkRow(spec, { epoch: 1, note: null }), /lacks column 'loss'/);
  assertThrows(
    () => checkRow(spec, { epoch: 1.5, loss: 1, note: null }),
    /Column 'epoch' of table 'metrics': Expected an integer, got 1.5/,
  );
});

Deno.test("toCsv() writes a header, quotes only when needed and ends lines with \\n", () => {
  const text = toCsv(spec, [["1", "0.5", "plain"], ["2", "0.25", 'say "hi", twice']]);
  assertEquals(text, 'epoch,loss,note\n1,0.5,plain\n2,0.25,"say ""hi"", twice"\n');
  assertEquals(parseCsv(text, "t.csv").rows[1], ["2", "0.25", 'say "hi", twice']);
});

Deno.test("checkTableSpecs() requires metrics first and a step that is an index column", () => {
  assertThrows(() => checkTableSpecs([{ ...spec, name: "other" }], "x"), /must declare 'metrics' as its first table/);
  assertThrows(
    () => checkTableSpecs([{ ...spec, step: "loss" }], "x"),
    /names step 'loss', which is not one of its index columns/,
  );
  checkTableSpecs([spec], "x");
});
