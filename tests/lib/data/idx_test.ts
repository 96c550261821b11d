import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { parseIdx } from "../../../lib/data/idx.ts";

const labels = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 9);

Deno.test("parseIdx() reads dimensions and values", () => {
  const { dims, data } = parseIdx(labels, "labels", 1);
  assertEquals(dims, [3]);
  assertEquals([...data], [7, 2, 9]);
  const img = parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4), "img", 3);
  assertEquals(img.dims, [1, 2, 2]);
});

Deno.test("parseIdx() names a wrong magic number, gzip data, truncation and trailing bytes", () => {
  assertThrows(() => parseIdx(Uint8Array.of(1, 0, 8, 1, 0, 0, 0, 0), "f"), /f: wrong IDX magic number 0x01000801/);
  assertThrows(() => parseIdx(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0), "f"), /this is gzip data/);
  assertThrows(() => parseIdx(labels, "f", 3), /1 dimensions, expected 3/);
  assertThrows(() => parseIdx(Uint8Array.of(0, 0, 0x0d, 1, 0, 0, 0, 0), "f"), /type code 0xd is not 0x08/);
  assertThrows(
    () => parseIdx(labels.subarray(0, 10), "f"),
    /truncated: dimensions \[3\] need 11 bytes, the file has 10/,
  );
  assertThrows(() => parseIdx(Uint8Array.of(...labels, 5), "f"), /1 bytes after the \[3\] values/);
  assertThrows(() => parseIdx(Uint8Array.of(0, 0), "f"), /not even a header/);
});
