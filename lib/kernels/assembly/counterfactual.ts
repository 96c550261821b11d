// AssemblyScript source of lib/kernels/counterfactual.wasm (build: deno task build-kernels).
// Plain float32 wasm SIMD only (no relaxed SIMD): results are the same on every machine.
//
// HNCA needs, for every example b and parent unit j, how the log-likelihood of
// the child layer's actual outputs changes when parent j's value is flipped:
//   S[b,j] = sum_k log P(o_bk | z_bk + theta_kj d_bj) - log P(o_bk | z_bk)
// where d_bj is the change of the parent's value (+-2 centered, +-1 not).
//
// Bernoulli child: with s = 2o - 1, p = sigmoid(s z) (probability of the actual
// output), q = 1 - p and E = exp(-s d theta):
//   log P(o | z + d theta) - log P(o | z) = -log(p + q E)
// E takes one of two values per (k, j), exp(m theta) or exp(-m theta)
// (m = 2 centered, 1 not), chosen by the sign of s * d. The factors are
// multiplied in chunks and one log is taken per chunk; chunks are short enough
// that a product cannot leave float32's range.

import { exp4, expm1Reduced, laneF, laneI, log4, pow2, reduceExp } from "./simd_math";

// Scratch layout is given by the caller (all pointers are byte offsets, 16-byte aligned).

// Fills four K x Jp tables, in this order: xp = expm1(m theta), xm = expm1(-m theta),
// ep = exp(m theta), em = exp(-m theta) (padding gives factors of 1). `t` is K x Jp scratch.
// Returns the largest |m theta|.
function prepareTables(K: i32, J: i32, Jp: i32, theta: usize, m: f32, t: usize, tables: usize): f32 {
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < Jp; j++) {
      const v = j < J ? m * load<f32>(theta + ((<usize> (k * J + j)) << 2)) : <f32> 0;
      store<f32>(t + ((<usize> (k * Jp + j)) << 2), v);
    }
  }
  const size = (<usize> (K * Jp)) << 2;
  let maxAbs = f32x4.splat(0);
  for (let o: usize = 0; o < size; o += 16) {
    const x = v128.load(t + o);
    maxAbs = f32x4.max(maxAbs, f32x4.abs(x));
    const kf = reduceExp(x);
    const p = expm1Reduced(x, kf);
    const twoK = pow2(kf);
    const xp = f32x4.add(f32x4.mul(twoK, p), f32x4.sub(twoK, f32x4.splat(1)));
    const ep = f32x4.mul(twoK, f32x4.add(p, f32x4.splat(1)));
    const em = f32x4.div(f32x4.splat(1), ep);
    v128.store(tables + o, xp);
    v128.store(tables + size + o, f32x4.neg(f32x4.mul(xp, em)));
    v128.store(tables + 2 * size + o, ep);
    v128.store(tables + 3 * size + o, em);
  }
  return Mathf.max(
    Mathf.max(f32x4.extract_lane(maxAbs, 0), f32x4.extract_lane(maxAbs, 1)),
    Mathf.max(f32x4.extract_lane(maxAbs, 2), f32x4.extract_lane(maxAbs, 3)),
  );
}

// Factors per logarithm: each factor lies in [exp(-maxAbs), exp(maxAbs)], so a product of
// 60 / maxAbs of them stays within float32's normal range.
function chunkLength(maxAbs: f32, K: i32): i32 {
  let chunk = maxAbs > 0 ? <i32> Mathf.floor(<f32> 60 / maxAbs) : K;
  if (chunk < 1) chunk = 1;
  if (chunk > K) chunk = K;
  return chunk;
}

// sd[b, j] = -1 (all bits) where the flip raises parent j's value (d > 0, the parent is off), else 0;
// padding columns (j >= J) count as on.
function parentMasks(B: i32, J: i32, Jp: i32, centered: i32, parent: usize, sd: usize): void {
  const off: f32 = centered ? -1 : 0;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < Jp; j++) {
      const v = j < J ? load<f32>(parent + ((<usize> (b * J + j)) << 2)) : <f32> 1;
      store<i32>(sd + ((<usize> (b * Jp + j)) << 2), v == off ? -1 : 0);
    }
  }
}

// delta[b,j] = log P(children | parent j off) - log P(children | parent j on), for a Bernoulli child layer.
//   theta: K x J child weights; logits, sample: B x K child pre-activations and 0/1 outputs;
//   parent: B x J parent values (0/1, or -1/+1 when centered); delta: B x J output.
//   Jp: J rounded up to a multiple of 16.
//   Scratch: t (K x Jp floats), tables (4 x K x Jp floats), per (b, k) records of 16 bytes
//   (B x K x 4 words), sd (B x Jp ints).
//
// Each factor p + q E (p = P(actual output), q = 1 - p) is evaluated without
// cancellation: as 1 + q expm1(.) when q <= 1/2, as p + q exp(.) otherwise.
export function bernoulliDelta(
  B: i32,
  K: i32,
  J: i32,
  Jp: i32,
  centered: i32,
  theta: usize,
  logits: usize,
  sample: usize,
  parent: usize,
  delta: usize,
  t: usize,
  tables: usize,
  rec: usize,
  sd: usize,
): void {
  const m: f32 = centered ? 2 : 1;
  const size = (<usize> (K * Jp)) << 2;
  const maxAbs = prepareTables(K, J, Jp, theta, m, t, tables);
  const chunk = chunkLength(maxAbs, K);
  // Per (b, k) record: c0, c1 (floats), table offset (0: expm1 tables, 2 size: exp tables), s flip mask.
  const n = B * K;
  for (let i = 0; i < n; i += 4) {
    // y = s z: p = sigmoid(y) (the actual output's probability), q = sigmoid(-y), from one exp.
    const on = f32x4.gt(v128.load(sample + ((<usize> i) << 2)), f32x4.splat(0.5));
    const z = v128.load(logits + ((<usize> i) << 2));
    const y = v128.bitselect(z, f32x4.neg(z), on);
    const e = exp4(f32x4.neg(f32x4.abs(y)));
    const hi = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e)); // sigmoid(|y|)
    const lo = f32x4.mul(e, hi); // sigmoid(-|y|)
    const pos = f32x4.ge(y, f32x4.splat(0));
    const p = v128.bitselect(hi, lo, pos), q = v128.bitselect(lo, hi, pos);
    const small = f32x4.le(q, f32x4.splat(0.5));
    const c0 = v128.bitselect(f32x4.splat(1), p, small);
    const off = v128.andnot(i32x4.splat(<i32> (2 * size)), small);
    for (let l = 0; l < 4 && i + l < n; l++) {
      const r = rec + ((<usize> (i + l)) << 4);
      store<f32>(r, laneF(c0, l));
      store<f32>(r + 4, laneF(q, l));
      store<i32>(r + 8, laneI(off, l));
      store<i32>(r + 12, ~laneI(on, l));
    }
  }
  parentMasks(B, J, Jp, centered, parent, sd);
  const one = f32x4.splat(1);
  // j blocks outermost: a block's table columns stay in cache while every example uses them.
  for (let j = 0; j < Jp; j += 16) {
    for (let b = 0; b < B; b++) {
      const recRow = rec + ((<usize> (b * K)) << 4);
      // E = exp(-s d theta) uses the "minus" table (exp(-m theta)) where s * d > 0:
      // with dPos = (d > 0), that is dPos for s > 0 and not dPos for s < 0.
      const sdRow = sd + ((<usize> (b * Jp + j)) << 2);
      const d0 = v128.load(sdRow), d1 = v128.load(sdRow + 16), d2 = v128.load(sdRow + 32), d3 = v128.load(sdRow + 48);
      let p0 = one, p1 = one, p2 = one, p3 = one;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let c = 0;
      for (let k = 0; k < K; k++) {
        const r = recRow + ((<usize> k) << 4);
        const c0 = f32x4.splat(load<f32>(r));
        const c1 = f32x4.splat(load<f32>(r + 4));
        const plus = tables + <usize> load<i32>(r + 8) + ((<usize> (k * Jp + j)) << 2);
        const minus = plus + size;
        const flip = i32x4.splat(load<i32>(r + 12));
        p0 = f32x4.mul(
          p0,
          f32x4.add(c0, f32x4.mul(c1, v128.bitselect(v128.load(minus), v128.load(plus), v128.xor(d0, flip)))),
        );
        p1 = f32x4.mul(
          p1,
          f32x4.add(c0, f32x4.mul(c1, v128.bitselect(v128.load(minus, 16), v128.load(plus, 16), v128.xor(d1, flip)))),
        );
        p2 = f32x4.mul(
          p2,
          f32x4.add(c0, f32x4.mul(c1, v128.bitselect(v128.load(minus, 32), v128.load(plus, 32), v128.xor(d2, flip)))),
        );
        p3 = f32x4.mul(
          p3,
          f32x4.add(c0, f32x4.mul(c1, v128.bitselect(v128.load(minus, 48), v128.load(plus, 48), v128.xor(d3, flip)))),
        );
        if (++c == chunk) {
          a0 = f32x4.add(a0, log4(p0));
          a1 = f32x4.add(a1, log4(p1));
          a2 = f32x4.add(a2, log4(p2));
          a3 = f32x4.add(a3, log4(p3));
          p0 = one;
          p1 = one;
          p2 = one;
          p3 = one;
          c = 0;
        }
      }
      if (c > 0) {
        a0 = f32x4.add(a0, log4(p0));
        a1 = f32x4.add(a1, log4(p1));
        a2 = f32x4.add(a2, log4(p2));
        a3 = f32x4.add(a3, log4(p3));
      }
      // a = sum_k log(p + q E) = -(sum_k [log P(o | flipped) - log P(o | actual)]) = -S.
      storeDelta4(delta, sd, b, j, J, Jp, f32x4.neg(a0));
      storeDelta4(delta, sd, b, j + 4, J, Jp, f32x4.neg(a1));
      storeDelta4(delta, sd, b, j + 8, J, Jp, f32x4.neg(a2));
      storeDelta4(delta, sd, b, j + 12, J, Jp, f32x4.neg(a3));
    }
  }
}

function storeDelta4(delta: usize, sd: usize, b: i32, j: i32, J: i32, Jp: i32, s: v128): void {
  storeDelta(delta, sd, b, j, J, Jp, 0, f32x4.extract_lane(s, 0));
  storeDelta(delta, sd, b, j, J, Jp, 1, f32x4.extract_lane(s, 1));
  storeDelta(delta, sd, b, j, J, Jp, 2, f32x4.extract_lane(s, 2));
  storeDelta(delta, sd, b, j, J, Jp, 3, f32x4.extract_lane(s, 3));
}

function storeDelta(delta: usize, sd: usize, b: i32, j: i32, J: i32, Jp: i32, lane: i32, s: f32): void {
  const jj = j + lane;
  if (jj >= J) return;
  const parentOff = load<i32>(sd + ((<usize> (b * Jp + jj)) << 2)) != 0;
  store<f32>(delta + ((<usize> (b * J + jj)) << 2), parentOff ? -s : s);
}


// delta[b,j] for a softmax child over A actions that took action[b]:
//   log P(a | z + d theta_:j) with the flip, against log P(a | z), as above:
//   S = d theta[a, j] - log sum_c p_c exp(d theta[c, j]).
//   theta: A x J; logits: B x A; action: B ints; parent: B x J; delta: B x J.
//   Scratch: p (A floats), ep, em (A x J floats each).
export function softmaxDelta(
  B: i32,
  A: i32,
  J: i32,
  centered: i32,
  theta: usize,
  logits: usize,
  action: usize,
  parent: usize,
  delta: usize,
  p: usize,
  ep: usize,
  em: usize,
): void {
  const m: f32 = centered ? 2 : 1;
  const off: f32 = centered ? -1 : 0;
  for (let i = 0; i < A * J; i++) {
    const o = (<usize> i) << 2;
    const e = Mathf.exp(m * load<f32>(theta + o));
    store<f32>(ep + o, e);
    store<f32>(em + o, <f32> 1 / e);
  }
  for (let b = 0; b < B; b++) {
    // p = softmax(z_b), computed stably.
    let zmax: f32 = -Infinity;
    for (let a = 0; a < A; a++) zmax = Mathf.max(zmax, load<f32>(logits + ((<usize> (b * A + a)) << 2)));
    let sum: f32 = 0;
    for (let a = 0; a < A; a++) {
      const e = Mathf.exp(load<f32>(logits + ((<usize> (b * A + a)) << 2)) - zmax);
      store<f32>(p + ((<usize> a) << 2), e);
      sum += e;
    }
    for (let a = 0; a < A; a++) store<f32>(p + ((<usize> a) << 2), load<f32>(p + ((<usize> a) << 2)) / sum);
    const act = load<i32>(action + ((<usize> b) << 2));
    for (let j = 0; j < J; j++) {
      const parentOff = load<f32>(parent + ((<usize> (b * J + j)) << 2)) == off;
      const d: f32 = parentOff ? m : -m; // change of the parent's value when flipped
      const table = parentOff ? ep : em; // exp(d theta)
      let mix: f32 = 0;
      for (let a = 0; a < A; a++) {
        mix += load<f32>(p + ((<usize> a) << 2)) * load<f32>(table + ((<usize> (a * J + j)) << 2));
      }
      const s = d * load<f32>(theta + ((<usize> (act * J + j)) << 2)) - Mathf.log(mix);
      store<f32>(delta + ((<usize> (b * J + j)) << 2), parentOff ? -s : s);
    }
  }
}

// For a Bernoulli child layer, both of HNCA's flipped-parent terms that the
// generative model needs, per example b and parent unit j:
//   ll[b,j]  = log P(children's outputs | j off) - log P(children's outputs | j on)
//   ent[b,j] = H(children | j off) - H(children | j on), entropies of the
//              unclipped sigmoid(logit), summed over the children.
// With t = theta_kj d_bj (d: the change of parent j's value when flipped), x
// the child's logit, q = sigmoid(x), p = 1 - q, E = exp(t), M = expm1(t) and
// D = p + q E = 1 + q M (never cancels: the form is chosen by q as above):
//   log P(o | x + t) - log P(o | x) = o t - log D
//   H(x + t) - H(x)                 = log D - q (x p M + t E) / D
// Arguments as bernoulliDelta, plus ent (B x J output); rec holds 32 bytes per (b, k).
export function bernoulliFlipTerms(
  B: i32,
  K: i32,
  J: i32,
  Jp: i32,
  centered: i32,
  theta: usize,
  logits: usize,
  sample: usize,
  parent: usize,
  ll: usize,
  ent: usize,
  t: usize,
  tables: usize,
  rec: usize,
  sd: usize,
): void {
  const m: f32 = centered ? 2 : 1;
  const size = (<usize> (K * Jp)) << 2;
  const maxAbs = prepareTables(K, J, Jp, theta, m, t, tables);
  const chunk = chunkLength(maxAbs, K);
  // Per (b, k) record: c0 (1 or p), q, x p, D's form (-1: 1 + q M), output mask (-1: o = 1).
  const n = B * K;
  for (let i = 0; i < n; i += 4) {
    const on = f32x4.gt(v128.load(sample + ((<usize> i) << 2)), f32x4.splat(0.5));
    const x = v128.load(logits + ((<usize> i) << 2));
    const e = exp4(f32x4.neg(f32x4.abs(x)));
    const hi = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e)); // sigmoid(|x|)
    const lo = f32x4.mul(e, hi); // sigmoid(-|x|)
    const pos = f32x4.ge(x, f32x4.splat(0));
    const q = v128.bitselect(hi, lo, pos), p = v128.bitselect(lo, hi, pos);
    const small = f32x4.le(q, f32x4.splat(0.5));
    const c0 = v128.bitselect(f32x4.splat(1), p, small);
    const xp = f32x4.mul(x, p);
    for (let l = 0; l < 4 && i + l < n; l++) {
      const r = rec + ((<usize> (i + l)) << 5);
      store<f32>(r, laneF(c0, l));
      store<f32>(r + 4, laneF(q, l));
      store<f32>(r + 8, laneF(xp, l));
      store<i32>(r + 12, laneI(small, l));
      store<i32>(r + 16, laneI(on, l));
    }
  }
  parentMasks(B, J, Jp, centered, parent, sd);
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  for (let j = 0; j < Jp; j += 8) {
    for (let b = 0; b < B; b++) {
      const recRow = rec + ((<usize> (b * K)) << 5);
      // Where the parent is off its flip adds m theta (tables xp, ep, t); where on, it subtracts (xm, em, -t).
      const sdRow = sd + ((<usize> (b * Jp + j)) << 2);
      const d0 = v128.load(sdRow), d1 = v128.load(sdRow + 16);
      let p0 = one, p1 = one;
      let logD0 = zero, logD1 = zero, n0 = zero, n1 = zero, ot0 = zero, ot1 = zero;
      let c = 0;
      for (let k = 0; k < K; k++) {
        const r = recRow + ((<usize> k) << 5);
        const c0 = f32x4.splat(load<f32>(r));
        const q = f32x4.splat(load<f32>(r + 4));
        const xp = f32x4.splat(load<f32>(r + 8));
        const small = i32x4.splat(load<i32>(r + 12));
        const o = i32x4.splat(load<i32>(r + 16));
        const at = (<usize> (k * Jp + j)) << 2;
        const tp0 = v128.load(t + at), tp1 = v128.load(t + at, 16);
        const t0 = v128.bitselect(tp0, f32x4.neg(tp0), d0), t1 = v128.bitselect(tp1, f32x4.neg(tp1), d1);
        const M0 = v128.bitselect(v128.load(tables + at), v128.load(tables + size + at), d0);
        const M1 = v128.bitselect(v128.load(tables + at, 16), v128.load(tables + size + at, 16), d1);
        const E0 = v128.bitselect(v128.load(tables + 2 * size + at), v128.load(tables + 3 * size + at), d0);
        const E1 = v128.bitselect(v128.load(tables + 2 * size + at, 16), v128.load(tables + 3 * size + at, 16), d1);
        const D0 = f32x4.add(c0, f32x4.mul(q, v128.bitselect(M0, E0, small)));
        const D1 = f32x4.add(c0, f32x4.mul(q, v128.bitselect(M1, E1, small)));
        p0 = f32x4.mul(p0, D0);
        p1 = f32x4.mul(p1, D1);
        n0 = f32x4.add(n0, f32x4.div(f32x4.mul(q, f32x4.add(f32x4.mul(xp, M0), f32x4.mul(t0, E0))), D0));
        n1 = f32x4.add(n1, f32x4.div(f32x4.mul(q, f32x4.add(f32x4.mul(xp, M1), f32x4.mul(t1, E1))), D1));
        ot0 = f32x4.add(ot0, v128.and(t0, o));
        ot1 = f32x4.add(ot1, v128.and(t1, o));
        if (++c == chunk) {
          logD0 = f32x4.add(logD0, log4(p0));
          logD1 = f32x4.add(logD1, log4(p1));
          p0 = one;
          p1 = one;
          c = 0;
        }
      }
      if (c > 0) {
        logD0 = f32x4.add(logD0, log4(p0));
        logD1 = f32x4.add(logD1, log4(p1));
      }
      storeDelta4(ll, sd, b, j, J, Jp, f32x4.sub(ot0, logD0));
      storeDelta4(ll, sd, b, j + 4, J, Jp, f32x4.sub(ot1, logD1));
      storeDelta4(ent, sd, b, j, J, Jp, f32x4.sub(logD0, n0));
      storeDelta4(ent, sd, b, j + 4, J, Jp, f32x4.sub(logD1, n1));
    }
  }
}
