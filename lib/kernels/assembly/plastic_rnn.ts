// AssemblyScript source of lib/kernels/plastic_rnn.wasm (build: deno task build-kernels).
// Plain float32 wasm SIMD only (no relaxed SIMD, no FMA): results are the same on every machine.
//
// The H x H loops of Backpropamine's plastic RNNs (lib/models/plastic_rnn.ts), per batch element b:
// the recurrent product through the plastic weights, the traces' updates with their clip, and their
// backward passes. Rows are receiving neurons i, columns sending neurons j. Every [H, H] matrix is
// stored with a row stride of P (H rounded up to 4) and zeros in the padding columns; every vector
// of H values is stored in P slots with zeros in the padding, so the padding contributes nothing.
// Pointers are byte offsets into this module's memory, 16-byte aligned; the caller lays it out.

@inline function at(base: usize, index: i32): usize {
  return base + ((<usize> index) << 2);
}

// The clip to [lo, hi] with pseudo-min/max (one instruction each on x86, where f32x4.min/max take several to
// order NaN and signed zeros): for the traces, never NaN, and bounds of +-c with c > 0, the result is the same.
@inline function clip(u: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(u, lo), hi);
}

@inline function sumLanes(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// pre[b, i] += sum_j (W[i, j] + alpha[i, j] tr[b, i, j]) hPrev[b, j]  (alpha and tr unused when plastic is 0).
export function recurrent(
  B: i32, H: i32, P: i32, plastic: i32, W: usize, alpha: usize, tr: usize, hPrev: usize, pre: usize,
): void {
  for (let b = 0; b < B; b++) {
    const hp = at(hPrev, b * P), trB = at(tr, b * H * P);
    for (let i = 0; i < H; i++) {
      const row = i * P;
      let s = f32x4.splat(0);
      if (plastic) {
        for (let j = 0; j < P; j += 4) {
          const w = f32x4.add(v128.load(at(W, row + j)), f32x4.mul(v128.load(at(alpha, row + j)), v128.load(at(trB, row + j))));
          s = f32x4.add(s, f32x4.mul(w, v128.load(at(hp, j))));
        }
      } else {
        for (let j = 0; j < P; j += 4) s = f32x4.add(s, f32x4.mul(v128.load(at(W, row + j)), v128.load(at(hp, j))));
      }
      store<f32>(at(pre, b * P + i), load<f32>(at(pre, b * P + i)) + sumLanes(s));
    }
  }
}

// The previous step's Hebbian update fused with this step's recurrent product (one pass over the trace):
// trNow[b, i, j] = clip(trBefore[b, i, j] + eta[b, i] hNow[b, i] hBefore[b, j], -c, c), stored, then
// pre[b, i] += sum_j (W[i, j] + alpha[i, j] trNow[b, i, j]) hNow[b, j]. eta holds the previous step's rates.
// Rows go in pairs that share the loads of hNow and hBefore; each row's sum runs as for a single row.
export function recurrentHebb(
  B: i32, H: i32, P: i32, c: f32, W: usize, alpha: usize, eta: usize, hNow: usize, hBefore: usize,
  trBefore: usize, trNow: usize, pre: usize,
): void {
  const lo = f32x4.splat(-c), hi = f32x4.splat(c);
  for (let b = 0; b < B; b++) {
    const hn = at(hNow, b * P), hb = at(hBefore, b * P), o = b * H * P;
    let i = 0;
    for (; i + 1 < H; i += 2) {
      const mh0 = f32x4.splat(load<f32>(at(eta, b * P + i)) * load<f32>(at(hNow, b * P + i)));
      const mh1 = f32x4.splat(load<f32>(at(eta, b * P + i + 1)) * load<f32>(at(hNow, b * P + i + 1)));
      const r0 = i * P, r1 = r0 + P, t0 = o + r0, t1 = t0 + P;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      for (let j = 0; j < P; j += 4) {
        const hbj = v128.load(at(hb, j)), hnj = v128.load(at(hn, j));
        const u0 = clip(f32x4.add(v128.load(at(trBefore, t0 + j)), f32x4.mul(mh0, hbj)), lo, hi);
        v128.store(at(trNow, t0 + j), u0);
        const w0 = f32x4.add(v128.load(at(W, r0 + j)), f32x4.mul(v128.load(at(alpha, r0 + j)), u0));
        s0 = f32x4.add(s0, f32x4.mul(w0, hnj));
        const u1 = clip(f32x4.add(v128.load(at(trBefore, t1 + j)), f32x4.mul(mh1, hbj)), lo, hi);
        v128.store(at(trNow, t1 + j), u1);
        const w1 = f32x4.add(v128.load(at(W, r1 + j)), f32x4.mul(v128.load(at(alpha, r1 + j)), u1));
        s1 = f32x4.add(s1, f32x4.mul(w1, hnj));
      }
      store<f32>(at(pre, b * P + i), load<f32>(at(pre, b * P + i)) + sumLanes(s0));
      store<f32>(at(pre, b * P + i + 1), load<f32>(at(pre, b * P + i + 1)) + sumLanes(s1));
    }
    if (i < H) {
      const mh = f32x4.splat(load<f32>(at(eta, b * P + i)) * load<f32>(at(hNow, b * P + i)));
      const row = i * P, trow = o + i * P;
      let s = f32x4.splat(0);
      for (let j = 0; j < P; j += 4) {
        const t = clip(f32x4.add(v128.load(at(trBefore, trow + j)), f32x4.mul(mh, v128.load(at(hb, j)))), lo, hi);
        v128.store(at(trNow, trow + j), t);
        const w = f32x4.add(v128.load(at(W, row + j)), f32x4.mul(v128.load(at(alpha, row + j)), t));
        s = f32x4.add(s, f32x4.mul(w, v128.load(at(hn, j))));
      }
      store<f32>(at(pre, b * P + i), load<f32>(at(pre, b * P + i)) + sumLanes(s));
    }
  }
}

// The Hebbian trace (plastic, modplast, modplast-fanout), with eta[b, i] the rate of receiving neuron i:
// trNew[b, i, j] = clip(trPrev[b, i, j] + eta[b, i] hNew[b, i] hPrev[b, j], -c, c).
export function hebb(
  B: i32, H: i32, P: i32, c: f32, eta: usize, hNew: usize, hPrev: usize, trPrev: usize, trNew: usize,
): void {
  const lo = f32x4.splat(-c), hi = f32x4.splat(c);
  for (let b = 0; b < B; b++) {
    const hp = at(hPrev, b * P), o = b * H * P;
    for (let i = 0; i < H; i++) {
      const mh = f32x4.splat(load<f32>(at(eta, b * P + i)) * load<f32>(at(hNew, b * P + i)));
      const row = o + i * P;
      for (let j = 0; j < P; j += 4) {
        const u = f32x4.add(v128.load(at(trPrev, row + j)), f32x4.mul(mh, v128.load(at(hp, j))));
        v128.store(at(trNew, row + j), clip(u, lo, hi));
      }
    }
  }
}

// Retroactive modulation (modul): trNew = clip(trPrev + m[b] etPrev, -c, c),
// etNew = (1 - k) etPrev + k hNew[b, i] hPrev[b, j].
export function modulTraces(
  B: i32, H: i32, P: i32, c: f32, k: f32, m: usize, hNew: usize, hPrev: usize,
  trPrev: usize, trNew: usize, etPrev: usize, etNew: usize,
): void {
  const lo = f32x4.splat(-c), hi = f32x4.splat(c), keep = f32x4.splat(<f32> 1 - k);
  for (let b = 0; b < B; b++) {
    const hp = at(hPrev, b * P), o = b * H * P, mb = f32x4.splat(load<f32>(at(m, b)));
    for (let i = 0; i < H; i++) {
      const kh = f32x4.splat(k * load<f32>(at(hNew, b * P + i)));
      const row = o + i * P;
      for (let j = 0; j < P; j += 4) {
        const e = v128.load(at(etPrev, row + j));
        const u = f32x4.add(v128.load(at(trPrev, row + j)), f32x4.mul(mb, e));
        v128.store(at(trNew, row + j), clip(u, lo, hi));
        v128.store(at(etNew, row + j), f32x4.add(f32x4.mul(keep, e), f32x4.mul(kh, v128.load(at(hp, j)))));
      }
    }
  }
}

// Backward through the Hebbian update of one step. gTr holds dL/d(trace after the step) and becomes
// dL/d(trace before it) through the clip (its part through the update's sum; the recurrent product's
// part is added by recurrentBack). rowAcc[b, i] = sum_j gu hPrev[b, j]; ghp[b, j] += eta[b, i] hNew[b, i] gu.
// Rows go in pairs that share the loads of hPrev and ghp; ghp still adds row i before row i + 1.
export function hebbBack(
  B: i32, H: i32, P: i32, c: f32, eta: usize, hNew: usize, hPrev: usize, trPrev: usize,
  gTr: usize, rowAcc: usize, ghp: usize,
): void {
  const lo = f32x4.splat(-c), hi = f32x4.splat(c);
  for (let b = 0; b < B; b++) {
    const hp = at(hPrev, b * P), gp = at(ghp, b * P), o = b * H * P;
    let i = 0;
    for (; i + 1 < H; i += 2) {
      const mh0 = f32x4.splat(load<f32>(at(eta, b * P + i)) * load<f32>(at(hNew, b * P + i)));
      const mh1 = f32x4.splat(load<f32>(at(eta, b * P + i + 1)) * load<f32>(at(hNew, b * P + i + 1)));
      const r0 = o + i * P, r1 = r0 + P;
      let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
      for (let j = 0; j < P; j += 4) {
        const hj = v128.load(at(hp, j));
        const u0 = f32x4.add(v128.load(at(trPrev, r0 + j)), f32x4.mul(mh0, hj));
        const gu0 = v128.and(v128.load(at(gTr, r0 + j)), v128.and(f32x4.ge(u0, lo), f32x4.le(u0, hi)));
        v128.store(at(gTr, r0 + j), gu0);
        acc0 = f32x4.add(acc0, f32x4.mul(gu0, hj));
        const u1 = f32x4.add(v128.load(at(trPrev, r1 + j)), f32x4.mul(mh1, hj));
        const gu1 = v128.and(v128.load(at(gTr, r1 + j)), v128.and(f32x4.ge(u1, lo), f32x4.le(u1, hi)));
        v128.store(at(gTr, r1 + j), gu1);
        acc1 = f32x4.add(acc1, f32x4.mul(gu1, hj));
        const g0 = f32x4.add(v128.load(at(gp, j)), f32x4.mul(mh0, gu0));
        v128.store(at(gp, j), f32x4.add(g0, f32x4.mul(mh1, gu1)));
      }
      store<f32>(at(rowAcc, b * P + i), sumLanes(acc0));
      store<f32>(at(rowAcc, b * P + i + 1), sumLanes(acc1));
    }
    if (i < H) {
      const mh = f32x4.splat(load<f32>(at(eta, b * P + i)) * load<f32>(at(hNew, b * P + i)));
      const row = o + i * P;
      let acc = f32x4.splat(0);
      for (let j = 0; j < P; j += 4) {
        const hj = v128.load(at(hp, j));
        const u = f32x4.add(v128.load(at(trPrev, row + j)), f32x4.mul(mh, hj));
        const gu = v128.and(v128.load(at(gTr, row + j)), v128.and(f32x4.ge(u, lo), f32x4.le(u, hi)));
        v128.store(at(gTr, row + j), gu);
        acc = f32x4.add(acc, f32x4.mul(gu, hj));
        v128.store(at(gp, j), f32x4.add(v128.load(at(gp, j)), f32x4.mul(mh, gu)));
      }
      store<f32>(at(rowAcc, b * P + i), sumLanes(acc));
    }
  }
}

// Backward through modul's traces of one step: gTr, gEt carried (after the step) become their values
// before it; rowE[b, i] = sum_j gEt hPrev[b, j]; ghp[b, j] += k hNew[b, i] gEt;
// gm[b] = sum gu etPrev; gk[b] = -sum gEt etPrev (the caller adds sum_i hNew[b, i] rowE[b, i]).
export function modulBack(
  B: i32, H: i32, P: i32, c: f32, k: f32, m: usize, hNew: usize, hPrev: usize, trPrev: usize, etPrev: usize,
  gTr: usize, gEt: usize, rowE: usize, ghp: usize, gm: usize, gk: usize,
): void {
  const lo = f32x4.splat(-c), hi = f32x4.splat(c), keep = f32x4.splat(<f32> 1 - k);
  for (let b = 0; b < B; b++) {
    const hp = at(hPrev, b * P), gp = at(ghp, b * P), o = b * H * P, mb = f32x4.splat(load<f32>(at(m, b)));
    let gmAcc = f32x4.splat(0), gkAcc = f32x4.splat(0);
    for (let i = 0; i < H; i++) {
      const kh = f32x4.splat(k * load<f32>(at(hNew, b * P + i)));
      const row = o + i * P;
      let acc = f32x4.splat(0);
      for (let j = 0; j < P; j += 4) {
        const q = row + j, e = v128.load(at(gEt, q)), etp = v128.load(at(etPrev, q)), hj = v128.load(at(hp, j));
        acc = f32x4.add(acc, f32x4.mul(e, hj));
        v128.store(at(gp, j), f32x4.add(v128.load(at(gp, j)), f32x4.mul(kh, e)));
        gkAcc = f32x4.sub(gkAcc, f32x4.mul(e, etp));
        const u = f32x4.add(v128.load(at(trPrev, q)), f32x4.mul(mb, etp));
        const gu = v128.and(v128.load(at(gTr, q)), v128.and(f32x4.ge(u, lo), f32x4.le(u, hi)));
        gmAcc = f32x4.add(gmAcc, f32x4.mul(gu, etp));
        v128.store(at(gEt, q), f32x4.add(f32x4.mul(keep, e), f32x4.mul(mb, gu)));
        v128.store(at(gTr, q), gu);
      }
      store<f32>(at(rowE, b * P + i), sumLanes(acc));
    }
    store<f32>(at(gm, b), sumLanes(gmAcc));
    store<f32>(at(gk, b), sumLanes(gkAcc));
  }
}

// Backward through the recurrent product of one step, given ga[b, i] (dL/d pre-activation):
// gW += ga hPrev^T, gAlpha += ga hPrev^T . tr, gTr += alpha . ga hPrev^T (when plastic),
// ghp[b, j] += sum_i (W + alpha . tr)[i, j] ga[b, i], rows in pairs as in hebbBack. A row whose ga is 0
// adds only zeros, which leave every sum as it was (they start at +0 and never become -0), so it is skipped.
export function recurrentBack(
  B: i32, H: i32, P: i32, plastic: i32, W: usize, alpha: usize, tr: usize, hPrev: usize, ga: usize,
  gW: usize, gAlpha: usize, gTr: usize, ghp: usize,
): void {
  for (let b = 0; b < B; b++) {
    const hp = at(hPrev, b * P), gp = at(ghp, b * P), o = b * H * P;
    let i = 0;
    for (; i + 1 < H; i += 2) {
      const ga0 = load<f32>(at(ga, b * P + i)), ga1 = load<f32>(at(ga, b * P + i + 1));
      if (ga0 == 0 && ga1 == 0) continue;
      const g0 = f32x4.splat(ga0), g1 = f32x4.splat(ga1), r0 = i * P, r1 = r0 + P, t0 = o + r0, t1 = t0 + P;
      if (plastic) {
        for (let j = 0; j < P; j += 4) {
          const hj = v128.load(at(hp, j));
          const og0 = f32x4.mul(g0, hj), a0 = v128.load(at(alpha, r0 + j)), tr0 = v128.load(at(tr, t0 + j));
          v128.store(at(gW, r0 + j), f32x4.add(v128.load(at(gW, r0 + j)), og0));
          v128.store(at(gAlpha, r0 + j), f32x4.add(v128.load(at(gAlpha, r0 + j)), f32x4.mul(og0, tr0)));
          v128.store(at(gTr, t0 + j), f32x4.add(v128.load(at(gTr, t0 + j)), f32x4.mul(a0, og0)));
          const w0 = f32x4.add(v128.load(at(W, r0 + j)), f32x4.mul(a0, tr0));
          const og1 = f32x4.mul(g1, hj), a1 = v128.load(at(alpha, r1 + j)), tr1 = v128.load(at(tr, t1 + j));
          v128.store(at(gW, r1 + j), f32x4.add(v128.load(at(gW, r1 + j)), og1));
          v128.store(at(gAlpha, r1 + j), f32x4.add(v128.load(at(gAlpha, r1 + j)), f32x4.mul(og1, tr1)));
          v128.store(at(gTr, t1 + j), f32x4.add(v128.load(at(gTr, t1 + j)), f32x4.mul(a1, og1)));
          const w1 = f32x4.add(v128.load(at(W, r1 + j)), f32x4.mul(a1, tr1));
          const s = f32x4.add(v128.load(at(gp, j)), f32x4.mul(w0, g0));
          v128.store(at(gp, j), f32x4.add(s, f32x4.mul(w1, g1)));
        }
      } else {
        for (let j = 0; j < P; j += 4) {
          const hj = v128.load(at(hp, j));
          v128.store(at(gW, r0 + j), f32x4.add(v128.load(at(gW, r0 + j)), f32x4.mul(g0, hj)));
          v128.store(at(gW, r1 + j), f32x4.add(v128.load(at(gW, r1 + j)), f32x4.mul(g1, hj)));
          const s = f32x4.add(v128.load(at(gp, j)), f32x4.mul(v128.load(at(W, r0 + j)), g0));
          v128.store(at(gp, j), f32x4.add(s, f32x4.mul(v128.load(at(W, r1 + j)), g1)));
        }
      }
    }
    if (i < H) {
      const gai = load<f32>(at(ga, b * P + i));
      if (gai == 0) continue;
      const g = f32x4.splat(gai), row = i * P, trow = o + i * P;
      for (let j = 0; j < P; j += 4) {
        const hj = v128.load(at(hp, j)), og = f32x4.mul(g, hj);
        v128.store(at(gW, row + j), f32x4.add(v128.load(at(gW, row + j)), og));
        if (plastic) {
          const a = v128.load(at(alpha, row + j)), t = v128.load(at(tr, trow + j));
          v128.store(at(gAlpha, row + j), f32x4.add(v128.load(at(gAlpha, row + j)), f32x4.mul(og, t)));
          v128.store(at(gTr, trow + j), f32x4.add(v128.load(at(gTr, trow + j)), f32x4.mul(a, og)));
          const w = f32x4.add(v128.load(at(W, row + j)), f32x4.mul(a, t));
          v128.store(at(gp, j), f32x4.add(v128.load(at(gp, j)), f32x4.mul(w, g)));
        } else {
          v128.store(at(gp, j), f32x4.add(v128.load(at(gp, j)), f32x4.mul(v128.load(at(W, row + j)), g)));
        }
      }
    }
  }
}
