/**
 * What the committed references under `results/reference/<pipeline>/<profile>/`
 * hold, read from their bytes: each claim's verdict (claims.csv) and what the
 * profile cost (the wall time its runs' run.json files record).
 *
 * @example
 * ```ts
 * import { referenceClaims, referenceCost } from "./references.ts";
 * import { ok as assert } from "node:assert";
 * const claims = await referenceClaims("hnca-bandit", "quick");
 * assert(claims !== null && claims.every((c) => c.claim && c.status));
 * const cost = await referenceCost("hnca-bandit", "quick");
 * assert(cost !== null && cost.runs > 0 && cost.coreHours > 0);
 * ```
 * @module
 */
import { join } from "node:path";
import { parseCsv } from "../results/tables.ts";
import { repoRoot } from "../../util/repo.ts";

/** The folder of a committed reference profile. */
export function referenceDir(name: string, profile: string): string {
  return join(repoRoot(), "results", "reference", name, profile);
}

/** One row of a committed claims.csv, by column name. */
export type ClaimRecord = Record<string, string> & { claim: string; status: string };

/** The committed claims.csv of a reference profile, as records (null when there is none). */
export async function referenceClaims(name: string, profile: string): Promise<ClaimRecord[] | null> {
  const file = join(referenceDir(name, profile), "claims.csv");
  try {
    const { header, rows } = parseCsv(await Deno.readTextFile(file), file);
    return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])) as ClaimRecord);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** What a committed profile cost: its runs and their summed wall time. */
export interface ReferenceCost {
  runs: number;
  coreHours: number;
}

/**
 * The cost of a committed profile: the number of runs and the sum of the
 * `wall_time_s` their run.json files record (each run uses one core), or null
 * when the reference has no runs.
 */
export async function referenceCost(name: string, profile: string): Promise<ReferenceCost | null> {
  const runsDir = join(referenceDir(name, profile), "runs");
  let runs = 0, seconds = 0;
  try {
    for await (const entry of Deno.readDir(runsDir)) {
      if (!entry.isDirectory) continue;
      const file = join(runsDir, entry.name, "run.json");
      const record = JSON.parse(await Deno.readTextFile(file)) as { wall_time_s?: unknown };
      if (typeof record.wall_time_s !== "number") throw new Error(`${file} has no wall_time_s`);
      runs++;
      seconds += record.wall_time_s;
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  return runs ? { runs, coreHours: seconds / 3600 } : null;
}

/** Whether a claim's status decides it (PASS or FAIL). */
export function decides(status: string): boolean {
  return status === "PASS" || status === "FAIL";
}

/** Core-hours as a reader wants them: "0.2", "3.7", "65", "2,100". */
export function formatCoreHours(h: number): string {
  if (h < 0.05) return "< 0.1";
  if (h < 10) return h.toFixed(1);
  return Math.round(h).toLocaleString("en-US");
}
