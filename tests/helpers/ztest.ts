/**
 * The bound of the estimator exactness tests: per-parameter two-sided z-tests
 * with a Bonferroni correction, family-wise false-alarm rate 0.001.
 * @module
 */

/** Bonferroni bound: family-wise false-alarm rate 0.001 over `params` two-sided z-tests. */
export function zCritical(params: number): number {
  const alpha = 0.001 / params;
  // Inverse normal tail by bisection on erfc.
  let lo = 0, hi = 10;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (erfc(mid / Math.SQRT2) > alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}

function erfc(x: number): number {
  // Numerical Recipes erfcc (fractional error < 1.2e-7).
  const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
  const r = t *
    Math.exp(
      -z * z - 1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851638 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
