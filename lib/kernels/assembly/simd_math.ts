// Float32 SIMD math shared by the kernels (AssemblyScript). Plain wasm SIMD only:
// the same bits on every machine.

// exp and expm1 of four lanes, |x| <= 80: x = k ln2 + r with |r| <= ln2 / 2,
// p = expm1(r) by its Taylor series to degree 7, then exp(x) = 2^k (1 + p) and
// expm1(x) = 2^k p + (2^k - 1). Each is within a few float32 ulps; expm1 is
// exactly p (no cancellation) when k = 0, and exp never cancels.
export function reduceExp(x: v128): v128 {
  return f32x4.nearest(f32x4.mul(f32x4.min(f32x4.max(x, f32x4.splat(-80)), f32x4.splat(80)), f32x4.splat(1.44269504)));
}

export function expm1Reduced(x: v128, kf: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-80)), f32x4.splat(80));
  return expm1Poly(reduceLn2(x, kf));
}

// r = x - k ln2 in two parts, for kf = k as a float.
@inline
export function reduceLn2(x: v128, kf: v128): v128 {
  return f32x4.sub(
    f32x4.sub(x, f32x4.mul(kf, f32x4.splat(0.693145751953125))),
    f32x4.mul(kf, f32x4.splat(1.428606765330187e-6)),
  );
}

// expm1(r) for |r| <= ln2 / 2 by its Taylor series to degree 7.
@inline
export function expm1Poly(r: v128): v128 {
  let p = f32x4.splat(<f32> 1 / 5040);
  p = f32x4.add(f32x4.splat(<f32> 1 / 720), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(<f32> 1 / 120), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(<f32> 1 / 24), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(<f32> 1 / 6), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(<f32> 0.5), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(<f32> 1), f32x4.mul(r, p));
  return f32x4.mul(r, p);
}

export function pow2(kf: v128): v128 {
  return i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(kf), i32x4.splat(127)), 23);
}

// exp of four lanes, |x| <= 80 (clamped).
export function exp4(x: v128): v128 {
  const kf = reduceExp(x);
  return f32x4.mul(pow2(kf), f32x4.add(expm1Reduced(x, kf), f32x4.splat(1)));
}

// log of four positive normal lanes: x = 2^e m with m in [sqrt(1/2), sqrt(2)),
// log m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, by its series to s^9
// (truncation below 1e-9), and e ln 2 in two parts. Within a few float32 ulps.
export function log4(x: v128): v128 {
  const one = f32x4.splat(1);
  let e = i32x4.sub(i32x4.shr_u(x, 23), i32x4.splat(127));
  let m = v128.or(v128.and(x, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  const big = f32x4.gt(m, f32x4.splat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, f32x4.splat(0.5)), m, big);
  e = i32x4.sub(e, big);
  const s = f32x4.div(f32x4.sub(m, one), f32x4.add(m, one));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(<f32> 1 / 9);
  p = f32x4.add(f32x4.splat(<f32> 1 / 7), f32x4.mul(s2, p));
  p = f32x4.add(f32x4.splat(<f32> 1 / 5), f32x4.mul(s2, p));
  p = f32x4.add(f32x4.splat(<f32> 1 / 3), f32x4.mul(s2, p));
  p = f32x4.add(one, f32x4.mul(s2, p));
  const ef = f32x4.convert_i32x4_s(e);
  const lo = f32x4.add(f32x4.mul(ef, f32x4.splat(1.428606765330187e-6)), f32x4.mul(f32x4.mul(s, p), f32x4.splat(2)));
  return f32x4.add(f32x4.mul(ef, f32x4.splat(0.693145751953125)), lo);
}

// Lane l (0..3) of a float or int vector, for a lane index known only at run time.
export function laneF(v: v128, l: i32): f32 {
  return l == 0 ? f32x4.extract_lane(v, 0) : l == 1 ? f32x4.extract_lane(v, 1) : l == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

export function laneI(v: v128, l: i32): i32 {
  return l == 0 ? i32x4.extract_lane(v, 0) : l == 1 ? i32x4.extract_lane(v, 1) : l == 2 ? i32x4.extract_lane(v, 2) : i32x4.extract_lane(v, 3);
}
