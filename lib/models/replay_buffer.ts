/**
 * An experience replay memory of fixed-size transitions (as the official
 * ANGC code's Buffer): a ring of `capacity` records, each a row of float32
 * fields, sampled uniformly with replacement from the seeded Rng.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { ReplayBuffer } from "./replay_buffer.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const buf = new ReplayBuffer({ s: 2, a: 1, r: 1 }, 1000);
 * buf.record({ s: [0.1, 0.2], a: [1], r: [-1] });
 * const batch = buf.sample(4, Rng.fromSeed(0)); // batch.s: Float32Array [4 * 2]
 * assertEquals(buf.size, 1);
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";

/** Field widths by name. */
export type Fields = Record<string, number>;

/** A replay memory. */
export class ReplayBuffer {
  readonly fields: Fields;
  readonly capacity: number;
  /** Records ever recorded (the ring overwrites the oldest past capacity). */
  count = 0;
  private data: Record<string, Float32Array>;
  private allocated: number;

  constructor(fields: Fields, capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new Error(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    }
    this.fields = fields;
    this.capacity = capacity;
    this.allocated = Math.min(capacity, 1024);
    this.data = Object.fromEntries(Object.entries(fields).map(([k, w]) => [k, new Float32Array(this.allocated * w)]));
  }

  /** Records held: min(count, capacity). */
  get size(): number {
    return Math.min(this.count, this.capacity);
  }

  /** Appends one record (every field, with its width). */
  record(item: Record<string, ArrayLike<number>>): void {
    const index = this.count % this.capacity;
    if (index >= this.allocated) this.grow();
    for (const [k, w] of Object.entries(this.fields)) {
      const v = item[k];
      if (!v || v.length !== w) {
        throw new Error(`ReplayBuffer.record(): field '${k}' needs ${w} values, got ${v?.length}`);
      }
      this.data[k].set(v, index * w);
    }
    this.count++;
  }

  private grow(): void {
    const next = Math.min(this.capacity, this.allocated * 2);
    for (const [k, w] of Object.entries(this.fields)) {
      const a = new Float32Array(next * w);
      a.set(this.data[k]);
      this.data[k] = a;
    }
    this.allocated = next;
  }

  /** `n` records drawn uniformly with replacement: each field as [n, width]. */
  sample(n: number, rng: Rng): Record<string, Float32Array> {
    if (this.size === 0) throw new Error("ReplayBuffer.sample(): the buffer is empty");
    const out = Object.fromEntries(Object.entries(this.fields).map(([k, w]) => [k, new Float32Array(n * w)]));
    for (let i = 0; i < n; i++) {
      const j = rng.int(this.size);
      for (const [k, w] of Object.entries(this.fields)) out[k].set(this.data[k].subarray(j * w, (j + 1) * w), i * w);
    }
    return out;
  }

  /** The held records, for a checkpoint: each field as [size, width]. */
  snapshot(): Record<string, Float32Array> {
    return Object.fromEntries(Object.entries(this.fields).map(([k, w]) => [k, this.data[k].slice(0, this.size * w)]));
  }

  /** The held records as named tensors `<prefix>.<field>` (flat), for a checkpoint. */
  toNamed(prefix: string): Record<string, { shape: number[]; data: Float32Array }> {
    return Object.fromEntries(
      Object.entries(this.snapshot()).map(([k, v]) => [`${prefix}.${k}`, { shape: [v.length], data: v }]),
    );
  }

  /** A buffer from the named tensors `toNamed` wrote, holding `count` records ever recorded. */
  static fromNamed(
    fields: Fields,
    capacity: number,
    count: number,
    tensors: Record<string, { data: ArrayLike<number> }>,
    prefix: string,
  ): ReplayBuffer {
    const snap = Object.fromEntries(
      Object.keys(fields).map((k) => {
        const t = tensors[`${prefix}.${k}`];
        if (!t) throw new Error(`ReplayBuffer.fromNamed(): no tensor '${prefix}.${k}'`);
        return [k, Float32Array.from(t.data)];
      }),
    );
    return ReplayBuffer.restore(fields, capacity, count, snap);
  }

  /** Restores a snapshot taken after `count` records. */
  static restore(fields: Fields, capacity: number, count: number, snap: Record<string, Float32Array>): ReplayBuffer {
    const b = new ReplayBuffer(fields, capacity);
    const size = Math.min(count, capacity);
    while (b.allocated < size) b.grow();
    for (const [k, w] of Object.entries(fields)) {
      if (snap[k]?.length !== size * w) {
        throw new Error(`ReplayBuffer.restore(): field '${k}' has ${snap[k]?.length} values, expected ${size * w}`);
      }
      b.data[k].set(snap[k]);
    }
    b.count = count;
    return b;
  }
}
