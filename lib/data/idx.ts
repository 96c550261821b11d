/**
 * The IDX file format of MNIST: a big-endian magic number (two zero bytes, a
 * type code, the number of dimensions), each dimension as a big-endian int32,
 * then the values. Only unsigned bytes (type 0x08) are supported.
 *
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const bytes = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 2, 7, 9);
 * const { dims, data } = parseIdx(bytes, "labels");
 * assertEquals(dims, [2]);
 * data; // Uint8Array [7, 9]
 * ```
 * @module
 */

/** A parsed IDX file. */
export interface IdxArray {
  dims: number[];
  /** The values, row-major; a view into the input bytes. */
  data: Uint8Array;
}

/**
 * Parses IDX bytes. Throws with `name` in the message on a wrong magic number,
 * an unsupported type, a truncated file or trailing bytes.
 * @param expectDims if given, the number of dimensions required (3 for images, 1 for labels).
 */
export function parseIdx(bytes: Uint8Array, name: string, expectDims?: number): IdxArray {
  if (bytes.length < 4) throw new Error(`${name}: IDX file is truncated: ${bytes.length} bytes, not even a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const hex = `0x${magic.toString(16).padStart(8, "0")}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hint = bytes[0] === 0x1f && bytes[1] === 0x8b ? " (this is gzip data; it should have been decompressed)" : "";
    throw new Error(`${name}: wrong IDX magic number ${hex}${hint}`);
  }
  if (bytes[2] !== 0x08) {
    throw new Error(`${name}: IDX type code 0x${bytes[2].toString(16)} is not 0x08 (unsigned byte); magic ${hex}`);
  }
  const ndims = bytes[3];
  if (expectDims !== undefined && ndims !== expectDims) {
    throw new Error(`${name}: wrong IDX magic number ${hex}: ${ndims} dimensions, expected ${expectDims}`);
  }
  const header = 4 + 4 * ndims;
  if (bytes.length < header) {
    throw new Error(`${name}: IDX file is truncated inside its header (${bytes.length} bytes)`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getInt32(4 + 4 * i, false));
  if (dims.some((d) => d < 0)) throw new Error(`${name}: negative IDX dimension in [${dims}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  const need = header + count;
  if (bytes.length < need) {
    throw new Error(
      `${name}: IDX file is truncated: dimensions [${dims}] need ${need} bytes, the file has ${bytes.length}`,
    );
  }
  if (bytes.length > need) {
    throw new Error(`${name}: IDX file has ${bytes.length - need} bytes after the [${dims}] values`);
  }
  return { dims, data: bytes.subarray(header, need) };
}
