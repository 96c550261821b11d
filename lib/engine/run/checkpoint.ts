/**
 * The checkpoint file format, shared by real runs and the in-memory context
 * that experiment tests use: tensors as safetensors, with the step, the
 * experiment's JSON state, the rows reported so far and bookkeeping in its
 * metadata. A checkpoint that does not round-trip through these bytes (a
 * non-JSON state, a tensor of the wrong size) fails in a test exactly as it
 * would fail in a run.
 *
 * @example
 * ```ts
 * import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const bytes = encodeCheckpoint({ step: 1, tensors: {}, state: { n: 2 } }, { key: "k", rows: {}, elapsed: 0, attempts: 1 });
 * assertEquals(decodeCheckpoint(bytes, "k").data.state, { n: 2 });
 * ```
 * @module
 */
import type { CheckpointData } from "../experiment.ts";
import { decodeSafetensors, encodeSafetensors } from "../../util/safetensors.ts";

/** The format tag in every checkpoint's metadata. */
export const CHECKPOINT_FORMAT = "repro-checkpoint/1";

/** What a checkpoint file holds besides the experiment's data. */
export interface CheckpointMeta {
  /** The run key it belongs to. */
  key: string;
  /** Rows reported before it, formatted, by table. */
  rows: Record<string, string[][]>;
  /** Wall time spent before it (s). */
  elapsed: number;
  attempts: number;
}

/** The bytes of a checkpoint. Throws when the state is not JSON (an experiment bug). */
export function encodeCheckpoint(data: CheckpointData, meta: CheckpointMeta): Uint8Array {
  const state = JSON.stringify(data.state);
  if (state === undefined) throw new Error("A checkpoint's state must be JSON-able (got undefined)");
  return encodeSafetensors(data.tensors, {
    format: CHECKPOINT_FORMAT,
    key: meta.key,
    step: String(data.step),
    state,
    rows: JSON.stringify(meta.rows),
    elapsed: String(meta.elapsed),
    attempts: String(meta.attempts),
  });
}

/** A checkpoint read back; throws naming what does not fit (format, run key). */
export function decodeCheckpoint(bytes: Uint8Array, key: string, where = "checkpoint"): {
  data: CheckpointData;
  meta: CheckpointMeta;
} {
  const { tensors, metadata } = decodeSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new Error(`Checkpoint ${where} has format '${metadata.format}', expected ${CHECKPOINT_FORMAT}`);
  }
  if (metadata.key !== key) throw new Error(`Checkpoint ${where} belongs to run ${metadata.key}, not ${key}`);
  return {
    data: { step: Number(metadata.step), tensors, state: JSON.parse(metadata.state) },
    meta: {
      key,
      rows: JSON.parse(metadata.rows),
      elapsed: Number(metadata.elapsed),
      attempts: Number(metadata.attempts),
    },
  };
}
