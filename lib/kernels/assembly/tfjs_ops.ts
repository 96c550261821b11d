// AssemblyScript source of lib/kernels/tfjs_ops.wasm (build: deno task build-kernels).
import { expm1Poly, log4, reduceLn2 } from "./simd_math";

// The four lanes summed, in pairs.
@inline
function sumLanes(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// ll[b, j] from sum_k log D, where D = p + q e^(+-t) (the factor of the parent's own flip): the change
// of the children's log-likelihood from flipping j is S = +-m ot[b, j] - sum log D (+ from off,
// - from on); the output is off minus on, -S where j is off and S where it is on.
@inline
function writeLlOt(ll: usize, ot: usize, b: i32, j: i32, J: i32, isOff: bool, m: f32, sumLogD: f32): void {
  const at = (<usize> (b * J + j)) << 2;
  const S = (isOff ? m : -m) * load<f32>(ot + at) - sumLogD;
  store<f32>(ll + at, isOff ? -S : S);
}

// These kernels import tfjs-backend-wasm's own memory and work on tensors where
// tfjs keeps them (no copies): every pointer is a byte offset into that memory.
// The module has no data segment and no allocator of its own (it must not
// write anywhere tfjs did not hand it). Plain float32 wasm SIMD only.

// Adam, fused with the learning-rate scaling and the parameter update, on n
// floats, in the order of operations of lib/optim/adam.ts (so the results are
// bit-identical to its tfjs ops):
//   m' = m b1 + g (1 - b1);  v' = v b2 + (g g) (1 - b2)
//   p' = p + ((m' / c1) / (sqrt(v' / c2) + eps)) (-lr)
// Writes p', m', v' to pOut, mOut, vOut (which may be the inputs).
export function adamUpdate(
  n: i32,
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  pOut: usize,
  mOut: usize,
  vOut: usize,
  b1: f32,
  oneMinusB1: f32,
  b2: f32,
  oneMinusB2: f32,
  c1: f32,
  c2: f32,
  eps: f32,
  negLr: f32,
): void {
  // A bias correction that has reached 1 in float32 (c1 after about 160 steps at b1 = 0.9, c2 after about
  // 17,000 at b2 = 0.999) divides by 1, which returns its operand unchanged: that division is skipped.
  if (c1 == 1 && c2 == 1) adamLoop(n, p, g, m, v, pOut, mOut, vOut, b1, oneMinusB1, b2, oneMinusB2, c1, c2, eps, negLr, true, true);
  else if (c1 == 1) adamLoop(n, p, g, m, v, pOut, mOut, vOut, b1, oneMinusB1, b2, oneMinusB2, c1, c2, eps, negLr, true, false);
  else adamLoop(n, p, g, m, v, pOut, mOut, vOut, b1, oneMinusB1, b2, oneMinusB2, c1, c2, eps, negLr, false, false);
}

// adamUpdate's pass; skip1 / skip2: c1 / c2 is 1 (constants where it is called, so each call is its own loop).
@inline
function adamLoop(
  n: i32,
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  pOut: usize,
  mOut: usize,
  vOut: usize,
  b1: f32,
  oneMinusB1: f32,
  b2: f32,
  oneMinusB2: f32,
  c1: f32,
  c2: f32,
  eps: f32,
  negLr: f32,
  skip1: bool,
  skip2: bool,
): void {
  const vb1 = f32x4.splat(b1), vob1 = f32x4.splat(oneMinusB1), vb2 = f32x4.splat(b2), vob2 = f32x4.splat(oneMinusB2);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vlr = f32x4.splat(negLr);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize> i) << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gi, vob1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gi, gi), vob2));
    const mh = skip1 ? mi : f32x4.div(mi, vc1), vh = skip2 ? vi : f32x4.div(vi, vc2);
    const u = f32x4.div(mh, f32x4.add(f32x4.sqrt(vh), veps));
    v128.store(pOut + o, f32x4.add(v128.load(p + o), f32x4.mul(u, vlr)));
    v128.store(mOut + o, mi);
    v128.store(vOut + o, vi);
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize> i) << 2;
    const gi = load<f32>(g + o);
    const mi = load<f32>(m + o) * b1 + gi * oneMinusB1;
    const vi = load<f32>(v + o) * b2 + (gi * gi) * oneMinusB2;
    const u = (skip1 ? mi : mi / c1) / (Mathf.sqrt(skip2 ? vi : vi / c2) + eps);
    store<f32>(pOut + o, load<f32>(p + o) + u * negLr);
    store<f32>(mOut + o, mi);
    store<f32>(vOut + o, vi);
  }
}

// Per-example gradients of a 3x3 VALID convolution's filter and their batch
// statistics, without im2col:
//   G_b[dy, dx, c, o] = sum_{y, x} a[b, y + dy, x + dx, c] delta[b, y, x, o]
// a: [B, H, W, C] (the layer's input), delta: [B, H - 2, W - 2, O] (dL/d output).
// Writes each G_b to per ([B, 9 C O], scratch), their mean over b to mean
// ([3, 3, C, O]) and returns sum over entries of the variance over b (ddof 0,
// two passes: the mean first, then the squared deviations). The same for the
// bias, whose per-example gradient is delta summed over positions: biasPer
// ([B, O], scratch), biasMean ([O]) and the summed variance as a float64 at biasVar.
export function convFilterGradStats(
  B: i32,
  H: i32,
  W: i32,
  C: i32,
  O: i32,
  a: usize,
  delta: usize,
  per: usize,
  mean: usize,
  biasPer: usize,
  biasMean: usize,
  biasVar: usize,
): f64 {
  const Ho = H - 2, Wo = W - 2, P = Ho * Wo;
  const G = 9 * C * O;
  const O16 = O & ~15;
  for (let b = 0; b < B; b++) {
    const ab = a + ((<usize> (b * H * W * C)) << 2);
    const db = delta + ((<usize> (b * P * O)) << 2);
    const gb = per + ((<usize> (b * G)) << 2);
    if (allZero(db, P * O)) {
      // An example without learning signal (a bandit's reward 0): every product is +-0, every sum +0.
      memory.fill(gb, 0, (<usize> G) << 2);
      continue;
    }
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) {
        let c = 0;
        // Two input channels at a time share the loads of delta (blocks of 16 output channels).
        for (; c + 2 <= C && O16 > 0; c += 2) {
          const out = gb + ((<usize> (((dy * 3 + dx) * C + c) * O)) << 2);
          for (let o = 0; o < O16; o += 16) {
            let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
            let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
            for (let y = 0; y < Ho; y++) {
              let ap = ab + ((<usize> (((y + dy) * W + dx) * C + c)) << 2);
              let dp = db + ((<usize> (y * Wo * O + o)) << 2);
              for (let x = 0; x < Wo; x++) {
                const u = f32x4.splat(load<f32>(ap)), v = f32x4.splat(load<f32>(ap, 4));
                const d0 = v128.load(dp), d1 = v128.load(dp, 16), d2 = v128.load(dp, 32), d3 = v128.load(dp, 48);
                s0 = f32x4.add(s0, f32x4.mul(u, d0));
                s1 = f32x4.add(s1, f32x4.mul(u, d1));
                s2 = f32x4.add(s2, f32x4.mul(u, d2));
                s3 = f32x4.add(s3, f32x4.mul(u, d3));
                t0 = f32x4.add(t0, f32x4.mul(v, d0));
                t1 = f32x4.add(t1, f32x4.mul(v, d1));
                t2 = f32x4.add(t2, f32x4.mul(v, d2));
                t3 = f32x4.add(t3, f32x4.mul(v, d3));
                ap += (<usize> C) << 2;
                dp += (<usize> O) << 2;
              }
            }
            const q = out + ((<usize> o) << 2), r = q + ((<usize> O) << 2);
            v128.store(q, s0);
            v128.store(q, s1, 16);
            v128.store(q, s2, 32);
            v128.store(q, s3, 48);
            v128.store(r, t0);
            v128.store(r, t1, 16);
            v128.store(r, t2, 32);
            v128.store(r, t3, 48);
          }
          filterGradTail(ab, db, out, W, C, O, Ho, Wo, dy, dx, c, O16);
          filterGradTail(ab, db, out + ((<usize> O) << 2), W, C, O, Ho, Wo, dy, dx, c + 1, O16);
        }
        for (; c < C; c++) {
          const out = gb + ((<usize> (((dy * 3 + dx) * C + c) * O)) << 2);
          for (let o = 0; o < O16; o += 16) {
            let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
            for (let y = 0; y < Ho; y++) {
              let ap = ab + ((<usize> (((y + dy) * W + dx) * C + c)) << 2);
              let dp = db + ((<usize> (y * Wo * O + o)) << 2);
              for (let x = 0; x < Wo; x++) {
                const v = f32x4.splat(load<f32>(ap));
                s0 = f32x4.add(s0, f32x4.mul(v, v128.load(dp)));
                s1 = f32x4.add(s1, f32x4.mul(v, v128.load(dp, 16)));
                s2 = f32x4.add(s2, f32x4.mul(v, v128.load(dp, 32)));
                s3 = f32x4.add(s3, f32x4.mul(v, v128.load(dp, 48)));
                ap += (<usize> C) << 2;
                dp += (<usize> O) << 2;
              }
            }
            const q = out + ((<usize> o) << 2);
            v128.store(q, s0);
            v128.store(q, s1, 16);
            v128.store(q, s2, 32);
            v128.store(q, s3, 48);
          }
          filterGradTail(ab, db, out, W, C, O, Ho, Wo, dy, dx, c, O16);
        }
      }
    }
  }
  // The bias's per-example gradients: delta summed over positions, each channel's sum in
  // order of position (the channels in the vector lanes).
  const O4 = O & ~3;
  for (let b = 0; b < B; b++) {
    const db = delta + ((<usize> (b * P * O)) << 2);
    const out = biasPer + ((<usize> (b * O)) << 2);
    memory.fill(out, 0, (<usize> O) << 2);
    for (let q = 0; q < P; q++) {
      const dq = db + ((<usize> (q * O)) << 2);
      for (let o = 0; o < O4; o += 4) {
        const at = (<usize> o) << 2;
        v128.store(out + at, f32x4.add(v128.load(out + at), v128.load(dq + at)));
      }
      for (let o = O4; o < O; o++) {
        const at = (<usize> o) << 2;
        store<f32>(out + at, load<f32>(out + at) + load<f32>(dq + at));
      }
    }
  }
  store<f64>(biasVar, batchMeanVar(B, O, biasPer, biasMean));
  return batchMeanVar(B, G, per, mean);
}

// Whether the n floats at p are all zero (+0 or -0).
function allZero(p: usize, n: i32): bool {
  const n4 = n & ~3;
  let acc = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) acc = v128.or(acc, v128.and(v128.load(p + ((<usize> i) << 2)), i32x4.splat(0x7fffffff)));
  let any = v128.any_true(acc);
  for (let i = n4; i < n; i++) any = any || load<f32>(p + ((<usize> i) << 2)) != 0;
  return !any;
}

// Mean over the batch of B rows of G values (per: [B, G]) into mean, then the
// summed squared deviations over rows (two passes): returns sum over entries of the variance (ddof 0).
function batchMeanVar(B: i32, G: i32, per: usize, mean: usize): f64 {
  const inv: f32 = <f32> 1 / <f32> B;
  for (let i = 0; i < G; i++) {
    let s: f32 = 0;
    for (let b = 0; b < B; b++) s += load<f32>(per + ((<usize> (b * G + i)) << 2));
    store<f32>(mean + ((<usize> i) << 2), s * inv);
  }
  let total: f64 = 0;
  for (let i = 0; i < G; i++) {
    const m = load<f32>(mean + ((<usize> i) << 2));
    let s: f32 = 0;
    for (let b = 0; b < B; b++) {
      const d = load<f32>(per + ((<usize> (b * G + i)) << 2)) - m;
      s += d * d;
    }
    total += <f64> (s * inv);
  }
  return total;
}

// Output channels o >= from of one (dy, dx, c) filter gradient entry (blocks of 4, then one by one).
function filterGradTail(
  ab: usize,
  db: usize,
  out: usize,
  W: i32,
  C: i32,
  O: i32,
  Ho: i32,
  Wo: i32,
  dy: i32,
  dx: i32,
  c: i32,
  from: i32,
): void {
  const O4 = O & ~3;
  for (let o = from; o < O4; o += 4) {
    let s0 = f32x4.splat(0);
    for (let y = 0; y < Ho; y++) {
      let ap = ab + ((<usize> (((y + dy) * W + dx) * C + c)) << 2);
      let dp = db + ((<usize> (y * Wo * O + o)) << 2);
      for (let x = 0; x < Wo; x++) {
        s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(load<f32>(ap)), v128.load(dp)));
        ap += (<usize> C) << 2;
        dp += (<usize> O) << 2;
      }
    }
    v128.store(out + ((<usize> o) << 2), s0);
  }
  for (let o = O4; o < O; o++) {
    let s: f32 = 0;
    for (let y = 0; y < Ho; y++) {
      for (let x = 0; x < Wo; x++) {
        s += load<f32>(ab + ((<usize> (((y + dy) * W + x + dx) * C + c)) << 2)) *
          load<f32>(db + ((<usize> ((y * Wo + x) * O + o)) << 2));
      }
    }
    store<f32>(out + ((<usize> o) << 2), s);
  }
}

// A dense layer on inputs with zeros (binary units, ReLU outputs):
//   out[b, k] = sum_f x[b, f] W[f, k], summed in increasing f, zero inputs skipped.
// x: [B, F], W: [F, K] (rows contiguous), out: [B, K]. The weights are read in
// place (no packing: fresh weights every update cost nothing extra), in
// chunks of rows that stay in cache while every example uses them. Where more
// than 60% of x is nonzero (a trained network's ReLU outputs) and B is even,
// denseForwardPairs forms the same sums two examples at a time (a speed
// choice only: the bits are the same either way).
// Scratch: idx (B F ints), val (B F floats), pos (3 B ints: positions, counts, binary rows).
export function denseForward(
  B: i32,
  F: i32,
  K: i32,
  x: usize,
  W: usize,
  out: usize,
  idx: usize,
  val: usize,
  pos: usize,
): void {
  const rowBytes = K << 2;
  memory.fill(out, 0, (<usize> (B * K)) << 2);
  if ((B & 1) == 0 && <f64> countNonzero(x, B * F) > 0.6 * <f64> B * <f64> F) {
    denseForwardPairs(B, F, K, x, W, out);
    return;
  }
  const cnt = compactRows(B, F, x, idx, val, pos, rowBytes);
  const K16 = K & ~15, K4 = K & ~3;
  const CH = 256;
  for (let f0 = 0; f0 < F; f0 += CH) {
    const f1 = f0 + CH;
    for (let b = 0; b < B; b++) {
      const row = (<usize> (b * F)) << 2;
      const start = load<i32>(pos + ((<usize> b) << 2));
      let end = start;
      const n = load<i32>(cnt + ((<usize> b) << 2));
      while (end < n && load<i32>(idx + row + ((<usize> end) << 2)) < f1 * rowBytes) end++;
      store<i32>(pos + ((<usize> b) << 2), end);
      if (end == start) continue;
      const o = out + ((<usize> (b * K)) << 2);
      // A row of binary inputs (every listed value 1) adds the rows of W as they are (1 w = w exactly).
      const binary = load<i32>(cnt + ((<usize> (B + b)) << 2)) != 0;
      for (let k = 0; k < K16; k += 16) {
        const ko = (<usize> k) << 2;
        let a0 = v128.load(o + ko), a1 = v128.load(o + ko, 16), a2 = v128.load(o + ko, 32), a3 = v128.load(o + ko, 48);
        if (binary) {
          for (let e = start; e < end; e++) {
            const w = W + (<usize> load<i32>(idx + row + ((<usize> e) << 2))) + ko;
            a0 = f32x4.add(a0, v128.load(w));
            a1 = f32x4.add(a1, v128.load(w, 16));
            a2 = f32x4.add(a2, v128.load(w, 32));
            a3 = f32x4.add(a3, v128.load(w, 48));
          }
        } else {
          for (let e = start; e < end; e++) {
            const eo = row + ((<usize> e) << 2);
            const w = W + (<usize> load<i32>(idx + eo)) + ko;
            const v = f32x4.splat(load<f32>(val + eo));
            a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w)));
            a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
            a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32)));
            a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
          }
        }
        v128.store(o + ko, a0);
        v128.store(o + ko, a1, 16);
        v128.store(o + ko, a2, 32);
        v128.store(o + ko, a3, 48);
      }
      for (let k = K16; k < K4; k += 4) {
        const ko = (<usize> k) << 2;
        let a0 = v128.load(o + ko);
        for (let e = start; e < end; e++) {
          const eo = row + ((<usize> e) << 2);
          const w = W + (<usize> load<i32>(idx + eo)) + ko;
          a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(val + eo)), v128.load(w)));
        }
        v128.store(o + ko, a0);
      }
      for (let k = K4; k < K; k++) {
        const ko = (<usize> k) << 2;
        let a: f32 = load<f32>(o + ko);
        for (let e = start; e < end; e++) {
          const eo = row + ((<usize> e) << 2);
          a += load<f32>(val + eo) * load<f32>(W + (<usize> load<i32>(idx + eo)) + ko);
        }
        store<f32>(o + ko, a);
      }
    }
  }
}

// How many of the n floats at p are nonzero.
function countNonzero(p: usize, n: i32): i32 {
  const n4 = n & ~3;
  const zero = f32x4.splat(0);
  let acc = i32x4.splat(0);
  for (let i = 0; i < n4; i += 4) acc = i32x4.sub(acc, f32x4.ne(v128.load(p + ((<usize> i) << 2)), zero));
  let c = (i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1)) + (i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3));
  for (let i = n4; i < n; i++) c += <i32> (load<f32>(p + ((<usize> i) << 2)) != 0);
  return c;
}

// denseForward for inputs that are mostly nonzero (B even): two examples at a
// time share the loads of W, zeros included (a zero input's product is +-0,
// which changes no sum that starts at +0), so every sum is the one the
// zero-skipping loop forms, in the same order of f. W in chunks of rows as there.
function denseForwardPairs(B: i32, F: i32, K: i32, x: usize, W: usize, out: usize): void {
  const K16 = K & ~15, K4 = K & ~3;
  const rowBytes = (<usize> K) << 2;
  // Chunks of about 48 KB of W: each pair of examples reads the chunk from L1 or near it (256 rows of a
  // 200-wide W, 200 KB, came from L2 for every pair: 13% slower at 9216 x 200).
  const CH = rowBytes >= 6144 ? 8 : <i32> (49152 / rowBytes);
  for (let f0 = 0; f0 < F; f0 += CH) {
    const f1 = f0 + CH < F ? f0 + CH : F;
    for (let b = 0; b < B; b += 2) {
      const xu = x + ((<usize> (b * F)) << 2), xv = xu + ((<usize> F) << 2);
      const ou = out + (<usize> b) * rowBytes, ov = ou + rowBytes;
      for (let k = 0; k < K16; k += 16) {
        const ko = (<usize> k) << 2;
        let a0 = v128.load(ou + ko), a1 = v128.load(ou + ko, 16), a2 = v128.load(ou + ko, 32), a3 = v128.load(ou + ko, 48);
        let c0 = v128.load(ov + ko), c1 = v128.load(ov + ko, 16), c2 = v128.load(ov + ko, 32), c3 = v128.load(ov + ko, 48);
        for (let f = f0; f < f1; f++) {
          const w = W + (<usize> f) * rowBytes + ko;
          const u = f32x4.splat(load<f32>(xu + ((<usize> f) << 2))), v = f32x4.splat(load<f32>(xv + ((<usize> f) << 2)));
          const w0 = v128.load(w), w1 = v128.load(w, 16), w2 = v128.load(w, 32), w3 = v128.load(w, 48);
          a0 = f32x4.add(a0, f32x4.mul(u, w0));
          a1 = f32x4.add(a1, f32x4.mul(u, w1));
          a2 = f32x4.add(a2, f32x4.mul(u, w2));
          a3 = f32x4.add(a3, f32x4.mul(u, w3));
          c0 = f32x4.add(c0, f32x4.mul(v, w0));
          c1 = f32x4.add(c1, f32x4.mul(v, w1));
          c2 = f32x4.add(c2, f32x4.mul(v, w2));
          c3 = f32x4.add(c3, f32x4.mul(v, w3));
        }
        v128.store(ou + ko, a0);
        v128.store(ou + ko, a1, 16);
        v128.store(ou + ko, a2, 32);
        v128.store(ou + ko, a3, 48);
        v128.store(ov + ko, c0);
        v128.store(ov + ko, c1, 16);
        v128.store(ov + ko, c2, 32);
        v128.store(ov + ko, c3, 48);
      }
      for (let k = K16; k < K4; k += 4) {
        const ko = (<usize> k) << 2;
        let a0 = v128.load(ou + ko), c0 = v128.load(ov + ko);
        for (let f = f0; f < f1; f++) {
          const w0 = v128.load(W + (<usize> f) * rowBytes + ko);
          a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xu + ((<usize> f) << 2))), w0));
          c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(xv + ((<usize> f) << 2))), w0));
        }
        v128.store(ou + ko, a0);
        v128.store(ov + ko, c0);
      }
      for (let k = K4; k < K; k++) {
        const ko = (<usize> k) << 2;
        let a: f32 = load<f32>(ou + ko), c: f32 = load<f32>(ov + ko);
        for (let f = f0; f < f1; f++) {
          const wk = load<f32>(W + (<usize> f) * rowBytes + ko);
          a += load<f32>(xu + ((<usize> f) << 2)) * wk;
          c += load<f32>(xv + ((<usize> f) << 2)) * wk;
        }
        store<f32>(ou + ko, a);
        store<f32>(ov + ko, c);
      }
    }
  }
}

// The same product with the weights stored by output unit: out[b, k] = sum_j x[b, j] W[k, j],
// W: [K, J]; W is first transposed into wt ([J, K] scratch).
export function denseForwardT(
  B: i32,
  J: i32,
  K: i32,
  x: usize,
  W: usize,
  out: usize,
  wt: usize,
  idx: usize,
  val: usize,
  pos: usize,
): void {
  transpose(W, K, J, wt, K);
  denseForward(B, J, K, x, wt, out, idx, val, pos);
}

// dst[c, r] = src[r, c] for src [R, C]; dst's rows are ld floats apart (ld >= R). In 4 x 4
// blocks transposed in registers, along the longer side, so that reads and writes both run
// through memory four rows at a time.
function transpose(src: usize, R: i32, C: i32, dst: usize, ld: i32): void {
  transposeWith(src, R, C, dst, ld, PLAIN, 1);
}

// transpose(), each entry multiplied by scale: dst[c, r] = scale src[r, c].
function transposeScaled(src: usize, R: i32, C: i32, dst: usize, ld: i32, scale: f32): void {
  transposeWith(src, R, C, dst, ld, SCALED, scale);
}

// transpose(), each entry divided by d: dst[c, r] = src[r, c] / d (a division, as a separate pass would
// divide, not a multiplication by 1 / d).
function transposeDivided(src: usize, R: i32, C: i32, dst: usize, ld: i32, d: f32): void {
  transposeWith(src, R, C, dst, ld, DIVIDED, d);
}

const PLAIN = 0, SCALED = 1, DIVIDED = 2;

// What an entry becomes on its way: x, s x or x / s (mode PLAIN, SCALED, DIVIDED).
@inline
function moved4(mode: i32, s: v128, x: v128): v128 {
  return mode == SCALED ? f32x4.mul(s, x) : mode == DIVIDED ? f32x4.div(x, s) : x;
}

@inline
function moved1(mode: i32, s: f32, x: f32): f32 {
  return mode == SCALED ? s * x : mode == DIVIDED ? x / s : x;
}

// Inlined into each of the three above with its mode a constant, so that each is its own loop (a mode known only
// at run time compiles to selects that compute the product and the quotient for every entry).
@inline
function transposeWith(src: usize, R: i32, C: i32, dst: usize, ld: i32, mode: i32, s: f32): void {
  const R4 = R & ~3, C4 = C & ~3;
  const sv = f32x4.splat(s);
  if (C >= R) {
    for (let r = 0; r < R4; r += 4) {
      for (let c = 0; c < C4; c += 4) transpose4(src, C, dst, ld, r, c, mode, sv);
    }
  } else {
    for (let c = 0; c < C4; c += 4) {
      for (let r = 0; r < R4; r += 4) transpose4(src, C, dst, ld, r, c, mode, sv);
    }
  }
  // The rows past R4 and the columns past C4, one float at a time.
  for (let r = 0; r < R; r++) {
    for (let c = r < R4 ? C4 : 0; c < C; c++) {
      store<f32>(dst + ((<usize> (c * ld + r)) << 2), moved1(mode, s, load<f32>(src + ((<usize> (r * C + c)) << 2))));
    }
  }
}

// One 4 x 4 block of transposeWith(): src rows r..r+3, columns c..c+3, each entry moved as mode says.
@inline
function transpose4(src: usize, C: i32, dst: usize, ld: i32, r: i32, c: i32, mode: i32, s: v128): void {
  const p = src + ((<usize> (r * C + c)) << 2), step = (<usize> C) << 2;
  const a = v128.load(p), b = v128.load(p + step), e = v128.load(p + 2 * step), f = v128.load(p + 3 * step);
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(e, f, 0, 4, 1, 5), t3 = i32x4.shuffle(e, f, 2, 6, 3, 7);
  const d = dst + ((<usize> (c * ld + r)) << 2), dstep = (<usize> ld) << 2;
  v128.store(d, moved4(mode, s, i32x4.shuffle(t0, t2, 0, 1, 4, 5)));
  v128.store(d + dstep, moved4(mode, s, i32x4.shuffle(t0, t2, 2, 3, 6, 7)));
  v128.store(d + 2 * dstep, moved4(mode, s, i32x4.shuffle(t1, t3, 0, 1, 4, 5)));
  v128.store(d + 3 * dstep, moved4(mode, s, i32x4.shuffle(t1, t3, 2, 3, 6, 7)));
}

// Per row b of x [B, F]: the columns f with x[b, f] != 0, in increasing order,
// as f rowBytes (the byte offset of W's row f), and their values, at idx/val + b F;
// pos[b] = 0. Returns cnt (B ints, after pos: the counts), followed by B ints that
// are 1 where every listed value of the row is 1 (binary units).
function compactRows(B: i32, F: i32, x: usize, idx: usize, val: usize, pos: usize, rowBytes: i32): usize {
  const cnt = pos + ((<usize> B) << 2);
  for (let b = 0; b < B; b++) {
    const row = (<usize> (b * F)) << 2;
    let n = 0, ones = 0;
    for (let f = 0; f < F; f++) {
      // Branch-free: the entry is written every time and kept when x != 0.
      const v = load<f32>(x + row + ((<usize> f) << 2));
      store<i32>(idx + row + ((<usize> n) << 2), f * rowBytes);
      store<f32>(val + row + ((<usize> n) << 2), v);
      n += <i32> (v != 0);
      ones += <i32> (v == 1);
    }
    store<i32>(pos + ((<usize> b) << 2), 0);
    store<i32>(cnt + ((<usize> b) << 2), n);
    store<i32>(cnt + ((<usize> (B + b)) << 2), <i32> (ones == n));
  }
  return cnt;
}

// Both gradients of a dense layer whose input x is a ReLU output, given the
// per-example output gradient g:
//   dW[f, k] = (sum_b x[b, f] g[b, k]) / B   (the batch-mean weight gradient)
//   dx[b, f] = sum_k g[b, k] W[f, k] where x[b, f] > 0, else 0
// (dx is the gradient through the ReLU: x > 0 exactly where its input is).
// x: [B, F], g: [B, K], W: [F, K]; dW: [F, K], dx: [B, F]. Returns sum over entries of dW^2.
// Examples whose g is all zero (a bandit's reward 0) carry no signal and are
// skipped: each of their terms is +-0, which changes no sum that starts at +0.
// The rows of W are taken two at a time (f, f + 1), over the examples where
// either input is nonzero (a zero input's products are +-0 too), so that the
// loads of g are shared by both rows of dW and those of W by four examples of dx.
// Every sum is formed in the same order as one row at a time would: dW over b
// in increasing order, dx in four lanes over k then the lanes in pairs.
// x is first transposed into xT ([F, B]: no pass walks down a column of x, whose
// rows fall in one cache set when F is a multiple of 1024), and dx is formed
// as dxT ([F, B]) and transposed.
// Scratch: xT (F B floats), dxT (F B floats), list (4 B ints: the examples of one
// pair of rows), gIdx (B ints), spare (K floats: the dW row past an odd F), rowSq
// (2 B floats: |x_b|^2 of every example, then |g_b|^2).
export function denseReluGrads(
  B: i32,
  F: i32,
  K: i32,
  x: usize,
  g: usize,
  W: usize,
  dW: usize,
  dx: usize,
  xT: usize,
  dxT: usize,
  list: usize,
  gIdx: usize,
  spare: usize,
  rowSq: usize,
): f64 {
  // |x_b|^2 and |g_b|^2 (summed in order), and the examples with a nonzero g.
  let nG = 0;
  for (let b = 0; b < B; b++) {
    const row = x + ((<usize> (b * F)) << 2);
    let sq: f32 = 0;
    for (let f = 0; f < F; f++) {
      const v = load<f32>(row + ((<usize> f) << 2));
      sq += v * v;
    }
    let gq: f32 = 0;
    let any = false;
    for (let k = 0; k < K; k++) {
      const v = load<f32>(g + ((<usize> (b * K + k)) << 2));
      gq += v * v;
      any = any || v != 0;
    }
    store<f32>(rowSq + ((<usize> b) << 2), sq);
    store<f32>(rowSq + ((<usize> (B + b)) << 2), gq);
    store<i32>(gIdx + ((<usize> nG) << 2), b);
    nG += <i32> any;
  }
  transpose(x, B, F, xT, B);
  memory.fill(dxT, 0, (<usize> (F * B)) << 2);
  let sumSq: f64 = 0;
  const K16 = K & ~15, K4 = K & ~3;
  const bf = f32x4.splat(<f32> B);
  const bs1: f32 = <f32> B;
  const rowBytes = (<usize> K) << 2;
  for (let f = 0; f < F; f += 2) {
    const pair = f + 1 < F;
    const x0 = xT + ((<usize> (f * B)) << 2), x1 = pair ? x0 + ((<usize> B) << 2) : x0;
    // The examples of this pair of rows: (g row offset, x[b, f], x[b, f + 1], b), branch-free.
    let n = 0;
    for (let i = 0; i < nG; i++) {
      const b = load<i32>(gIdx + ((<usize> i) << 2));
      const u = load<f32>(x0 + ((<usize> b) << 2));
      const v = pair ? load<f32>(x1 + ((<usize> b) << 2)) : <f32> 0;
      const e = list + ((<usize> n) << 4);
      store<i32>(e, b * K * 4);
      store<f32>(e, u, 4);
      store<f32>(e, v, 8);
      store<i32>(e, b, 12);
      n += <i32> (u != 0 || v != 0);
    }
    const w0 = W + (<usize> f) * rowBytes, w1 = pair ? w0 + rowBytes : w0;
    const d0 = dW + (<usize> f) * rowBytes, d1 = pair ? d0 + rowBytes : spare;
    let sq0 = f32x4.splat(0), sq1 = f32x4.splat(0);
    let tail0: f32 = 0, tail1: f32 = 0;
    for (let k = 0; k < K16; k += 16) {
      const ko = (<usize> k) << 2;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      for (let e = 0; e < n; e++) {
        const ep = list + ((<usize> e) << 4);
        const gb = g + (<usize> load<i32>(ep)) + ko;
        const u = f32x4.splat(load<f32>(ep, 4)), v = f32x4.splat(load<f32>(ep, 8));
        const g0 = v128.load(gb), g1 = v128.load(gb, 16), g2 = v128.load(gb, 32), g3 = v128.load(gb, 48);
        a0 = f32x4.add(a0, f32x4.mul(u, g0));
        a1 = f32x4.add(a1, f32x4.mul(u, g1));
        a2 = f32x4.add(a2, f32x4.mul(u, g2));
        a3 = f32x4.add(a3, f32x4.mul(u, g3));
        c0 = f32x4.add(c0, f32x4.mul(v, g0));
        c1 = f32x4.add(c1, f32x4.mul(v, g1));
        c2 = f32x4.add(c2, f32x4.mul(v, g2));
        c3 = f32x4.add(c3, f32x4.mul(v, g3));
      }
      sq0 = f32x4.add(sq0, meanRow16(d0 + ko, a0, a1, a2, a3, bf));
      sq1 = f32x4.add(sq1, meanRow16(d1 + ko, c0, c1, c2, c3, bf));
    }
    for (let k = K16; k < K4; k += 4) {
      const ko = (<usize> k) << 2;
      let a0 = f32x4.splat(0), c0 = f32x4.splat(0);
      for (let e = 0; e < n; e++) {
        const ep = list + ((<usize> e) << 4);
        const g0 = v128.load(g + (<usize> load<i32>(ep)) + ko);
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(ep, 4)), g0));
        c0 = f32x4.add(c0, f32x4.mul(f32x4.splat(load<f32>(ep, 8)), g0));
      }
      const m0 = f32x4.div(a0, bf), n0 = f32x4.div(c0, bf);
      v128.store(d0 + ko, m0);
      v128.store(d1 + ko, n0);
      sq0 = f32x4.add(sq0, f32x4.mul(m0, m0));
      sq1 = f32x4.add(sq1, f32x4.mul(n0, n0));
    }
    for (let k = K4; k < K; k++) {
      const ko = (<usize> k) << 2;
      let a: f32 = 0, c: f32 = 0;
      for (let e = 0; e < n; e++) {
        const ep = list + ((<usize> e) << 4);
        const gk = load<f32>(g + (<usize> load<i32>(ep)) + ko);
        a += load<f32>(ep, 4) * gk;
        c += load<f32>(ep, 8) * gk;
      }
      const m0 = a / bs1, n0 = c / bs1;
      store<f32>(d0 + ko, m0);
      store<f32>(d1 + ko, n0);
      tail0 += m0 * m0;
      tail1 += n0 * n0;
    }
    sumSq += <f64> (sumLanes(sq0) + tail0);
    if (pair) sumSq += <f64> (sumLanes(sq1) + tail1);
    // dx of the listed examples, four at a time, both rows sharing the loads of g, into dxT[f, b]:
    // written where the example's input is nonzero (dxT is +0 elsewhere).
    const r0 = dxT + ((<usize> (f * B)) << 2), r1 = r0 + ((<usize> B) << 2);
    let e = 0;
    for (; e + 4 <= n; e += 4) {
      const ep = list + ((<usize> e) << 4);
      const g0 = g + (<usize> load<i32>(ep)), g1 = g + (<usize> load<i32>(ep, 16));
      const g2 = g + (<usize> load<i32>(ep, 32)), g3 = g + (<usize> load<i32>(ep, 48));
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const ko = (<usize> k) << 2;
        const wa = v128.load(w0 + ko), wb = v128.load(w1 + ko);
        const h0 = v128.load(g0 + ko), h1 = v128.load(g1 + ko), h2 = v128.load(g2 + ko), h3 = v128.load(g3 + ko);
        s0 = f32x4.add(s0, f32x4.mul(h0, wa));
        s1 = f32x4.add(s1, f32x4.mul(h1, wa));
        s2 = f32x4.add(s2, f32x4.mul(h2, wa));
        s3 = f32x4.add(s3, f32x4.mul(h3, wa));
        t0 = f32x4.add(t0, f32x4.mul(h0, wb));
        t1 = f32x4.add(t1, f32x4.mul(h1, wb));
        t2 = f32x4.add(t2, f32x4.mul(h2, wb));
        t3 = f32x4.add(t3, f32x4.mul(h3, wb));
      }
      storeDx(r0, r1, ep, s0, t0, g0, w0, w1, K4, K, pair);
      storeDx(r0, r1, ep + 16, s1, t1, g1, w0, w1, K4, K, pair);
      storeDx(r0, r1, ep + 32, s2, t2, g2, w0, w1, K4, K, pair);
      storeDx(r0, r1, ep + 48, s3, t3, g3, w0, w1, K4, K, pair);
    }
    for (; e < n; e++) {
      const ep = list + ((<usize> e) << 4);
      const g0 = g + (<usize> load<i32>(ep));
      let s0 = f32x4.splat(0), t0 = f32x4.splat(0);
      for (let k = 0; k < K4; k += 4) {
        const ko = (<usize> k) << 2;
        const h0 = v128.load(g0 + ko);
        s0 = f32x4.add(s0, f32x4.mul(h0, v128.load(w0 + ko)));
        t0 = f32x4.add(t0, f32x4.mul(h0, v128.load(w1 + ko)));
      }
      storeDx(r0, r1, ep, s0, t0, g0, w0, w1, K4, K, pair);
    }
  }
  // dx = dxT^T.
  transpose(dxT, F, B, dx, F);
  return sumSq;
}

// One 16-wide block of a dW row: the sums divided by B, stored at d; returns their squares
// summed as ((m0^2 + m1^2) + (m2^2 + m3^2)).
@inline
function meanRow16(d: usize, a0: v128, a1: v128, a2: v128, a3: v128, bf: v128): v128 {
  const m0 = f32x4.div(a0, bf), m1 = f32x4.div(a1, bf), m2 = f32x4.div(a2, bf), m3 = f32x4.div(a3, bf);
  v128.store(d, m0);
  v128.store(d, m1, 16);
  v128.store(d, m2, 32);
  v128.store(d, m3, 48);
  return f32x4.add(f32x4.add(f32x4.mul(m0, m0), f32x4.mul(m1, m1)), f32x4.add(f32x4.mul(m2, m2), f32x4.mul(m3, m3)));
}

// dxT[f, b] and dxT[f + 1, b] of one listed example (entry at ep) from its lane sums, where its input is > 0.
@inline
function storeDx(
  r0: usize,
  r1: usize,
  ep: usize,
  s: v128,
  t: v128,
  gb: usize,
  w0: usize,
  w1: usize,
  K4: i32,
  K: i32,
  pair: bool,
): void {
  const b = (<usize> load<i32>(ep, 12)) << 2;
  if (load<f32>(ep, 4) > 0) store<f32>(r0 + b, dotTail(s, gb, w0, K4, K));
  if (pair && load<f32>(ep, 8) > 0) store<f32>(r1 + b, dotTail(t, gb, w1, K4, K));
}

// The four lanes of a partial dot product summed, plus the scalar tail k in [K4, K).
@inline
function dotTail(s: v128, g: usize, w: usize, K4: i32, K: i32): f32 {
  let t: f32 = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) +
    (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
  for (let k = K4; k < K; k++) {
    const ko = (<usize> k) << 2;
    t += load<f32>(g + ko) * load<f32>(w + ko);
  }
  return t;
}

// Sixteen sums stored where the ReLU's pre-activation z is positive, +0 elsewhere.
@inline
function reluStore16(op: usize, zp: usize, a0: v128, a1: v128, a2: v128, a3: v128): void {
  const zero = f32x4.splat(0);
  v128.store(op, v128.and(a0, f32x4.gt(v128.load(zp), zero)));
  v128.store(op, v128.and(a1, f32x4.gt(v128.load(zp, 16), zero)), 16);
  v128.store(op, v128.and(a2, f32x4.gt(v128.load(zp, 32), zero)), 32);
  v128.store(op, v128.and(a3, f32x4.gt(v128.load(zp, 48), zero)), 48);
}

// The gradient of a 3x3 VALID convolution with respect to its input, through
// the ReLU that produced that input:
//   out[b, y, x, c] = sum_{dy, dx, o} delta[b, y - dy, x - dx, o] w[dy, dx, c, o]  where z[b, y, x, c] > 0, else 0
// delta: [B, H - 2, W - 2, O] (mostly zero: it is itself masked by a ReLU), w: [3, 3, C, O],
// z: [B, H, W, C] (the pre-activation of the input), out: [B, H, W, C].
// The nonzero entries of delta are listed per position first (no padding, no zero products).
// Scratch: wt (9 O C floats: w as [3, 3, O, C]), cnt (B P ints), eoff (B P O ints: byte
// offsets of wt's rows within a tap), eval (B P O floats), with P = (H - 2)(W - 2).
export function convInputGradRelu(
  B: i32,
  H: i32,
  W: i32,
  C: i32,
  O: i32,
  delta: usize,
  w: usize,
  z: usize,
  out: usize,
  wt: usize,
  cnt: usize,
  eoff: usize,
  evals: usize,
): void {
  const Ho = H - 2, Wo = W - 2, P = Ho * Wo;
  for (let t = 0; t < 9; t++) {
    for (let c = 0; c < C; c++) {
      for (let o = 0; o < O; o++) {
        store<f32>(wt + ((<usize> ((t * O + o) * C + c)) << 2), load<f32>(w + ((<usize> ((t * C + c) * O + o)) << 2)));
      }
    }
  }
  // Branch-free lists of each position's nonzero output channels.
  for (let q = 0; q < B * P; q++) {
    let n = 0;
    const base = (<usize> (q * O)) << 2;
    for (let o = 0; o < O; o++) {
      const v = load<f32>(delta + base + ((<usize> o) << 2));
      store<i32>(eoff + base + ((<usize> n) << 2), o * C * 4);
      store<f32>(evals + base + ((<usize> n) << 2), v);
      n += <i32> (v != 0);
    }
    store<i32>(cnt + ((<usize> q) << 2), n);
  }
  const tapBytes = <usize> (O * C * 4);
  const C16 = C & ~15;
  const zero = f32x4.splat(0);
  // Two examples at a time share the taps' bounds: eight sums in flight instead of four (5 to 7% faster at the
  // bandit's sizes). Each example's sum keeps its order (taps, then its listed channels).
  for (let b = 0; b < B; b += 2) {
    const two = b + 1 < B;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const at = (<usize> (((b * H + y) * W + x) * C)) << 2;
        const at1 = at + ((<usize> (H * W * C)) << 2);
        for (let c = 0; c < C16; c += 16) {
          let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
          let d0 = zero, d1 = zero, d2 = zero, d3 = zero;
          const co = (<usize> c) << 2;
          for (let dy = 0; dy < 3; dy++) {
            const yy = y - dy;
            if (yy < 0 || yy >= Ho) continue;
            for (let dx = 0; dx < 3; dx++) {
              const xx = x - dx;
              if (xx < 0 || xx >= Wo) continue;
              const q = (b * Ho + yy) * Wo + xx, q1 = q + P;
              const n = load<i32>(cnt + ((<usize> q) << 2));
              const n1 = two ? load<i32>(cnt + ((<usize> q1) << 2)) : 0;
              const base = (<usize> (q * O)) << 2, base1 = (<usize> (q1 * O)) << 2;
              const tap = wt + (<usize> (dy * 3 + dx)) * tapBytes + co;
              const both = n < n1 ? n : n1;
              let e = 0;
              for (; e < both; e++) {
                const ep = base + ((<usize> e) << 2), ep1 = base1 + ((<usize> e) << 2);
                const v = f32x4.splat(load<f32>(evals + ep)), u = f32x4.splat(load<f32>(evals + ep1));
                const r = tap + (<usize> load<i32>(eoff + ep)), r1 = tap + (<usize> load<i32>(eoff + ep1));
                a0 = f32x4.add(a0, f32x4.mul(v, v128.load(r)));
                a1 = f32x4.add(a1, f32x4.mul(v, v128.load(r, 16)));
                a2 = f32x4.add(a2, f32x4.mul(v, v128.load(r, 32)));
                a3 = f32x4.add(a3, f32x4.mul(v, v128.load(r, 48)));
                d0 = f32x4.add(d0, f32x4.mul(u, v128.load(r1)));
                d1 = f32x4.add(d1, f32x4.mul(u, v128.load(r1, 16)));
                d2 = f32x4.add(d2, f32x4.mul(u, v128.load(r1, 32)));
                d3 = f32x4.add(d3, f32x4.mul(u, v128.load(r1, 48)));
              }
              for (let f = e; f < n; f++) {
                const ep = base + ((<usize> f) << 2);
                const v = f32x4.splat(load<f32>(evals + ep));
                const r = tap + (<usize> load<i32>(eoff + ep));
                a0 = f32x4.add(a0, f32x4.mul(v, v128.load(r)));
                a1 = f32x4.add(a1, f32x4.mul(v, v128.load(r, 16)));
                a2 = f32x4.add(a2, f32x4.mul(v, v128.load(r, 32)));
                a3 = f32x4.add(a3, f32x4.mul(v, v128.load(r, 48)));
              }
              for (let f = e; f < n1; f++) {
                const ep1 = base1 + ((<usize> f) << 2);
                const u = f32x4.splat(load<f32>(evals + ep1));
                const r1 = tap + (<usize> load<i32>(eoff + ep1));
                d0 = f32x4.add(d0, f32x4.mul(u, v128.load(r1)));
                d1 = f32x4.add(d1, f32x4.mul(u, v128.load(r1, 16)));
                d2 = f32x4.add(d2, f32x4.mul(u, v128.load(r1, 32)));
                d3 = f32x4.add(d3, f32x4.mul(u, v128.load(r1, 48)));
              }
            }
          }
          reluStore16(out + at + co, z + at + co, a0, a1, a2, a3);
          if (two) reluStore16(out + at1 + co, z + at1 + co, d0, d1, d2, d3);
        }
      }
    }
  }
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const at = (<usize> (((b * H + y) * W + x) * C)) << 2;
        for (let c = C16; c < C; c++) {
          let a: f32 = 0;
          for (let dy = 0; dy < 3; dy++) {
            const yy = y - dy;
            if (yy < 0 || yy >= Ho) continue;
            for (let dx = 0; dx < 3; dx++) {
              const xx = x - dx;
              if (xx < 0 || xx >= Wo) continue;
              const q = (b * Ho + yy) * Wo + xx;
              const n = load<i32>(cnt + ((<usize> q) << 2));
              const base = (<usize> (q * O)) << 2;
              const tap = wt + (<usize> (dy * 3 + dx)) * tapBytes + ((<usize> c) << 2);
              for (let e = 0; e < n; e++) {
                const ep = base + ((<usize> e) << 2);
                a += load<f32>(evals + ep) * load<f32>(tap + (<usize> load<i32>(eoff + ep)));
              }
            }
          }
          store<f32>(out + at + ((<usize> c) << 2), load<f32>(z + at + ((<usize> c) << 2)) > 0 ? a : 0);
        }
      }
    }
  }
}

// HNCA's flipped-parent terms for a Bernoulli child layer (the generative
// model's encoder and decoder layers), per example b and parent unit j:
//   ll[b, j]  = log P(children's outputs | j off) - log P(children's outputs | j on)
//   ent[b, j] = H(children | j off) - H(children | j on)   (only when withEntropy)
// summed over the K children, unclipped sigmoids. With y the child's logit,
// q = sigmoid(y), p = sigmoid(-y), o its output, t = m theta_kj (m = 2
// centered, 1 not), E = exp(t) and M = expm1(t):
// - flipping an off parent on changes the logit by +t; with D = p + q E,
//     log P(o | y + t) - log P(o | y) = o t - log D
//     H(y + t) - H(y)                 = log D - q (y p M + t E) / D
// - flipping an on parent off changes it by -t: the same with E^-1 for E,
//     log P(o | y - t) - log P(o | y) = -o t - log(p + q E^-1)
//     H(y - t) - H(y)                 = log D - q (y p M + (-t) E^-1) / D,
//   with D = p + q E^-1 and M = expm1(-t) = -expm1(t) E^-1.
// Every D is a sum of positive terms (no cancellation), and the entropy
// differences are in the form without cancellation between their parts.
// Tables transposed to [J, Kp] (Kp: K rounded up to 4; padding has theta = 0,
// so E = 1, M = t E = 0 and every padding factor is exactly 1 and term 0), the
// children in the vector lanes, one set for +t and one for -t: E and E^-1
// (and, with the entropy, M and t E for each sign); each parent reads the set
// of its own value, and eight parents (four with the entropy) share the loads
// of p and q (and y p).
// log D is summed as the logarithm of running products, whose exponents are
// moved into an integer sum every `cap` factors (a factor lies within
// exp(+-max |t|), so 60 / max |t| of them keep a product that starts in
// [1, 2) within float32's range): one logarithm per lane at the end.
// ot = sum_k o_k theta_kj comes from a pass over each example's active
// children.
// theta: [K, J]; logits, sample: [B, K]; parent: [B, J]; ll, ent: [B, J].
// Scratch (16-byte aligned): tables 6 J Kp floats with the entropy (E, E^-1,
// M+, M-, (t E)+, (t E)-), 2 J Kp without; rows 3 B Kp floats (p, q, y p; the
// last only with the entropy), ot B J floats, act K ints.
export function flipTerms(
  B: i32,
  K: i32,
  J: i32,
  centered: i32,
  withEntropy: i32,
  theta: usize,
  logits: usize,
  sample: usize,
  parent: usize,
  ll: usize,
  ent: usize,
  tables: usize,
  rows: usize,
  ot: usize,
  act: usize,
): void {
  const m: f32 = centered ? 2 : 1;
  const off: f32 = centered ? -1 : 0;
  const Kp = (K + 3) & ~3;
  const tsize = (<usize> (J * Kp)) << 2;
  const ePos = tables, eNeg = tables + tsize;
  const mPos = tables + 2 * tsize, mNeg = tables + 3 * tsize, tePos = tables + 4 * tsize, teNeg = tables + 5 * tsize;
  // t = m theta, transposed to [J, Kp] into the E table's place; padding columns are 0. Then the tables from
  // one reduction per element.
  transposeScaled(theta, K, J, ePos, Kp, m);
  for (let j = 0; j < J; j++) {
    for (let k = K; k < Kp; k++) store<f32>(ePos + ((<usize> (j * Kp + k)) << 2), 0);
  }
  let vmax = f32x4.splat(0);
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (let o: usize = 0; o < tsize; o += 16) {
    const t = v128.load(ePos + o);
    vmax = f32x4.pmax(vmax, f32x4.abs(t));
    // exp(t) and expm1(t) (2^k r + (2^k - 1), no cancellation when k = 0) from one reduction, as simd_math's
    // exp4 and expm1Reduced compute them (the same bits for numbers) in fewer instructions.
    const c = clamp80(t);
    const rounded = roundedLog2(c);
    const kf = f32x4.sub(rounded, f32x4.splat(12582912));
    const r = expm1Poly(reduceLn2(c, kf)), two = pow2Rounded(rounded);
    const e = f32x4.mul(two, f32x4.add(r, one));
    const eInv = f32x4.div(one, e);
    v128.store(ePos + o, e);
    v128.store(eNeg + o, eInv);
    if (withEntropy) {
      const mp = f32x4.add(f32x4.mul(two, r), f32x4.sub(two, one));
      v128.store(mPos + o, mp);
      v128.store(mNeg + o, f32x4.neg(f32x4.mul(mp, eInv)));
      v128.store(tePos + o, f32x4.mul(t, e));
      v128.store(teNeg + o, f32x4.mul(f32x4.neg(t), eInv));
    }
  }
  const maxAbs = Mathf.max(
    Mathf.max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)),
    Mathf.max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)),
  );
  // Factors between moves of a product's exponent: each lies within exp(+-maxAbs).
  let cap = maxAbs > 0 ? <i32> Mathf.min(Mathf.floor(<f32> 60 / maxAbs), <f32> (1 << 30)) : 1 << 30;
  if (cap < 1) cap = 1;
  const rsize = (<usize> (B * Kp)) << 2;
  const pRows = rows, qRows = rows + rsize, ypRows = rows + 2 * rsize;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < Kp; k += 4) {
      const at = (<usize> (b * Kp + k)) << 2;
      // Padding children (k >= K): y = 0, p = 1, q = 0 (any finite values would do: their factors are 1).
      const real = i32x4.lt_s(i32x4.add(i32x4.splat(k), i32x4(0, 1, 2, 3)), i32x4.splat(K));
      const y = v128.and(v128.load(logits + ((<usize> (b * K + k)) << 2)), real);
      // sigmoid of both signs from one exp of -|y|.
      const e = fastExp4(f32x4.neg(f32x4.abs(y)));
      const hi = f32x4.div(one, f32x4.add(one, e)), lo = f32x4.mul(e, hi);
      const pos = f32x4.ge(y, zero);
      const q = v128.and(v128.bitselect(hi, lo, pos), real);
      const p = v128.bitselect(v128.bitselect(lo, hi, pos), one, real);
      v128.store(pRows + at, p);
      v128.store(qRows + at, q);
      if (withEntropy) v128.store(ypRows + at, f32x4.mul(y, p));
    }
  }
  // ot[b, j] = sum over the active children k of theta[k, j].
  const J4 = J & ~3;
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let k = 0; k < K; k++) {
      store<i32>(act + ((<usize> n) << 2), k * J * 4);
      n += <i32> (load<f32>(sample + ((<usize> (b * K + k)) << 2)) > 0.5);
    }
    const orow = ot + ((<usize> (b * J)) << 2);
    let j = 0;
    for (; j + 16 <= J; j += 16) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      const jo = (<usize> j) << 2;
      for (let e = 0; e < n; e++) {
        const r = theta + (<usize> load<i32>(act + ((<usize> e) << 2))) + jo;
        s0 = f32x4.add(s0, v128.load(r));
        s1 = f32x4.add(s1, v128.load(r, 16));
        s2 = f32x4.add(s2, v128.load(r, 32));
        s3 = f32x4.add(s3, v128.load(r, 48));
      }
      v128.store(orow + jo, s0);
      v128.store(orow + jo, s1, 16);
      v128.store(orow + jo, s2, 32);
      v128.store(orow + jo, s3, 48);
    }
    for (; j < J4; j += 4) {
      let s0 = f32x4.splat(0);
      const jo = (<usize> j) << 2;
      for (let e = 0; e < n; e++) s0 = f32x4.add(s0, v128.load(theta + (<usize> load<i32>(act + ((<usize> e) << 2))) + jo));
      v128.store(orow + jo, s0);
    }
    for (; j < J; j++) {
      let s0: f32 = 0;
      for (let e = 0; e < n; e++) s0 += load<f32>(theta + (<usize> load<i32>(act + ((<usize> e) << 2))) + ((<usize> j) << 2));
      store<f32>(orow + ((<usize> j) << 2), s0);
    }
  }
  const kv = Kp >> 2;
  const step = (<usize> Kp) << 2;
  // Blocks of 16 parents outermost: their table rows stay in cache while every example uses them. Eight
  // parents at a time (four with the entropy) share the loads of p and q (and y p); each reads its own rows
  // of the tables of its value (+t for an off parent, -t for an on one). The last group of a block may be
  // shorter.
  for (let j0 = 0; j0 < J; j0 += 16) {
    const j1 = j0 + 16 < J ? j0 + 16 : J;
    for (let b = 0; b < B; b++) {
      const brow = (<usize> (b * Kp)) << 2;
      const pr = pRows + brow, qr = qRows + brow;
      if (withEntropy) {
        for (let j = j0; j < j1; j += 4) {
          const n = j1 - j < 4 ? j1 - j : 4;
          entQuad(pr, qr, ypRows + brow, parent, off, tables, tsize, step, kv, cap, ll, ent, ot, b, J, m, j, n);
        }
      } else {
        for (let j = j0; j < j1; j += 8) {
          const n = j1 - j < 8 ? j1 - j : 8;
          llOct(pr, qr, parent, off, ePos, eNeg, step, kv, cap, ll, ot, b, J, m, j, n);
        }
      }
    }
  }
}

// Fast forms of simd_math's exp steps (the same values for numbers; its exp4 is left as it is, since
// counterfactual.wasm's bytes key the bandit's runs): x clamped to [-80, 80] with pmin / pmax (min / max also handle NaN);
// x log2(e) rounded to the nearest integer (ties to even, as f32x4.nearest) by adding 1.5 2^23, whose bits
// then hold 2^k directly (no float-to-int conversion).
@inline
function clamp80(x: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, f32x4.splat(-80)), f32x4.splat(80));
}

// x log2(e) + 1.5 2^23 (for |x| <= 80): an integer k, the nearest to x log2(e), in its low bits.
@inline
function roundedLog2(c: v128): v128 {
  return f32x4.add(f32x4.mul(c, f32x4.splat(1.44269504)), f32x4.splat(12582912));
}

// 2^k from roundedLog2's result.
@inline
function pow2Rounded(rounded: v128): v128 {
  return i32x4.shl(i32x4.sub(rounded, i32x4.splat(0x4b400000 - 127)), 23);
}

// exp4 of simd_math, the same values for numbers.
@inline
function fastExp4(x: v128): v128 {
  const c = clamp80(x);
  const rounded = roundedLog2(c);
  const kf = f32x4.sub(rounded, f32x4.splat(12582912));
  return f32x4.mul(pow2Rounded(rounded), f32x4.add(expm1Poly(reduceLn2(c, kf)), f32x4.splat(1)));
}

// The unbiased exponents of four positive normal floats, as integers.
@inline
function exponentOf(v: v128): v128 {
  return i32x4.sub(i32x4.shr_u(v, 23), i32x4.splat(127));
}

// Four positive normal floats with their exponents set to 0 (in [1, 2)): v = 2^exponentOf(v) mantissaOf(v).
@inline
function mantissaOf(v: v128): v128 {
  return v128.or(v128.and(v, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
}

// log(a 2^ex) per lane, for a positive normal and ex the exponent moved out of it.
@inline
function logOfSplit(a: v128, ex: v128): v128 {
  const ef = f32x4.convert_i32x4_s(ex);
  return f32x4.add(f32x4.add(f32x4.mul(ef, f32x4.splat(0.693145751953125)), f32x4.mul(ef, f32x4.splat(1.428606765330187e-6))), log4(a));
}

// sum_k log D for the n (1 to 8) parents j, j + 1, ... of example b (pr, qr: its rows of p and q),
// written as their ll: eight running products of D = p + q E_j (E_j: E's row for an off parent, E^-1's
// for an on one), whose exponents are moved out after every `cap` factors (the loop over a chunk has
// no test). A group of fewer than eight repeats its last parent.
@inline
function llOct(pr: usize, qr: usize, parent: usize, off: f32, ePos: usize, eNeg: usize, step: usize, kv: i32, cap: i32, ll: usize, ot: usize, b: i32, J: i32, m: f32, j: i32, n: i32): void {
  const one = f32x4.splat(1);
  const at = parent + ((<usize> (b * J)) << 2);
  const j0 = j;
  const j1 = n > 1 ? j + 1 : j0;
  const j2 = n > 2 ? j + 2 : j1;
  const j3 = n > 3 ? j + 3 : j2;
  const j4 = n > 4 ? j + 4 : j3;
  const j5 = n > 5 ? j + 5 : j4;
  const j6 = n > 6 ? j + 6 : j5;
  const j7 = n > 7 ? j + 7 : j6;
  const off0 = load<f32>(at + ((<usize> j0) << 2)) == off;
  const E0 = (off0 ? ePos : eNeg) + (<usize> j0) * step;
  const off1 = load<f32>(at + ((<usize> j1) << 2)) == off;
  const E1 = (off1 ? ePos : eNeg) + (<usize> j1) * step;
  const off2 = load<f32>(at + ((<usize> j2) << 2)) == off;
  const E2 = (off2 ? ePos : eNeg) + (<usize> j2) * step;
  const off3 = load<f32>(at + ((<usize> j3) << 2)) == off;
  const E3 = (off3 ? ePos : eNeg) + (<usize> j3) * step;
  const off4 = load<f32>(at + ((<usize> j4) << 2)) == off;
  const E4 = (off4 ? ePos : eNeg) + (<usize> j4) * step;
  const off5 = load<f32>(at + ((<usize> j5) << 2)) == off;
  const E5 = (off5 ? ePos : eNeg) + (<usize> j5) * step;
  const off6 = load<f32>(at + ((<usize> j6) << 2)) == off;
  const E6 = (off6 ? ePos : eNeg) + (<usize> j6) * step;
  const off7 = load<f32>(at + ((<usize> j7) << 2)) == off;
  const E7 = (off7 ? ePos : eNeg) + (<usize> j7) * step;
  let p0 = one, p1 = one, p2 = one, p3 = one, p4 = one, p5 = one, p6 = one, p7 = one;
  let x0 = i32x4.splat(0), x1 = i32x4.splat(0), x2 = i32x4.splat(0), x3 = i32x4.splat(0), x4 = i32x4.splat(0), x5 = i32x4.splat(0), x6 = i32x4.splat(0), x7 = i32x4.splat(0);
  for (let i0 = 0; i0 < kv; i0 += cap) {
    const i1 = kv - i0 > cap ? i0 + cap : kv;
    for (let i = i0; i < i1; i++) {
      const o = (<usize> i) << 4;
      const P = v128.load(pr + o), Q = v128.load(qr + o);
      p0 = f32x4.mul(p0, f32x4.add(P, f32x4.mul(Q, v128.load(E0 + o))));
      p1 = f32x4.mul(p1, f32x4.add(P, f32x4.mul(Q, v128.load(E1 + o))));
      p2 = f32x4.mul(p2, f32x4.add(P, f32x4.mul(Q, v128.load(E2 + o))));
      p3 = f32x4.mul(p3, f32x4.add(P, f32x4.mul(Q, v128.load(E3 + o))));
      p4 = f32x4.mul(p4, f32x4.add(P, f32x4.mul(Q, v128.load(E4 + o))));
      p5 = f32x4.mul(p5, f32x4.add(P, f32x4.mul(Q, v128.load(E5 + o))));
      p6 = f32x4.mul(p6, f32x4.add(P, f32x4.mul(Q, v128.load(E6 + o))));
      p7 = f32x4.mul(p7, f32x4.add(P, f32x4.mul(Q, v128.load(E7 + o))));
    }
    if (i1 < kv) {
      x0 = i32x4.add(x0, exponentOf(p0));
      x1 = i32x4.add(x1, exponentOf(p1));
      x2 = i32x4.add(x2, exponentOf(p2));
      x3 = i32x4.add(x3, exponentOf(p3));
      x4 = i32x4.add(x4, exponentOf(p4));
      x5 = i32x4.add(x5, exponentOf(p5));
      x6 = i32x4.add(x6, exponentOf(p6));
      x7 = i32x4.add(x7, exponentOf(p7));
      p0 = mantissaOf(p0);
      p1 = mantissaOf(p1);
      p2 = mantissaOf(p2);
      p3 = mantissaOf(p3);
      p4 = mantissaOf(p4);
      p5 = mantissaOf(p5);
      p6 = mantissaOf(p6);
      p7 = mantissaOf(p7);
    }
  }
  writeLlOt(ll, ot, b, j0, J, off0, m, sumLanes(logOfSplit(p0, x0)));
  if (n > 1) writeLlOt(ll, ot, b, j1, J, off1, m, sumLanes(logOfSplit(p1, x1)));
  if (n > 2) writeLlOt(ll, ot, b, j2, J, off2, m, sumLanes(logOfSplit(p2, x2)));
  if (n > 3) writeLlOt(ll, ot, b, j3, J, off3, m, sumLanes(logOfSplit(p3, x3)));
  if (n > 4) writeLlOt(ll, ot, b, j4, J, off4, m, sumLanes(logOfSplit(p4, x4)));
  if (n > 5) writeLlOt(ll, ot, b, j5, J, off5, m, sumLanes(logOfSplit(p5, x5)));
  if (n > 6) writeLlOt(ll, ot, b, j6, J, off6, m, sumLanes(logOfSplit(p6, x6)));
  if (n > 7) writeLlOt(ll, ot, b, j7, J, off7, m, sumLanes(logOfSplit(p7, x7)));
}

// llOct's products for four parents, with the entropy: for the n (1 to 4) parents j, j + 1, ... of
// example b (pr, qr, yr: its rows of p, q and y p), running products of D = p + q E and sums of
// q (y p M + t E) / D, with E, M and t E from the tables of each parent's value (tables: E+, E-, M+, M-,
// (t E)+, (t E)-, tsize bytes each); writes ll and ent. A group of fewer than four repeats its last parent.
// (Four, not eight: eight products and eight sums do not fit the vector registers.)
@inline
function entQuad(
  pr: usize,
  qr: usize,
  yr: usize,
  parent: usize,
  off: f32,
  tables: usize,
  tsize: usize,
  step: usize,
  kv: i32,
  cap: i32,
  ll: usize,
  ent: usize,
  ot: usize,
  b: i32,
  J: i32,
  m: f32,
  j: i32,
  n: i32,
): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const ja = j, jb = n > 1 ? j + 1 : ja, jc = n > 2 ? j + 2 : jb, jd = n > 3 ? j + 3 : jc;
  const at = parent + ((<usize> (b * J)) << 2);
  const off0 = load<f32>(at + ((<usize> ja) << 2)) == off, off1 = load<f32>(at + ((<usize> jb) << 2)) == off;
  const off2 = load<f32>(at + ((<usize> jc) << 2)) == off, off3 = load<f32>(at + ((<usize> jd) << 2)) == off;
  // Each parent's E row; its M and t E rows lie 2 and 4 tables further on.
  const E0 = tables + (off0 ? 0 : tsize) + (<usize> ja) * step, E1 = tables + (off1 ? 0 : tsize) + (<usize> jb) * step;
  const E2 = tables + (off2 ? 0 : tsize) + (<usize> jc) * step, E3 = tables + (off3 ? 0 : tsize) + (<usize> jd) * step;
  const mo = 2 * tsize, to = 4 * tsize;
  let p0 = one, p1 = one, p2 = one, p3 = one;
  let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
  let x0 = i32x4.splat(0), x1 = i32x4.splat(0), x2 = i32x4.splat(0), x3 = i32x4.splat(0);
  for (let i0 = 0; i0 < kv; i0 += cap) {
    const i1 = kv - i0 > cap ? i0 + cap : kv;
    for (let i = i0; i < i1; i++) {
      const o = (<usize> i) << 4;
      const P = v128.load(pr + o), Q = v128.load(qr + o), Y = v128.load(yr + o);
      const e0 = v128.load(E0 + o), D0 = f32x4.add(P, f32x4.mul(Q, e0));
      p0 = f32x4.mul(p0, D0);
      s0 = f32x4.add(s0, f32x4.div(f32x4.mul(Q, f32x4.add(f32x4.mul(Y, v128.load(E0 + mo + o)), v128.load(E0 + to + o))), D0));
      const e1 = v128.load(E1 + o), D1 = f32x4.add(P, f32x4.mul(Q, e1));
      p1 = f32x4.mul(p1, D1);
      s1 = f32x4.add(s1, f32x4.div(f32x4.mul(Q, f32x4.add(f32x4.mul(Y, v128.load(E1 + mo + o)), v128.load(E1 + to + o))), D1));
      const e2 = v128.load(E2 + o), D2 = f32x4.add(P, f32x4.mul(Q, e2));
      p2 = f32x4.mul(p2, D2);
      s2 = f32x4.add(s2, f32x4.div(f32x4.mul(Q, f32x4.add(f32x4.mul(Y, v128.load(E2 + mo + o)), v128.load(E2 + to + o))), D2));
      const e3 = v128.load(E3 + o), D3 = f32x4.add(P, f32x4.mul(Q, e3));
      p3 = f32x4.mul(p3, D3);
      s3 = f32x4.add(s3, f32x4.div(f32x4.mul(Q, f32x4.add(f32x4.mul(Y, v128.load(E3 + mo + o)), v128.load(E3 + to + o))), D3));
    }
    if (i1 < kv) {
      x0 = i32x4.add(x0, exponentOf(p0));
      x1 = i32x4.add(x1, exponentOf(p1));
      x2 = i32x4.add(x2, exponentOf(p2));
      x3 = i32x4.add(x3, exponentOf(p3));
      p0 = mantissaOf(p0);
      p1 = mantissaOf(p1);
      p2 = mantissaOf(p2);
      p3 = mantissaOf(p3);
    }
  }
  entOut(ll, ent, ot, b, ja, J, off0, m, sumLanes(logOfSplit(p0, x0)), sumLanes(s0));
  if (n > 1) entOut(ll, ent, ot, b, jb, J, off1, m, sumLanes(logOfSplit(p1, x1)), sumLanes(s1));
  if (n > 2) entOut(ll, ent, ot, b, jc, J, off2, m, sumLanes(logOfSplit(p2, x2)), sumLanes(s2));
  if (n > 3) entOut(ll, ent, ot, b, jd, J, off3, m, sumLanes(logOfSplit(p3, x3)), sumLanes(s3));
}

// ll[b, j] as writeLlOt, and ent[b, j] from the flip's entropy change H = sum log D - sum of the quotients
// (off minus on: -H where j is off, H where it is on).
@inline
function entOut(ll: usize, ent: usize, ot: usize, b: i32, j: i32, J: i32, isOff: bool, m: f32, sumLogD: f32, sig: f32): void {
  writeLlOt(ll, ot, b, j, J, isOff, m, sumLogD);
  const H = sumLogD - sig;
  store<f32>(ent + ((<usize> (b * J + j)) << 2), isOff ? -H : H);
}

// True when every one of the n floats at p is 0 or 1 and at least a quarter are 1
// (where subsetSumForward adds fewer vectors than the zero-skipping loop).
function denseBinary(p: usize, n: i32): bool {
  const n4 = n & ~3;
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  let ones = i32x4.splat(0), other = i32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(p + ((<usize> i) << 2));
    const isOne = f32x4.eq(v, one);
    ones = i32x4.sub(ones, isOne);
    other = v128.or(other, v128.andnot(f32x4.ne(v, zero), isOne));
  }
  let c = (i32x4.extract_lane(ones, 0) + i32x4.extract_lane(ones, 1)) + (i32x4.extract_lane(ones, 2) + i32x4.extract_lane(ones, 3));
  if (v128.any_true(other)) return false;
  for (let i = n4; i < n; i++) {
    const v = load<f32>(p + ((<usize> i) << 2));
    if (v != 0 && v != 1) return false;
    c += <i32> (v == 1);
  }
  return <f64> c * 4 >= <f64> n;
}

// out = x W for binary x (every value 0 or 1) by subset sums: the inputs in
// chunks of four, and for each chunk the 16 sums of its rows of W that a
// pattern of four bits selects, built once per block of outputs; each example
// then adds one table row per chunk (its pattern's) instead of a row per
// input that is on: at half the inputs on, about 60% of the additions. Each
// output is the sum over chunks c (in order) of the chunk's subset sum, which
// adds the pattern's rows in the order of their bits, lowest first.
// x: B rows of F inputs, input f of row b at float index b xb + f xf (xb = F,
// xf = 1 for x stored as [B, F]; xb = 1, xf = B for [F, B]), W: [F, K] (K a
// multiple of 4), out: [B, K]. Scratch: codes B ceil(F / 4) ints, tbl
// ceil(F / 4) kB.
function subsetSumForward(
  B: i32,
  F: i32,
  K: i32,
  x: usize,
  xb: i32,
  xf: i32,
  W: usize,
  out: usize,
  codes: usize,
  tbl: usize,
): void {
  const C = (F + 3) >> 2;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      let code = 0;
      for (let i = 0; i < 4; i++) {
        const f = c * 4 + i;
        if (f < F && load<f32>(x + ((<usize> (b * xb + f * xf)) << 2)) != 0) code |= 1 << i;
      }
      store<i32>(codes + ((<usize> (b * C + c)) << 2), code);
    }
  }
  const rowBytes = (<usize> K) << 2;
  const zero = f32x4.splat(0);
  for (let k = 0; k < K; k += 16) {
    // A block of nv vectors (4, or 1 to 3 at the end).
    const nv = K - k >= 16 ? 4 : (K - k) >> 2;
    const ko = (<usize> k) << 2;
    for (let c = 0; c < C; c++) {
      const t = tbl + ((<usize> c) << 10);
      for (let v = 0; v < nv; v++) v128.store(t + ((<usize> v) << 4), zero);
      // Doubling: the patterns below bit i, each with input 4c + i's row added.
      for (let i = 0; i < 4; i++) {
        const f = c * 4 + i, half = 1 << i;
        const wr = W + (<usize> f) * rowBytes + ko;
        if (nv == 4) {
          const w0 = f < F ? v128.load(wr) : zero, w1 = f < F ? v128.load(wr, 16) : zero;
          const w2 = f < F ? v128.load(wr, 32) : zero, w3 = f < F ? v128.load(wr, 48) : zero;
          for (let s = 0; s < half; s++) {
            const src = t + ((<usize> s) << 6), dst = src + ((<usize> half) << 6);
            v128.store(dst, f32x4.add(v128.load(src), w0));
            v128.store(dst, f32x4.add(v128.load(src, 16), w1), 16);
            v128.store(dst, f32x4.add(v128.load(src, 32), w2), 32);
            v128.store(dst, f32x4.add(v128.load(src, 48), w3), 48);
          }
        } else {
          for (let v = 0; v < nv; v++) {
            const vo = (<usize> v) << 4;
            const w = f < F ? v128.load(wr + vo) : zero;
            for (let s = 0; s < half; s++) {
              const src = t + ((<usize> s) << 6) + vo;
              v128.store(src + ((<usize> half) << 6), f32x4.add(v128.load(src), w));
            }
          }
        }
      }
    }
    let b = 0;
    if (nv == 4) {
      // Two examples at a time: eight independent sums, more table loads in flight.
      for (; b + 2 <= B; b += 2) {
        const cu = codes + ((<usize> (b * C)) << 2), cv = cu + ((<usize> C) << 2);
        const ou = out + (<usize> b) * rowBytes + ko, ov = ou + rowBytes;
        let a0 = zero, a1 = zero, a2 = zero, a3 = zero, d0 = zero, d1 = zero, d2 = zero, d3 = zero;
        for (let c = 0; c < C; c++) {
          const t = tbl + ((<usize> c) << 10);
          const tu = t + ((<usize> load<i32>(cu + ((<usize> c) << 2))) << 6);
          const tv = t + ((<usize> load<i32>(cv + ((<usize> c) << 2))) << 6);
          a0 = f32x4.add(a0, v128.load(tu));
          a1 = f32x4.add(a1, v128.load(tu, 16));
          a2 = f32x4.add(a2, v128.load(tu, 32));
          a3 = f32x4.add(a3, v128.load(tu, 48));
          d0 = f32x4.add(d0, v128.load(tv));
          d1 = f32x4.add(d1, v128.load(tv, 16));
          d2 = f32x4.add(d2, v128.load(tv, 32));
          d3 = f32x4.add(d3, v128.load(tv, 48));
        }
        v128.store(ou, a0);
        v128.store(ou, a1, 16);
        v128.store(ou, a2, 32);
        v128.store(ou, a3, 48);
        v128.store(ov, d0);
        v128.store(ov, d1, 16);
        v128.store(ov, d2, 32);
        v128.store(ov, d3, 48);
      }
    }
    // The last example of an odd batch, and the narrow last block.
    for (; b < B; b++) {
      const cr = codes + ((<usize> (b * C)) << 2);
      const o = out + (<usize> b) * rowBytes + ko;
      for (let v = 0; v < nv; v++) {
        const vo = (<usize> v) << 4;
        let a = zero;
        for (let c = 0; c < C; c++) {
          a = f32x4.add(a, v128.load(tbl + ((<usize> c) << 10) + ((<usize> load<i32>(cr + ((<usize> c) << 2))) << 6) + vo));
        }
        v128.store(o + vo, a);
      }
    }
  }
}

// A Bernoulli layer of the generative model in one pass: logits = x W^T + bias,
// fire rates sigmoid(logits) clipped to [lo, 1 - lo], and, when u is given
// (u != 0), the sample 1 where u < fire rate. x: [B, J] (mostly zero: binary
// units), W: [K, J], bias: [K], u: [B, K]; logits, fireRate, sample: [B, K].
// x W^T by subsetSumForward where x is binary with a quarter or more of it on
// and K a multiple of 4, else denseForwardT's zero-skipping loop. Scratch as
// denseForwardT, and tbl ceil(J / 4) kB.
export function bernoulliForward(
  B: i32,
  J: i32,
  K: i32,
  x: usize,
  W: usize,
  bias: usize,
  u: usize,
  lo: f32,
  logits: usize,
  fireRate: usize,
  sample: usize,
  wt: usize,
  idx: usize,
  val: usize,
  pos: usize,
  tbl: usize,
): void {
  transpose(W, K, J, wt, K);
  if ((K & 3) == 0 && denseBinary(x, B * J)) subsetSumForward(B, J, K, x, J, 1, wt, logits, idx, tbl);
  else denseForward(B, J, K, x, wt, logits, idx, val, pos);
  const vlo = f32x4.splat(lo), vhi = f32x4.splat(<f32> 1 - lo), one = f32x4.splat(1);
  const K4 = K & ~3;
  for (let b = 0; b < B; b++) {
    const row = (<usize> (b * K)) << 2;
    for (let k = 0; k < K4; k += 4) {
      const at = row + ((<usize> k) << 2);
      const y = f32x4.add(v128.load(logits + at), v128.load(bias + ((<usize> k) << 2)));
      v128.store(logits + at, y);
      // sigmoid from exp(-|y|): 1 / (1 + e) for y >= 0, e / (1 + e) below.
      const e = fastExp4(f32x4.neg(f32x4.abs(y)));
      const hi = f32x4.div(one, f32x4.add(one, e));
      const fr = f32x4.pmin(f32x4.pmax(v128.bitselect(hi, f32x4.mul(e, hi), f32x4.ge(y, f32x4.splat(0))), vlo), vhi);
      v128.store(fireRate + at, fr);
      if (u) v128.store(sample + at, v128.and(f32x4.lt(v128.load(u + at), fr), one));
    }
    for (let k = K4; k < K; k++) {
      const at = row + ((<usize> k) << 2);
      const y = load<f32>(logits + at) + load<f32>(bias + ((<usize> k) << 2));
      store<f32>(logits + at, y);
      // The same exp as the vector lanes (fastExp4), so that a unit's value does not depend on its position.
      const e = f32x4.extract_lane(fastExp4(f32x4.splat(-Mathf.abs(y))), 0);
      const hi: f32 = <f32> 1 / (<f32> 1 + e);
      const fr = Mathf.min(Mathf.max(y >= 0 ? hi : e * hi, lo), <f32> 1 - lo);
      store<f32>(fireRate + at, fr);
      if (u) store<f32>(sample + at, load<f32>(u + at) < fr ? 1 : 0);
    }
  }
}

// log(t ? fr : 1 - fr) for 0/1 targets t: the Bernoulli log-probability of t, as
// log(fr t + (1 - fr)(1 - t)) gives it (each product is exact for t in {0, 1}).
@inline
function bernoulliLog4(fr: v128, t: v128): v128 {
  return log4(v128.bitselect(fr, f32x4.sub(f32x4.splat(1), fr), f32x4.gt(t, f32x4.splat(0.5))));
}

// The same for one float (the lanes' arithmetic, so that a unit's value does not depend on its position).
@inline
function bernoulliLog1(fr: f32, t: f32): f32 {
  return f32x4.extract_lane(bernoulliLog4(f32x4.splat(fr), f32x4.splat(t)), 0);
}

// Entropy terms fr log fr + (1 - fr) log(1 - fr) (the negative entropy) of four fire rates.
@inline
function negEntropy4(fr: v128): v128 {
  const nf = f32x4.sub(f32x4.splat(1), fr);
  return f32x4.add(f32x4.mul(fr, log4(fr)), f32x4.mul(nf, log4(nf)));
}

// Per-example sums over K units of clipped Bernoulli fire rates fr ([B, K], or
// one row [K] broadcast when frStride is 0):
//   mode 0: sum_k log P(target[b, k] | fr)   (target [B, K], 0/1)
//   mode 1: sum_k H(fr)                      (the analytic entropy; target unused)
// out: B floats. Sums in four lanes over k, then the lanes in pairs, then the tail.
export function bernoulliRowSums(B: i32, K: i32, fr: usize, frStride: i32, target: usize, mode: i32, out: usize): void {
  const K4 = K & ~3;
  for (let b = 0; b < B; b++) {
    const f = fr + ((<usize> (b * frStride)) << 2), t = target + ((<usize> (b * K)) << 2);
    let acc = f32x4.splat(0);
    for (let k = 0; k < K4; k += 4) {
      const o = (<usize> k) << 2;
      acc = f32x4.add(acc, mode == 0 ? bernoulliLog4(v128.load(f + o), v128.load(t + o)) : negEntropy4(v128.load(f + o)));
    }
    let s = sumLanes(acc);
    for (let k = K4; k < K; k++) {
      const o = (<usize> k) << 2;
      s += mode == 0
        ? bernoulliLog1(load<f32>(f + o), load<f32>(t + o))
        : f32x4.extract_lane(negEntropy4(f32x4.splat(load<f32>(f + o))), 0);
    }
    store<f32>(out + ((<usize> b) << 2), mode == 0 ? s : -s);
  }
}

// A layer's batch-mean gradient from per-example logit signals g and inputs x:
//   dW[k, j] = (sum_b g[b, k] x[b, j]) / B,   db[k] = (sum_b g[b, k]) / B
// with g = signal, or signal - target when target != 0 (the decoder's fr - x).
// The sums are formed in dWT ([J, K] scratch) and transposed into dW: for
// binary x with a quarter or more of it on, by subsetSumForward over the
// examples (in chunks of four); else over b in increasing order, zero inputs
// skipped (their terms are +-0, which changes no sum that starts at +0), each
// row in registers over the examples where its input is nonzero.
// signal, target: [B, K]; x: [B, J]; dW: [K, J]; db: [K]. Scratch: dWT (J K
// floats), g (B K floats, used when target != 0), lists (B ints), vals (B
// floats), codes (J ceil(B / 4) ints), tbl (ceil(B / 4) kB), stats (4 f64, when
// withStats): sum_b |g_b|^2 |x_b|^2, sum dW^2, sum_b |g_b|^2, sum db^2, from
// which the per-example gradients' variance follows without forming them.
export function outerGrads(
  B: i32,
  K: i32,
  J: i32,
  signal: usize,
  target: usize,
  x: usize,
  dW: usize,
  db: usize,
  dWT: usize,
  gScratch: usize,
  lists: usize,
  vals: usize,
  withStats: i32,
  stats: usize,
  codes: usize,
  tbl: usize,
): void {
  const K4 = K & ~3;
  const n = (<usize> (B * K)) << 2;
  let g = signal;
  if (target) {
    g = gScratch;
    for (let o: usize = 0; o + 16 <= n; o += 16) v128.store(g + o, f32x4.sub(v128.load(signal + o), v128.load(target + o)));
    for (let o = n & ~15; o < n; o += 4) store<f32>(g + o, load<f32>(signal + o) - load<f32>(target + o));
  }
  memory.fill(db, 0, (<usize> K) << 2);
  const rowBytes = (<usize> K) << 2;
  for (let b = 0; b < B; b++) {
    const gr = g + (<usize> b) * rowBytes;
    for (let k = 0; k < K4; k += 4) {
      const o = (<usize> k) << 2;
      v128.store(db + o, f32x4.add(v128.load(db + o), v128.load(gr + o)));
    }
    for (let k = K4; k < K; k++) store<f32>(db + ((<usize> k) << 2), load<f32>(db + ((<usize> k) << 2)) + load<f32>(gr + ((<usize> k) << 2)));
  }
  // dWT = x^T g: for binary x with a quarter or more on (K a multiple of 4) by subset sums of g's rows
  // over chunks of four examples; else per input j, the examples where x[b, j] != 0 (as byte offsets of
  // g's rows) and their values, then row j of dWT summed over them in registers, 16 units at a time.
  const K16 = K & ~15;
  const subsets = (K & 3) == 0 && denseBinary(x, B * J);
  if (subsets) subsetSumForward(J, B, K, x, 1, J, g, dWT, codes, tbl);
  for (let j = 0; !subsets && j < J; j++) {
    let n = 0, ones = 0;
    for (let b = 0; b < B; b++) {
      const xv = load<f32>(x + ((<usize> (b * J + j)) << 2));
      store<i32>(lists + ((<usize> n) << 2), b * K * 4);
      store<f32>(vals + ((<usize> n) << 2), xv);
      n += <i32> (xv != 0);
      ones += <i32> (xv == 1);
    }
    const d = dWT + (<usize> j) * rowBytes;
    // Binary inputs (every listed value 1): the rows of g added as they are (1 g = g exactly).
    const binary = ones == n;
    for (let k = 0; k < K16; k += 16) {
      const gk = g + ((<usize> k) << 2);
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      if (binary) {
        for (let e = 0; e < n; e++) {
          const r = gk + (<usize> load<i32>(lists + ((<usize> e) << 2)));
          a0 = f32x4.add(a0, v128.load(r));
          a1 = f32x4.add(a1, v128.load(r, 16));
          a2 = f32x4.add(a2, v128.load(r, 32));
          a3 = f32x4.add(a3, v128.load(r, 48));
        }
      } else {
        for (let e = 0; e < n; e++) {
          const r = gk + (<usize> load<i32>(lists + ((<usize> e) << 2)));
          const v = f32x4.splat(load<f32>(vals + ((<usize> e) << 2)));
          a0 = f32x4.add(a0, f32x4.mul(v, v128.load(r)));
          a1 = f32x4.add(a1, f32x4.mul(v, v128.load(r, 16)));
          a2 = f32x4.add(a2, f32x4.mul(v, v128.load(r, 32)));
          a3 = f32x4.add(a3, f32x4.mul(v, v128.load(r, 48)));
        }
      }
      const o = (<usize> k) << 2;
      v128.store(d + o, a0);
      v128.store(d + o, a1, 16);
      v128.store(d + o, a2, 32);
      v128.store(d + o, a3, 48);
    }
    for (let k = K16; k < K4; k += 4) {
      const gk = g + ((<usize> k) << 2);
      let a0 = f32x4.splat(0);
      for (let e = 0; e < n; e++) {
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(vals + ((<usize> e) << 2))), v128.load(gk + (<usize> load<i32>(lists + ((<usize> e) << 2))))));
      }
      v128.store(d + ((<usize> k) << 2), a0);
    }
    for (let k = K4; k < K; k++) {
      const gk = g + ((<usize> k) << 2);
      let a: f32 = 0;
      for (let e = 0; e < n; e++) a += load<f32>(vals + ((<usize> e) << 2)) * load<f32>(gk + (<usize> load<i32>(lists + ((<usize> e) << 2))));
      store<f32>(d + ((<usize> k) << 2), a);
    }
  }
  // dW = dWT^T / B, divided on the way.
  transposeDivided(dWT, J, K, dW, J, <f32> B);
  for (let k = 0; k < K; k++) store<f32>(db + ((<usize> k) << 2), load<f32>(db + ((<usize> k) << 2)) / <f32> B);
  if (!withStats) return;
  let gx: f64 = 0, gg: f64 = 0;
  for (let b = 0; b < B; b++) {
    const g2 = sumSquares(g + (<usize> b) * rowBytes, K), x2 = sumSquares(x + ((<usize> (b * J)) << 2), J);
    gx += g2 * x2;
    gg += g2;
  }
  store<f64>(stats, gx);
  store<f64>(stats, sumSquares(dW, K * J), 8);
  store<f64>(stats, gg, 16);
  store<f64>(stats, sumSquares(db, K), 24);
}

// sum of squares of n floats at p: float32 in four lanes over chunks of 1024, each chunk's sum added in float64.
function sumSquares(p: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let i0 = 0; i0 < n; i0 += 1024) {
    const i1 = i0 + 1024 < n ? i0 + 1024 : n;
    let acc = f32x4.splat(0);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      const v = v128.load(p + ((<usize> i) << 2));
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let s = <f64> sumLanes(acc);
    for (; i < i1; i++) {
      const v = load<f32>(p + ((<usize> i) << 2));
      s += <f64> (v * v);
    }
    total += s;
  }
  return total;
}

// HNCA's logit signal for one encoder layer of the binary VAE (the module doc
// of lib/estimators/vae/hnca.ts; all_child off), elementwise over [B, K]:
//   rho1 = 1 / (fr + (1 - fr) e^d),  rho0 = e^d rho1 (= 1 / (fr e^-d + (1 - fr)))
//                                     (d = childLl; 1 and 1 without a child)
//   est  = ((-decLl + (rho1 log pbar - rho0 log(1 - pbar)))
//          + (rho1 - rho0) ((logPSum_b - log P(z | pbar)) + adv_b)) - childEnt
//   out  = fr (1 - fr) log(fr / (1 - fr)) - fr (1 - fr) est
// with logPSum_b = sum_k log P(z[b, k] | pbar[b, k]), the caller's (the ELBO's
// term of the layer modelling z). fr (clipped fire rate), z (sample), decLl,
// childLl, childEnt: [B, K] (childLl, childEnt may be 0: none); pbar: [B, K],
// or one row [K] when pbarStride is 0; logPSum, adv: [B]; out: [B, K].
export function hncaSignal(
  B: i32,
  K: i32,
  fr: usize,
  z: usize,
  decLl: usize,
  childLl: usize,
  childEnt: usize,
  pbar: usize,
  pbarStride: i32,
  logPSum: usize,
  adv: usize,
  out: usize,
): void {
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const row = (<usize> (b * K)) << 2, prow = pbar + ((<usize> (b * pbarStride)) << 2);
    const base = f32x4.splat(load<f32>(logPSum + ((<usize> b) << 2))), a = f32x4.splat(load<f32>(adv + ((<usize> b) << 2)));
    for (let k = 0; k < K; k += 4) {
      const o = (<usize> k) << 2;
      if (k + 4 <= K) {
        v128.store(out + row + o, hncaSignal4(
          v128.load(fr + row + o),
          v128.load(z + row + o),
          v128.load(decLl + row + o),
          childLl ? v128.load(childLl + row + o) : f32x4.splat(0),
          childEnt ? v128.load(childEnt + row + o) : f32x4.splat(0),
          v128.load(prow + o),
          base,
          a,
          childLl != 0,
          one,
        ));
      } else {
        // The tail, one unit at a time through the same lanes.
        for (let kk = k; kk < K; kk++) {
          const e = row + ((<usize> kk) << 2);
          const r = hncaSignal4(
            f32x4.splat(load<f32>(fr + e)),
            f32x4.splat(load<f32>(z + e)),
            f32x4.splat(load<f32>(decLl + e)),
            f32x4.splat(childLl ? load<f32>(childLl + e) : 0),
            f32x4.splat(childEnt ? load<f32>(childEnt + e) : 0),
            f32x4.splat(load<f32>(prow + ((<usize> kk) << 2))),
            base,
            a,
            childLl != 0,
            one,
          );
          store<f32>(out + e, f32x4.extract_lane(r, 0));
        }
      }
    }
  }
}

@inline
function hncaSignal4(fr: v128, z: v128, decLl: v128, d: v128, ent: v128, pbar: v128, logPSum: v128, adv: v128, hasChild: bool, one: v128): v128 {
  const nf = f32x4.sub(one, fr);
  let rho1 = one, rho0 = one;
  if (hasChild) {
    // One exp (clamped at e^+-80): rho0 = e^d rho1.
    const ed = fastExp4(d);
    rho1 = f32x4.div(one, f32x4.add(fr, f32x4.mul(nf, ed)));
    rho0 = f32x4.mul(ed, rho1);
  }
  const lp1 = log4(pbar), lp0 = log4(f32x4.sub(one, pbar));
  const logP = v128.bitselect(lp1, lp0, f32x4.gt(z, f32x4.splat(0.5)));
  let est = f32x4.add(f32x4.neg(decLl), f32x4.sub(f32x4.mul(rho1, lp1), f32x4.mul(rho0, lp0)));
  est = f32x4.add(est, f32x4.mul(f32x4.sub(rho1, rho0), f32x4.add(f32x4.sub(logPSum, logP), adv)));
  est = f32x4.sub(est, ent);
  const w = f32x4.mul(fr, nf);
  return f32x4.sub(f32x4.mul(w, log4(f32x4.div(fr, nf))), f32x4.mul(w, est));
}
