/**
 * "Did you mean ...?" for names a user mistyped: the closest candidates by
 * edit distance (case-insensitive), when close enough to be a typo.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * assertEquals(didYouMean("profle", ["profile", "backend", "jobs"]), " Did you mean 'profile'?");
 * assertEquals(didYouMean("zzz", ["profile"]), "");
 * ```
 * @module
 */

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The candidates within typo distance of `word` (about a third of its length, at least 2), closest first. */
export function closest(word: string, candidates: Iterable<string>): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  return [...new Set(candidates)]
    .map((c) => ({ c, d: c.toLowerCase().startsWith(w) && w.length >= 3 ? 0.5 : editDistance(w, c.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : 1))
    .map((x) => x.c);
}

/** " Did you mean 'x'?" (or "'x' or 'y'?"), or "" when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>, quote = "'"): string {
  const c = closest(word, candidates).slice(0, 2);
  if (c.length === 0) return "";
  return ` Did you mean ${c.map((x) => `${quote}${x}${quote}`).join(" or ")}?`;
}
