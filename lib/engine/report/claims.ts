/**
 * Checking a paper's claims against the summary of a reproduction.
 *
 * Three kinds: `compare` (cells expected higher or lower than others, paired
 * by the remaining axes, at the final step, at every step or at one step),
 * `expect` (a mean within a tolerance of a value, or within bounds), and
 * `fraction` (the fraction of seeds whose value is below or above a bound).
 *
 * @example
 * ```ts
 * import { checkClaims, claimsTable } from "./claims.ts";
 * // const results = checkClaims(plan, summaryRows, loadedRuns);
 * // console.log(claimsTable(results));
 * ```
 * @module
 */
import { stringify } from "csv-stringify/sync";
import type { ClaimSpec } from "../pipeline/schema.ts";
import type { Plan } from "../pipeline/plan.ts";
import type { LoadedRun, SummaryRow } from "../results/summary.ts";

/** Outcome of one claim. */
export interface ClaimResult {
  id: string;
  text: string;
  status: "PASS" | "FAIL" | "NOT CHECKED" | "INCOMPLETE";
  detail: string;
}

function fmt(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(3) : x.toPrecision(4);
}

function matches(labels: Record<string, string>, sel: Record<string, unknown>): boolean {
  return Object.entries(sel).every(([k, v]) => labels[k] === String(v));
}

/**
 * Summary rows of the claim's table and metric, in its cells, at its index
 * values and at its point (`at`): for a table without a step column, `at`
 * does not apply and every row counts.
 */
function selectRows(
  claim: ClaimSpec,
  plan: Plan,
  rows: SummaryRow[],
  metric = claim.metric,
  index: Record<string, unknown> = {},
): SummaryRow[] {
  const wanted = { ...claim.index, ...index };
  const step = plan.tables.find((t) => t.name === claim.table)?.step;
  return rows.filter((r) =>
    r.table === claim.table && r.metric === metric && matches(r.labels, claim.where) &&
    Object.entries(wanted).every(([k, v]) => String(r.index[k]) === String(v)) &&
    (!step ? r.at === "each" : (claim.at === "final" ? r.at === "final" : r.at === "each") &&
      (typeof claim.at !== "number" || r.index[step] === claim.at))
  );
}

function pointLabel(r: SummaryRow, skip: Set<string> = new Set()): string {
  const parts = Object.entries(r.index).filter(([k, v]) => v !== null && !skip.has(k)).map(([k, v]) => `${k} ${v}`);
  return (r.at === "final" ? ["final", ...parts] : parts).join(", ");
}

function checkCompare(claim: ClaimSpec, plan: Plan, summary: SummaryRow[]): ClaimResult {
  const c = claim.compare!;
  const named = new Set([...Object.keys(c.cells), ...Object.keys(c.than), ...Object.keys(claim.where)]);
  const pairBy = c.pair_by ?? plan.axes.filter((a) => !named.has(a));
  const thanMetric = c.than_metric ?? claim.metric;
  const left = selectRows(claim, plan, summary, claim.metric, c.index).filter((r) => matches(r.labels, c.cells));
  const right = selectRows(claim, plan, summary, thanMetric, c.than_index).filter((r) => matches(r.labels, c.than));
  // Pair rows by the remaining axes and by the index values not fixed on either side.
  const fixed = new Set([...Object.keys(c.index), ...Object.keys(c.than_index)]);
  const key = (r: SummaryRow) =>
    JSON.stringify([pairBy.map((a) => r.labels[a]), Object.entries(r.index).filter(([k]) => !fixed.has(k))]);
  const side = (r: SummaryRow, metric: string, index: Record<string, unknown>) =>
    [
      r.cell,
      metric !== claim.metric || thanMetric !== claim.metric ? metric : "",
      ...Object.entries(index).map(([k, v]) => `${k}=${v}`),
    ]
      .filter(Boolean).join(" ");
  let checked = 0, failed = 0;
  let worst: { margin: number; text: string } | null = null;
  for (const l of left) {
    for (const r of right.filter((x) => key(x) === key(l))) {
      checked++;
      const margin = c.direction === "higher" ? l.mean - r.mean - c.margin : r.mean - l.mean - c.margin;
      if (!(margin > 0)) failed++;
      const text = `${side(l, claim.metric, c.index)} ${fmt(l.mean)} ${c.direction === "higher" ? ">" : "<"} ` +
        `${side(r, thanMetric, c.than_index)} ${fmt(r.mean)}${c.margin ? ` by ${fmt(c.margin)}` : ""}` +
        (pointLabel(l, fixed) ? ` (${pointLabel(l, fixed)})` : "");
      if (worst === null || margin < worst.margin) worst = { margin, text };
    }
  }
  if (checked === 0) {
    return { id: claim.id, text: claim.text, status: "INCOMPLETE", detail: "nothing to compare in these results" };
  }
  const status = failed === 0 ? "PASS" : "FAIL";
  const detail = failed === 0
    ? `${checked}/${checked} comparisons hold; closest: ${worst!.text}`
    : `${failed}/${checked} comparisons fail; worst: ${worst!.text}`;
  return { id: claim.id, text: claim.text, status, detail };
}

function checkExpect(claim: ClaimSpec, rows: SummaryRow[]): ClaimResult {
  const e = claim.expect!;
  if (rows.length === 0) {
    return { id: claim.id, text: claim.text, status: "INCOMPLETE", detail: "no matching summary rows" };
  }
  const bad: string[] = [];
  for (const r of rows) {
    const ok = (e.value === undefined || Math.abs(r.mean - e.value) <= e.tolerance!) &&
      (e.min === undefined || r.mean >= e.min) && (e.max === undefined || r.mean <= e.max);
    if (!ok) bad.push(`${r.cell} ${fmt(r.mean)} (${pointLabel(r)})`);
  }
  const want = [
    e.value !== undefined ? `${fmt(e.value)} ± ${fmt(e.tolerance!)}` : "",
    e.min !== undefined ? `>= ${fmt(e.min)}` : "",
    e.max !== undefined ? `<= ${fmt(e.max)}` : "",
  ].filter(Boolean).join(", ");
  if (bad.length === 0) {
    return {
      id: claim.id,
      text: claim.text,
      status: "PASS",
      detail: `${rows.length}/${rows.length} means are ${want}`,
    };
  }
  return {
    id: claim.id,
    text: claim.text,
    status: "FAIL",
    detail: `${bad.length}/${rows.length} means are not ${want}: ${bad.slice(0, 3).join("; ")}`,
  };
}

function checkFraction(claim: ClaimSpec, plan: Plan, runs: LoadedRun[]): ClaimResult {
  const f = claim.fraction!;
  const step = plan.tables.find((t) => t.name === claim.table)?.step;
  const byCell = new Map<string, number[]>();
  for (const r of runs) {
    if (!matches(r.run.labels, claim.where)) continue;
    const spec = r.tables[claim.table];
    if (!spec) continue;
    const mi = spec.header.indexOf(claim.metric);
    const stepCol = step ? spec.header.indexOf(step) : -1;
    let rows = spec.rows.filter((row) =>
      Object.entries(claim.index).every(([k, v]) => String(row[spec.header.indexOf(k)]) === String(v))
    );
    if (stepCol >= 0 && claim.at !== "every") {
      const target = claim.at === "final" ? Math.max(...rows.map((row) => Number(row[stepCol]))) : claim.at;
      rows = rows.filter((row) => Number(row[stepCol]) === target);
    }
    for (const row of rows) {
      const v = row[mi];
      if (typeof v !== "number") continue;
      if (!byCell.has(r.run.cell)) byCell.set(r.run.cell, []);
      byCell.get(r.run.cell)!.push(v);
    }
  }
  if (byCell.size === 0) return { id: claim.id, text: claim.text, status: "INCOMPLETE", detail: "no matching runs" };
  const parts: string[] = [];
  let ok = true;
  for (const [cell, values] of byCell) {
    const hits = values.filter((v) =>
      (f.below === undefined || v < f.below) && (f.above === undefined || v > f.above)
    ).length;
    const frac = hits / values.length;
    if (frac < f.at_least) ok = false;
    parts.push(`${cell}: ${hits}/${values.length} seeds`);
  }
  const bound = [
    f.below !== undefined ? `below ${fmt(f.below)}` : "",
    f.above !== undefined ? `above ${fmt(f.above)}` : "",
  ].filter(Boolean).join(" and ");
  return {
    id: claim.id,
    text: claim.text,
    status: ok ? "PASS" : "FAIL",
    detail: `${parts.join("; ")} ${bound} (need at least ${Math.round(f.at_least * 100)}%)`,
  };
}

/** Checks every claim of the plan's pipeline. `complete` is false when some runs are missing. */
export function checkClaims(plan: Plan, summary: SummaryRow[], runs: LoadedRun[], complete = true): ClaimResult[] {
  return plan.pipeline.data.claims.map((claim): ClaimResult => {
    if (claim.profiles && !claim.profiles.includes(plan.profile)) {
      return {
        id: claim.id,
        text: claim.text,
        status: "NOT CHECKED",
        detail: `checked in profiles ${claim.profiles.join(", ")}, not ${plan.profile}`,
      };
    }
    let result: ClaimResult;
    if (claim.compare) result = checkCompare(claim, plan, summary);
    else if (claim.expect) result = checkExpect(claim, selectRows(claim, plan, summary));
    else result = checkFraction(claim, plan, runs);
    if (!complete && result.status !== "NOT CHECKED") {
      return {
        ...result,
        status: "INCOMPLETE",
        detail: `some runs did not complete; on the others: ${result.status}, ${result.detail}`,
      };
    }
    return result;
  });
}

/** CSV of claim results. */
export function claimsCsv(results: ClaimResult[]): string {
  return stringify([["claim", "status", "text", "detail"], ...results.map((r) => [r.id, r.status, r.text, r.detail])], {
    record_delimiter: "\n",
  });
}

/** A plain-text table for the terminal. */
export function claimsTable(results: ClaimResult[]): string {
  if (results.length === 0) return "No claims declared.";
  const w = Math.max(5, ...results.map((r) => r.id.length));
  const lines = [
    `${"claim".padEnd(w)}  ${"result".padEnd(11)}  detail`,
    `${"-".repeat(w)}  ${"-".repeat(11)}  ${"-".repeat(40)}`,
  ];
  for (const r of results) {
    lines.push(`${r.id.padEnd(w)}  ${r.status.padEnd(11)}  ${r.text}`);
    lines.push(`${" ".repeat(w)}  ${" ".repeat(11)}  ${r.detail}`);
  }
  return lines.join("\n");
}
