import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { decodeSafetensors, encodeSafetensors } from "../../../lib/util/safetensors.ts";

Deno.test("encodeSafetensors() writes the documented layout", () => {
  const bytes = encodeSafetensors({
    b: { shape: [2], data: Float32Array.of(1, 2) },
    a: { shape: [1], data: Uint8Array.of(7) },
  }, { k: "v" });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assertEquals((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assertEquals(header.__metadata__, { k: "v" });
  assertEquals(header.a, { dtype: "U8", shape: [1], data_offsets: [0, 1] });
  assertEquals(header.b, { dtype: "F32", shape: [2], data_offsets: [1, 9] });
  assertEquals(bytes.length, 8 + n + 9);
  assertEquals(new DataView(bytes.buffer).getFloat32(8 + n + 1, true), 1);
});

Deno.test("decodeSafetensors() round-trips every dtype", () => {
  const t = {
    f: { shape: [2, 2], data: Float32Array.of(1, -2, 3.5, 0) },
    d: { shape: [1], data: Float64Array.of(Math.PI) },
    i: { shape: [3], data: Int32Array.of(-1, 0, 1) },
    u: { shape: [0], data: new Uint32Array(0) },
  };
  const { tensors, metadata } = decodeSafetensors(encodeSafetensors(t));
  assertEquals(metadata, {});
  for (const [k, v] of Object.entries(t)) {
    assertEquals(tensors[k].shape, v.shape);
    assertEquals(Array.from(tensors[k].data), Array.from(v.data));
    assertEquals(tensors[k].data.constructor, v.data.constructor);
  }
});

Deno.test("safetensors rejects mismatched shapes and truncated data", () => {
  assertThrows(
    () => encodeSafetensors({ w: { shape: [3], data: new Float32Array(2) } }),
    /shape \[3\] \(3 values\) but 2 values/,
  );
  const bytes = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
  assertThrows(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4)), /do not fit shape/);
  assertThrows(() => decodeSafetensors(bytes.subarray(0, 5)), /truncated/);
});
