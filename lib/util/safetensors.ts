/**
 * The safetensors file format, used for final model parameters and for
 * checkpoints: an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}`
 * padded with spaces to a multiple of 8, then the raw little-endian tensor
 * bytes. Python reads it with `safetensors.numpy.load_file(path)`.
 * Names are written in sorted order so the same tensors give the same bytes.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const bytes = encodeSafetensors({ w: { shape: [2], data: Float32Array.of(1, 2) } }, { epoch: "3" });
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * tensors.w.data; // Float32Array [1, 2]
 * assertEquals(metadata.epoch, "3");
 * ```
 * @module
 */

/** Typed arrays the format carries here, with their safetensors dtype names. */
export type TensorData = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

/** One named tensor. */
export interface NamedTensor {
  shape: number[];
  data: TensorData;
}

const DTYPES: Record<
  string,
  { name: string; make: (b: ArrayBuffer, o: number, n: number) => TensorData; bytes: number }
> = {
  Float32Array: { name: "F32", bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  Float64Array: { name: "F64", bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  Int32Array: { name: "I32", bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  Uint32Array: { name: "U32", bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  Uint8Array: { name: "U8", bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};
const BY_NAME = Object.fromEntries(Object.values(DTYPES).map((d) => [d.name, d]));

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new Error("This machine is big-endian; safetensors files here are little-endian only");
}

/** Encodes tensors and string metadata. Checks every shape against its data length. */
export function encodeSafetensors(
  tensors: Record<string, NamedTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new Error(`Safetensors metadata '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = Object.fromEntries(Object.keys(metadata).sort().map((k) => [k, metadata[k]]));
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const name of names) {
    const { shape, data } = tensors[name];
    const dt = DTYPES[data.constructor.name];
    if (!dt) throw new Error(`Tensor '${name}' has unsupported array type ${data.constructor.name}`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
      throw new Error(`Tensor '${name}' has shape [${shape}] (${count} values) but ${data.length} values`);
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    header[name] = { dtype: dt.name, shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += " ";
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes a safetensors file, checking offsets and lengths; data are fresh aligned copies. */
export function decodeSafetensors(
  bytes: Uint8Array,
): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new Error(`Safetensors data is truncated: ${bytes.length} bytes`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) {
    throw new Error(`Safetensors header length ${n} exceeds the ${bytes.length}-byte file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`Safetensors header is not valid JSON: ${(e as Error).message}`);
  }
  const body = bytes.subarray(8 + n);
  const tensors: Record<string, NamedTensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dt = BY_NAME[dtype];
    if (!dt) throw new Error(`Tensor '${name}' has unsupported dtype ${dtype}`);
    const [begin, end] = data_offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (begin < 0 || end > body.length || end - begin !== count * dt.bytes) {
      throw new Error(
        `Tensor '${name}' has offsets [${begin}, ${end}] that do not fit shape [${shape}] in ${body.length} bytes`,
      );
    }
    const copy = body.slice(begin, end);
    tensors[name] = { shape, data: dt.make(copy.buffer, 0, count) };
  }
  return { tensors, metadata };
}
