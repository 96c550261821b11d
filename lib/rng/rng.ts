/**
 * The one source of randomness in a run: a seeded xoshiro128** generator whose
 * streams are split by purpose.
 *
 * A stream has an immutable *key* (128 bits derived from the run's seed and a
 * path of labels) and a mutable *state* (128 bits, initialised from the key).
 * `stream("init")` derives a child from the parent's key, never from its state,
 * so drawing more numbers in one place never shifts the numbers drawn in
 * another. The state is plain data (`state()` / `Rng.fromState()`), which is
 * what checkpoints store.
 *
 * @example
 * ```ts
 * import { Rng } from "./rng.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const root = Rng.fromSeed(3);
 * const init = root.stream("init");
 * const shuffle = root.stream("shuffle", 0); // epoch 0
 * const w = init.uniform(); // in [0, 1)
 * const order = shuffle.permutation(10);
 * assert(w >= 0 && w < 1);
 * assertEquals([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * ```
 * @module
 */

/** Serializable state of one stream (what a checkpoint stores). */
export interface RngState {
  /** Human-readable derivation path, for example `seed=3/init`. */
  path: string;
  /** The stream's key: four uint32 words. */
  key: number[];
  /** The generator's current state: four uint32 words. */
  s: number[];
}

const GOLDEN = 0x9e3779b9;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Derives a child key from a parent key and a label (128-bit, non-cryptographic).
 * Each label word is absorbed into all four lanes with distinct multipliers,
 * then the lanes are cross-mixed twice, so single-bit changes in the label or
 * parent key avalanche into every output word.
 */
function deriveKey(parent: Uint32Array, label: string): Uint32Array {
  const bytes = new TextEncoder().encode(label);
  const h = Uint32Array.from(parent);
  const mults = [0xcc9e2d51, 0x1b873593, 0x85ebca6b, 0xc2b2ae35];
  const absorb = (w: number) => {
    for (let lane = 0; lane < 4; lane++) {
      let k = Math.imul(w ^ (lane * GOLDEN), mults[lane]);
      k = rotl(k >>> 0, 15 + lane);
      h[lane] = fmix32((h[lane] ^ k) + Math.imul(h[(lane + 1) & 3], 5) + 0xe6546b64);
    }
  };
  absorb(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    absorb(
      bytes[i] | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) |
        ((bytes[i + 3] ?? 0) << 24),
    );
  }
  for (let round = 0; round < 2; round++) {
    for (let lane = 0; lane < 4; lane++) {
      h[lane] = fmix32(h[lane] ^ rotl(h[(lane + 3) & 3], 7) ^ Math.imul(round + 1, GOLDEN));
    }
  }
  return h;
}

/** Expands a key into a non-zero xoshiro state (splitmix32-style). */
function stateFromKey(key: Uint32Array): Uint32Array {
  const s = new Uint32Array(4);
  let x = key[0] ^ fmix32(key[1] ^ 0x5bd1e995) ^ rotl(key[2], 13) ^ rotl(key[3], 27);
  for (let i = 0; i < 4; i++) {
    x = (x + GOLDEN) >>> 0;
    s[i] = fmix32(x ^ key[i]);
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  return s;
}

const ROOT_KEY = Uint32Array.of(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344);

function checkWords(name: string, words: unknown): Uint32Array {
  if (
    !Array.isArray(words) || words.length !== 4 ||
    !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
  ) {
    throw new Error(`RNG state field '${name}' must be four uint32 words, got ${JSON.stringify(words)}`);
  }
  return Uint32Array.from(words as number[]);
}

/** A seeded, splittable stream of random numbers. See the module doc. */
export class Rng {
  readonly path: string;
  readonly #key: Uint32Array;
  readonly #s: Uint32Array;

  private constructor(path: string, key: Uint32Array, s: Uint32Array) {
    this.path = path;
    this.#key = key;
    this.#s = s;
  }

  /**
   * The root stream of a run.
   * @param seed a non-negative safe integer (0 is a valid seed).
   */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new Error(`Seed must be a non-negative safe integer, got ${seed}`);
    }
    const key = deriveKey(ROOT_KEY, `seed:${seed}`);
    return new Rng(`seed=${seed}`, key, stateFromKey(key));
  }

  /** Restores a stream saved by `state()`. */
  static fromState(state: RngState): Rng {
    if (typeof state !== "object" || state === null || typeof state.path !== "string") {
      throw new Error(`RNG state must be an object with a string 'path', got ${JSON.stringify(state)}`);
    }
    const s = checkWords("s", state.s);
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new Error("RNG state 's' must not be all zeros");
    return new Rng(state.path, checkWords("key", state.key), s);
  }

  /**
   * A child stream for one purpose. Depends only on this stream's key and the
   * labels, not on how many numbers have been drawn from this stream.
   */
  stream(...labels: (string | number)[]): Rng {
    if (labels.length === 0) throw new Error("Rng.stream() needs at least one label");
    let key = this.#key;
    for (const label of labels) {
      if (typeof label === "number" && !Number.isSafeInteger(label)) {
        throw new Error(`Stream label numbers must be safe integers, got ${label}`);
      }
      key = deriveKey(key, `${typeof label}:${label}`);
    }
    return new Rng(`${this.path}/${labels.join("/")}`, key, stateFromKey(key));
  }

  /** The current state, as plain data. */
  state(): RngState {
    return { path: this.path, key: Array.from(this.#key), s: Array.from(this.#s) };
  }

  /** Next uint32 (xoshiro128**). */
  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits (two draws). */
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * Uniform in [0, 1) on the grid k / 2^24 (one draw); exactly representable
   * as float32, the usual precision for sampling units of a float32 network.
   */
  uniform24(): number {
    return (this.nextU32() >>> 8) * 5.9604644775390625e-8;
  }

  /** Fills `out` with `uniform24()` draws and returns it. */
  fillUniform24<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = (this.nextU32() >>> 8) * 5.9604644775390625e-8;
    return out;
  }

  /** Uniform integer in [0, n), unbiased (rejection sampling). n: 1..2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new Error(`Rng.int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    if (n === 0x100000000) return this.nextU32();
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Standard normal draw (Box–Muller, cosine branch; two uniforms per draw). */
  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    if (!Number.isInteger(n) || n < 0) throw new Error(`Permutation length must be a non-negative integer, got ${n}`);
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** 1 with probability p, else 0 (uses `uniform24`). */
  bernoulli(p: number): 0 | 1 {
    return this.uniform24() < p ? 1 : 0;
  }

  /** Geometric draw on {1, 2, ...}: trials until the first success of probability p. */
  geometric(p: number): number {
    if (!(p > 0 && p <= 1)) throw new Error(`Geometric p must be in (0, 1], got ${p}`);
    let k = 1;
    while (this.uniform() >= p) k++;
    return k;
  }
}
