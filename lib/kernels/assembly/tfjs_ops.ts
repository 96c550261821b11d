// AssemblyScript source of lib/kernels/tfjs_ops.wasm (build: deno task build-kernels).
import { exp4, expm1Reduced, log4, reduceExp } from "./simd_math";

// The four lanes summed, in pairs.
@inline
function sumLanes(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// ll[b, j] from sum_k log D: S = d ot[b, j] - sum log D is the change from flipping j; the
// output is off minus on, S where j is on and -S where it is off.
@inline
function writeLl(ll: usize, ot: usize, b: i32, j: i32, J: i32, isOff: bool, m: f32, sumLogD: f32): void {
  const at = (<usize> (b * J + j)) << 2;
  const S = (isOff ? m : -m) * load<f32>(ot + at) - sumLogD;
  store<f32>(ll + at, isOff ? -S : S);
}

// The sum of the logarithms of four products.
@inline
function log4each(a: v128, b: v128, c: v128, d: v128): v128 {
  return f32x4.add(f32x4.add(log4(a), log4(b)), f32x4.add(log4(c), log4(d)));
}

// expm1 of four lanes given their reduction kf = reduceExp(x), as simd_math's tables use it.
@inline
function expm1Of(x: v128, kf: v128): v128 {
  const p = expm1Reduced(x, kf);
  const twoK = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(kf), i32x4.splat(127)), 23);
  return f32x4.add(f32x4.mul(twoK, p), f32x4.sub(twoK, f32x4.splat(1)));
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
  const vb1 = f32x4.splat(b1), vob1 = f32x4.splat(oneMinusB1), vb2 = f32x4.splat(b2), vob2 = f32x4.splat(oneMinusB2);
  const vc1 = f32x4.splat(c1), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps), vlr = f32x4.splat(negLr);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = (<usize> i) << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(gi, vob1));
    const vi = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(gi, gi), vob2));
    const u = f32x4.div(f32x4.div(mi, vc1), f32x4.add(f32x4.sqrt(f32x4.div(vi, vc2)), veps));
    v128.store(pOut + o, f32x4.add(v128.load(p + o), f32x4.mul(u, vlr)));
    v128.store(mOut + o, mi);
    v128.store(vOut + o, vi);
  }
  for (let i = n4; i < n; i++) {
    const o = (<usize> i) << 2;
    const gi = load<f32>(g + o);
    const mi = load<f32>(m + o) * b1 + gi * oneMinusB1;
    const vi = load<f32>(v + o) * b2 + (gi * gi) * oneMinusB2;
    const u = (mi / c1) / (Mathf.sqrt(vi / c2) + eps);
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
// Scratch: idx (B F ints), val (B F floats), pos (B ints).
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
      for (let k = 0; k < K16; k += 16) {
        const ko = (<usize> k) << 2;
        let a0 = v128.load(o + ko), a1 = v128.load(o + ko, 16), a2 = v128.load(o + ko, 32), a3 = v128.load(o + ko, 48);
        for (let e = start; e < end; e++) {
          const eo = row + ((<usize> e) << 2);
          const w = W + (<usize> load<i32>(idx + eo)) + ko;
          const v = f32x4.splat(load<f32>(val + eo));
          a0 = f32x4.add(a0, f32x4.mul(v, v128.load(w)));
          a1 = f32x4.add(a1, f32x4.mul(v, v128.load(w, 16)));
          a2 = f32x4.add(a2, f32x4.mul(v, v128.load(w, 32)));
          a3 = f32x4.add(a3, f32x4.mul(v, v128.load(w, 48)));
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
  const CH = 256;
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
  const R4 = R & ~3, C4 = C & ~3;
  if (C >= R) {
    for (let r = 0; r < R4; r += 4) {
      for (let c = 0; c < C4; c += 4) transpose4(src, C, dst, ld, r, c, false, f32x4.splat(1));
    }
  } else {
    for (let c = 0; c < C4; c += 4) {
      for (let r = 0; r < R4; r += 4) transpose4(src, C, dst, ld, r, c, false, f32x4.splat(1));
    }
  }
  // The rows past R4 and the columns past C4, one float at a time.
  for (let r = 0; r < R; r++) {
    for (let c = r < R4 ? C4 : 0; c < C; c++) {
      store<f32>(dst + ((<usize> (c * ld + r)) << 2), load<f32>(src + ((<usize> (r * C + c)) << 2)));
    }
  }
}

// One 4 x 4 block of transpose(): src rows r..r+3, columns c..c+3, each entry multiplied by scale when scaled.
@inline
function transpose4(src: usize, C: i32, dst: usize, ld: i32, r: i32, c: i32, scaled: bool, scale: v128): void {
  const s = src + ((<usize> (r * C + c)) << 2), step = (<usize> C) << 2;
  const a = v128.load(s), b = v128.load(s + step), e = v128.load(s + 2 * step), f = v128.load(s + 3 * step);
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(e, f, 0, 4, 1, 5), t3 = i32x4.shuffle(e, f, 2, 6, 3, 7);
  let u0 = i32x4.shuffle(t0, t2, 0, 1, 4, 5), u1 = i32x4.shuffle(t0, t2, 2, 3, 6, 7);
  let u2 = i32x4.shuffle(t1, t3, 0, 1, 4, 5), u3 = i32x4.shuffle(t1, t3, 2, 3, 6, 7);
  if (scaled) {
    u0 = f32x4.mul(scale, u0);
    u1 = f32x4.mul(scale, u1);
    u2 = f32x4.mul(scale, u2);
    u3 = f32x4.mul(scale, u3);
  }
  const d = dst + ((<usize> (c * ld + r)) << 2), dstep = (<usize> ld) << 2;
  v128.store(d, u0);
  v128.store(d + dstep, u1);
  v128.store(d + 2 * dstep, u2);
  v128.store(d + 3 * dstep, u3);
}

// dst[c, r] = scale src[r, c] for src [R, C]; dst's rows are ld floats apart (ld >= R). As
// transpose(), each entry multiplied by scale.
function transposeScaled(src: usize, R: i32, C: i32, dst: usize, ld: i32, scale: f32): void {
  const R4 = R & ~3, C4 = C & ~3;
  const sv = f32x4.splat(scale);
  if (C >= R) {
    for (let r = 0; r < R4; r += 4) {
      for (let c = 0; c < C4; c += 4) transpose4(src, C, dst, ld, r, c, true, sv);
    }
  } else {
    for (let c = 0; c < C4; c += 4) {
      for (let r = 0; r < R4; r += 4) transpose4(src, C, dst, ld, r, c, true, sv);
    }
  }
  for (let r = 0; r < R; r++) {
    for (let c = r < R4 ? C4 : 0; c < C; c++) {
      store<f32>(dst + ((<usize> (c * ld + r)) << 2), scale * load<f32>(src + ((<usize> (r * C + c)) << 2)));
    }
  }
}

// Per row b of x [B, F]: the columns f with x[b, f] != 0, in increasing order,
// as f rowBytes (the byte offset of W's row f), and their values, at idx/val + b F;
// pos[b] = 0. Returns cnt (B ints, after pos).
function compactRows(B: i32, F: i32, x: usize, idx: usize, val: usize, pos: usize, rowBytes: i32): usize {
  const cnt = pos + ((<usize> B) << 2);
  for (let b = 0; b < B; b++) {
    const row = (<usize> (b * F)) << 2;
    let n = 0;
    for (let f = 0; f < F; f++) {
      // Branch-free: the entry is written every time and kept when x != 0.
      const v = load<f32>(x + row + ((<usize> f) << 2));
      store<i32>(idx + row + ((<usize> n) << 2), f * rowBytes);
      store<f32>(val + row + ((<usize> n) << 2), v);
      n += <i32> (v != 0);
    }
    store<i32>(pos + ((<usize> b) << 2), 0);
    store<i32>(cnt + ((<usize> b) << 2), n);
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
  const C16 = C & ~15, C4 = C & ~3;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const at = (<usize> (((b * H + y) * W + x) * C)) << 2;
        for (let c = 0; c < C16; c += 16) {
          let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
          const co = (<usize> c) << 2;
          for (let dy = 0; dy < 3; dy++) {
            const yy = y - dy;
            if (yy < 0 || yy >= Ho) continue;
            for (let dx = 0; dx < 3; dx++) {
              const xx = x - dx;
              if (xx < 0 || xx >= Wo) continue;
              const q = (b * Ho + yy) * Wo + xx;
              const n = load<i32>(cnt + ((<usize> q) << 2));
              const base = (<usize> (q * O)) << 2;
              const tap = wt + (<usize> (dy * 3 + dx)) * tapBytes + co;
              for (let e = 0; e < n; e++) {
                const ep = base + ((<usize> e) << 2);
                const v = f32x4.splat(load<f32>(evals + ep));
                const r = tap + (<usize> load<i32>(eoff + ep));
                a0 = f32x4.add(a0, f32x4.mul(v, v128.load(r)));
                a1 = f32x4.add(a1, f32x4.mul(v, v128.load(r, 16)));
                a2 = f32x4.add(a2, f32x4.mul(v, v128.load(r, 32)));
                a3 = f32x4.add(a3, f32x4.mul(v, v128.load(r, 48)));
              }
            }
          }
          const zp = z + at + co, op = out + at + co;
          v128.store(op, v128.and(a0, f32x4.gt(v128.load(zp), zero)));
          v128.store(op, v128.and(a1, f32x4.gt(v128.load(zp, 16), zero)), 16);
          v128.store(op, v128.and(a2, f32x4.gt(v128.load(zp, 32), zero)), 32);
          v128.store(op, v128.and(a3, f32x4.gt(v128.load(zp, 48), zero)), 48);
        }
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
// q = sigmoid(y), p = sigmoid(-y), o its output, and t = d theta_kj the change
// of its logit when parent j flips (d = +m from off, -m from on; m = 2
// centered, 1 not), E = exp(t), M = expm1(t) and D = p + q E (never cancels):
//   log P(o | y + t) - log P(o | y) = o t - log D
//   H(y + t) - H(y)                 = log D - q (y p M + t E) / D
// (the entropy difference in the form without cancellation between its parts).
// The children are the vector lanes: E, M and t come from tables transposed to
// [J, Kp] (Kp: K rounded up to 4; padding has theta = 0, p = 1, q = 0, so it adds
// nothing), one table of each sign, chosen per (b, j) by the parent's value.
// log D is summed as the log of chunked products (a factor lies within
// exp(+-max |m theta|), so 60 / max |m theta| of them stay in float32's range).
// sum_k o_bk theta_kj comes from a pass over each example's active children.
// theta: [K, J]; logits, sample: [B, K]; parent: [B, J]; ll, ent: [B, J].
// Scratch (16-byte aligned): tables 6 J Kp floats (E+, E-, t+, t-, M+, M-), rows
// 3 B Kp floats (p, q, y p), ot B J floats, act K ints.
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
  const ePlus = tables, eMinus = tables + tsize, tPlus = tables + 2 * tsize, tMinus = tables + 3 * tsize;
  const mPlus = tables + 4 * tsize, mMinus = tables + 5 * tsize;
  // t = m theta, transposed to [J, Kp]; padding columns are 0.
  transposeScaled(theta, K, J, tPlus, Kp, m);
  for (let j = 0; j < J; j++) {
    for (let k = K; k < Kp; k++) store<f32>(tPlus + ((<usize> (j * Kp + k)) << 2), 0);
  }
  let vmax = f32x4.splat(0);
  for (let o: usize = 0; o < tsize; o += 16) {
    const t = v128.load(tPlus + o);
    vmax = f32x4.max(vmax, f32x4.abs(t));
    const e = exp4(t);
    v128.store(ePlus + o, e);
    v128.store(eMinus + o, f32x4.div(f32x4.splat(1), e));
    if (withEntropy) {
      // expm1 from its own reduction (E - 1 would lose M's digits where |t| is small).
      v128.store(mPlus + o, expm1Of(t, reduceExp(t)));
      v128.store(mMinus + o, expm1Of(f32x4.neg(t), reduceExp(f32x4.neg(t))));
      v128.store(tMinus + o, f32x4.neg(t));
    }
  }
  const maxAbs = Mathf.max(
    Mathf.max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)),
    Mathf.max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)),
  );
  // Factors per logarithm: each lies within exp(+-maxAbs), so 60 / maxAbs of them stay in float32's range.
  let chunk = maxAbs > 0 ? <i32> Mathf.floor(<f32> 60 / maxAbs) : 1 << 30;
  if (chunk < 1) chunk = 1;
  // Steps between logarithms: with four products (the ll loop) a step is 4 factors, and up to 3
  // more come from the tail; with two (the entropy loop), 2 and 1. Otherwise each product has its own.
  const join4 = chunk >= 7, join2 = chunk >= 3;
  const cap4 = join4 ? (chunk - 3) >> 2 : chunk, cap2 = join2 ? (chunk - 1) >> 1 : chunk;
  const rsize = (<usize> (B * Kp)) << 2;
  const pRows = rows, qRows = rows + rsize, ypRows = rows + 2 * rsize;
  const kPad = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < Kp; k += 4) {
      const at = (<usize> (b * Kp + k)) << 2;
      // Padding children (k >= K): y = 0, p = 1, q = 0.
      const real = i32x4.lt_s(i32x4.add(i32x4.splat(k), i32x4(0, 1, 2, 3)), i32x4.splat(K));
      const y = v128.and(v128.load(logits + ((<usize> (b * K + k)) << 2)), real);
      // sigmoid of both signs from one exp of -|y|.
      const e = exp4(f32x4.neg(f32x4.abs(y)));
      const hi = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e)), lo = f32x4.mul(e, hi);
      const pos = f32x4.ge(y, kPad);
      const q = v128.and(v128.bitselect(hi, lo, pos), real);
      const p = v128.bitselect(v128.bitselect(lo, hi, pos), f32x4.splat(1), real);
      v128.store(pRows + at, p);
      v128.store(qRows + at, q);
      v128.store(ypRows + at, f32x4.mul(y, p));
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
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const kv = Kp >> 2;
  // Blocks of 16 parents outermost: their table rows stay in cache while every example uses them.
  for (let j0 = 0; j0 < J; j0 += 16) {
    const j1 = j0 + 16 < J ? j0 + 16 : J;
    for (let b = 0; b < B; b++) {
      const pr = pRows + ((<usize> (b * Kp)) << 2), qr = qRows + ((<usize> (b * Kp)) << 2);
      const ypr = ypRows + ((<usize> (b * Kp)) << 2);
      let j = j0;
      if (!withEntropy) {
        // Four parents at a time share the loads of p and q; each has its own product.
        for (; j + 4 <= j1; j += 4) {
          const at = (<usize> (b * J + j)) << 2;
          const off0 = load<f32>(parent + at) == off, off1 = load<f32>(parent + at, 4) == off;
          const off2 = load<f32>(parent + at, 8) == off, off3 = load<f32>(parent + at, 12) == off;
          const row = (<usize> (j * Kp)) << 2, step = (<usize> Kp) << 2;
          const E0 = (off0 ? ePlus : eMinus) + row, E1 = (off1 ? ePlus : eMinus) + row + step;
          const E2 = (off2 ? ePlus : eMinus) + row + 2 * step, E3 = (off3 ? ePlus : eMinus) + row + 3 * step;
          let p0 = one, p1 = one, p2 = one, p3 = one;
          let l0 = zero, l1 = zero, l2 = zero, l3 = zero;
          // A logarithm of each product after every `chunk` factors (the loop over a chunk has no test).
          for (let i0 = 0; i0 < kv; i0 += chunk) {
            const i1 = kv - i0 > chunk ? i0 + chunk : kv;
            for (let i = i0; i < i1; i++) {
              const o = (<usize> i) << 4;
              const P = v128.load(pr + o), Q = v128.load(qr + o);
              p0 = f32x4.mul(p0, f32x4.add(P, f32x4.mul(Q, v128.load(E0 + o))));
              p1 = f32x4.mul(p1, f32x4.add(P, f32x4.mul(Q, v128.load(E1 + o))));
              p2 = f32x4.mul(p2, f32x4.add(P, f32x4.mul(Q, v128.load(E2 + o))));
              p3 = f32x4.mul(p3, f32x4.add(P, f32x4.mul(Q, v128.load(E3 + o))));
            }
            if (i1 - i0 == chunk) {
              l0 = f32x4.add(l0, log4(p0));
              l1 = f32x4.add(l1, log4(p1));
              l2 = f32x4.add(l2, log4(p2));
              l3 = f32x4.add(l3, log4(p3));
              p0 = one;
              p1 = one;
              p2 = one;
              p3 = one;
            }
          }
          writeLl(ll, ot, b, j, J, off0, m, sumLanes(f32x4.add(l0, log4(p0))));
          writeLl(ll, ot, b, j + 1, J, off1, m, sumLanes(f32x4.add(l1, log4(p1))));
          writeLl(ll, ot, b, j + 2, J, off2, m, sumLanes(f32x4.add(l2, log4(p2))));
          writeLl(ll, ot, b, j + 3, J, off3, m, sumLanes(f32x4.add(l3, log4(p3))));
        }
      }
      for (; j < j1; j++) {
        const isOff = load<f32>(parent + ((<usize> (b * J + j)) << 2)) == off;
        const row = (<usize> (j * Kp)) << 2;
        const E = (isOff ? ePlus : eMinus) + row, T = (isOff ? tPlus : tMinus) + row, M = (isOff ? mPlus : mMinus) + row;
        // Two (entropy) or four independent products and sums, so that the loop is not bound by one
        // multiplication's latency. A logarithm is taken of all of them together every `cap`
        // steps when the chunk allows that many factors (and the tail's), else of each.
        let logD = zero, sig = zero, sig2 = zero;
        let i = 0, c = 0;
        if (withEntropy) {
          let pa = one, pb = one;
          for (; i + 2 <= kv; i += 2) {
            const o = (<usize> i) << 4;
            const qa = v128.load(qr + o), ea = v128.load(E + o);
            const qb = v128.load(qr + o, 16), eb = v128.load(E + o, 16);
            const Da = f32x4.add(v128.load(pr + o), f32x4.mul(qa, ea));
            const Db = f32x4.add(v128.load(pr + o, 16), f32x4.mul(qb, eb));
            pa = f32x4.mul(pa, Da);
            pb = f32x4.mul(pb, Db);
            const na = f32x4.add(f32x4.mul(v128.load(ypr + o), v128.load(M + o)), f32x4.mul(v128.load(T + o), ea));
            const nb = f32x4.add(f32x4.mul(v128.load(ypr + o, 16), v128.load(M + o, 16)), f32x4.mul(v128.load(T + o, 16), eb));
            sig = f32x4.add(sig, f32x4.div(f32x4.mul(qa, na), Da));
            sig2 = f32x4.add(sig2, f32x4.div(f32x4.mul(qb, nb), Db));
            if (++c == cap2) {
              logD = f32x4.add(logD, join2 ? log4(f32x4.mul(pa, pb)) : f32x4.add(log4(pa), log4(pb)));
              pa = one;
              pb = one;
              c = 0;
            }
          }
          // The odd vector left over, if any.
          if (i < kv) {
            const o = (<usize> i) << 4;
            const q = v128.load(qr + o), e = v128.load(E + o);
            const D = f32x4.add(v128.load(pr + o), f32x4.mul(q, e));
            if (join2) pa = f32x4.mul(pa, D);
            else logD = f32x4.add(logD, log4(D));
            const num = f32x4.add(f32x4.mul(v128.load(ypr + o), v128.load(M + o)), f32x4.mul(v128.load(T + o), e));
            sig = f32x4.add(sig, f32x4.div(f32x4.mul(q, num), D));
          }
          logD = f32x4.add(logD, join2 ? log4(f32x4.mul(pa, pb)) : f32x4.add(log4(pa), log4(pb)));
          sig = f32x4.add(sig, sig2);
        } else {
          let pa = one, pb = one, pc = one, pd = one;
          for (; i + 4 <= kv; i += 4) {
            const o = (<usize> i) << 4;
            pa = f32x4.mul(pa, f32x4.add(v128.load(pr + o), f32x4.mul(v128.load(qr + o), v128.load(E + o))));
            pb = f32x4.mul(pb, f32x4.add(v128.load(pr + o, 16), f32x4.mul(v128.load(qr + o, 16), v128.load(E + o, 16))));
            pc = f32x4.mul(pc, f32x4.add(v128.load(pr + o, 32), f32x4.mul(v128.load(qr + o, 32), v128.load(E + o, 32))));
            pd = f32x4.mul(pd, f32x4.add(v128.load(pr + o, 48), f32x4.mul(v128.load(qr + o, 48), v128.load(E + o, 48))));
            if (++c == cap4) {
              logD = f32x4.add(logD, join4 ? log4(f32x4.mul(f32x4.mul(pa, pb), f32x4.mul(pc, pd))) : log4each(pa, pb, pc, pd));
              pa = one;
              pb = one;
              pc = one;
              pd = one;
              c = 0;
            }
          }
          // The vectors left over (at most three).
          for (let r = 0; i < kv; i++, r++) {
            const o = (<usize> i) << 4;
            const D = f32x4.add(v128.load(pr + o), f32x4.mul(v128.load(qr + o), v128.load(E + o)));
            if (!join4) logD = f32x4.add(logD, log4(D));
            else if (r == 0) pa = f32x4.mul(pa, D);
            else if (r == 1) pb = f32x4.mul(pb, D);
            else pc = f32x4.mul(pc, D);
          }
          logD = f32x4.add(logD, join4 ? log4(f32x4.mul(f32x4.mul(pa, pb), f32x4.mul(pc, pd))) : log4each(pa, pb, pc, pd));
        }
        const sumLogD = sumLanes(logD);
        writeLl(ll, ot, b, j, J, isOff, m, sumLogD);
        const at = (<usize> (b * J + j)) << 2;
        if (withEntropy) {
          const H = sumLogD - sumLanes(sig);
          store<f32>(ent + at, isOff ? -H : H);
        }
      }
    }
  }
}

// A Bernoulli layer of the generative model in one pass: logits = x W^T + bias,
// fire rates sigmoid(logits) clipped to [lo, 1 - lo], and, when u is given
// (u != 0), the sample 1 where u < fire rate. x: [B, J] (mostly zero: binary
// units), W: [K, J], bias: [K], u: [B, K]; logits, fireRate, sample: [B, K].
// Scratch as denseForwardT.
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
): void {
  denseForwardT(B, J, K, x, W, logits, wt, idx, val, pos);
  const vlo = f32x4.splat(lo), vhi = f32x4.splat(<f32> 1 - lo), one = f32x4.splat(1);
  const K4 = K & ~3;
  for (let b = 0; b < B; b++) {
    const row = (<usize> (b * K)) << 2;
    for (let k = 0; k < K4; k += 4) {
      const at = row + ((<usize> k) << 2);
      const y = f32x4.add(v128.load(logits + at), v128.load(bias + ((<usize> k) << 2)));
      v128.store(logits + at, y);
      // sigmoid from exp(-|y|): 1 / (1 + e) for y >= 0, e / (1 + e) below.
      const e = exp4(f32x4.neg(f32x4.abs(y)));
      const hi = f32x4.div(one, f32x4.add(one, e));
      const fr = f32x4.min(f32x4.max(v128.bitselect(hi, f32x4.mul(e, hi), f32x4.ge(y, f32x4.splat(0))), vlo), vhi);
      v128.store(fireRate + at, fr);
      if (u) v128.store(sample + at, v128.and(f32x4.lt(v128.load(u + at), fr), one));
    }
    for (let k = K4; k < K; k++) {
      const at = row + ((<usize> k) << 2);
      const y = load<f32>(logits + at) + load<f32>(bias + ((<usize> k) << 2));
      store<f32>(logits + at, y);
      // The same exp as the vector lanes (exp4), so that a unit's value does not depend on its position.
      const e = f32x4.extract_lane(exp4(f32x4.splat(-Mathf.abs(y))), 0);
      const hi: f32 = <f32> 1 / (<f32> 1 + e);
      const fr = Mathf.min(Mathf.max(y >= 0 ? hi : e * hi, lo), <f32> 1 - lo);
      store<f32>(fireRate + at, fr);
      if (u) store<f32>(sample + at, load<f32>(u + at) < fr ? 1 : 0);
    }
  }
}
