/**
 * The held-out report of a random search: rank the settings of a search axis
 * by a selection metric (its final value, mean over seeds), keep the `top`
 * best, and give claims and figures a view of the results in which the kept
 * runs are replicates of one cell. The selection metric should be read on
 * other episodes than those the claims read (validation against test), so
 * that picking the best settings does not bias what is reported: Wang et
 * al.'s top 5 of 100 settings, chosen on one half of the evaluation episodes
 * and plotted on the other.
 *
 * In the view, the search axis is gone, and the kept runs of each remaining
 * cell are numbered 0, 1, ... in rank order (then by seed) as their `seed`,
 * so that claims test over settings as they would over seeds. Other axes stay:
 * settings are ranked within each of their cells.
 *
 * @example
 * ```ts
 * import { rankSettings } from "./selection.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const table = { name: "val", doc: "", columns: [{ name: "loss", type: "f64" as const, role: "metric" as const, doc: "" }] };
 * const runs = ["s1", "s2", "s3"].map((s, i) => ({
 *   cell: `setting=${s}`, labels: { setting: s }, seed: 0,
 *   tables: { val: { header: ["loss"], rows: [[3 - i]] } },
 * }));
 * const ranking = rankSettings(runs, [table], { axis: "setting", top: 1, table: "val", metric: "loss", index: {}, direction: "lower" });
 * assertEquals(ranking.filter((r) => r.selected).map((r) => r.setting), ["s3"]);
 * ```
 * @module
 */
import type { TableSpec } from "../experiment.ts";
import type { CellValue, Labels, RunTables } from "../kinds/types.ts";
import type { Plan, PlannedRun } from "../pipeline/plan.ts";
import type { SearchSelect } from "../pipeline/search.ts";
import { formatF64 } from "../../util/format.ts";

/** One setting's place in the ranking. */
export interface RankedSetting {
  /** The other axes' cell, `default` when the search is the only axis. */
  group: string;
  setting: string;
  /** Mean over seeds of the selection metric. */
  value: number;
  /** Seeds with a value. */
  n: number;
  /** 1 for the best within its group. */
  rank: number;
  selected: boolean;
}

function groupOf(labels: Labels, axis: string): { id: string; labels: Labels } {
  const rest = Object.fromEntries(Object.entries(labels).filter(([k]) => k !== axis));
  const keys = Object.keys(rest);
  return { id: keys.length === 0 ? "default" : keys.map((k) => `${k}=${rest[k]}`).join(" "), labels: rest };
}

/** The selection metric of one run: its value at the table's last step, in the one row matching `index`. */
function runValue(run: RunTables, spec: TableSpec, sel: SearchSelect): number | null {
  const t = run.tables[sel.table];
  if (!t) return null;
  const mi = t.header.indexOf(sel.metric);
  if (mi < 0) throw new Error(`selection: table '${sel.table}' has no column '${sel.metric}'`);
  let rows = t.rows.filter((row) =>
    Object.entries(sel.index).every(([k, v]) => String(row[t.header.indexOf(k)]) === String(v))
  );
  if (spec.step) {
    const si = t.header.indexOf(spec.step);
    let last = -Infinity;
    for (const row of rows) if (typeof row[si] === "number" && (row[si] as number) > last) last = row[si] as number;
    rows = rows.filter((row) => row[si] === last);
  }
  if (rows.length === 0) return null;
  if (rows.length > 1) {
    throw new Error(
      `selection: ${rows.length} rows of ${sel.table} match ${
        JSON.stringify(sel.index)
      } at the last step of ${run.cell} seed ${run.seed}; fix the point with 'index'`,
    );
  }
  const v: CellValue = rows[0][mi];
  return typeof v === "number" ? v : null;
}

/** Ranks the settings of the search axis within each cell of the other axes. Ties keep setting order. */
export function rankSettings(
  runs: RunTables[],
  tables: TableSpec[],
  sel: SearchSelect & { axis: string },
): RankedSetting[] {
  const spec = tables.find((t) => t.name === sel.table);
  if (!spec) throw new Error(`selection: no table '${sel.table}'`);
  const sums = new Map<string, { group: string; setting: string; sum: number; n: number }>();
  for (const run of runs) {
    const setting = run.labels[sel.axis];
    if (setting === undefined) continue;
    const v = runValue(run, spec, sel);
    if (v === null) continue;
    const group = groupOf(run.labels, sel.axis).id;
    const key = JSON.stringify([group, setting]);
    const s = sums.get(key) ?? { group, setting, sum: 0, n: 0 };
    s.sum += v;
    s.n++;
    sums.set(key, s);
  }
  const out: RankedSetting[] = [];
  const groups = [...new Set([...sums.values()].map((s) => s.group))];
  for (const group of groups) {
    const ranked = [...sums.values()].filter((s) => s.group === group)
      .map((s) => ({ group, setting: s.setting, value: s.sum / s.n, n: s.n }))
      .sort((a, b) =>
        (sel.direction === "lower" ? a.value - b.value : b.value - a.value) || a.setting.localeCompare(b.setting)
      );
    ranked.forEach((r, i) => out.push({ ...r, rank: i + 1, selected: i < sel.top }));
  }
  return out;
}

/** A run relabelled into the view: without the search axis, numbered among the kept runs of its cell. */
function relabel<R extends RunTables>(run: R, axis: string, seed: number): R {
  const g = groupOf(run.labels, axis);
  const out = { ...run, cell: g.id, labels: g.labels, seed };
  if ("run" in run && run.run) {
    (out as unknown as { run: PlannedRun }).run = {
      ...(run.run as PlannedRun),
      cell: g.id,
      labels: g.labels,
      seed,
    };
  }
  return out;
}

/**
 * The view claims and figures read: the plan without the search axis (its
 * planned runs cut to the kept settings) and the kept runs, relabelled. The
 * ranking comes with it (for selection.csv).
 */
export function selectionView<R extends RunTables>(
  plan: Plan,
  runs: R[],
): { plan: Plan; runs: R[]; ranking: RankedSetting[] } {
  const sel = plan.selection;
  if (!sel) return { plan, runs, ranking: [] };
  const ranking = rankSettings(runs, plan.tables, sel);
  const rankOf = new Map(ranking.filter((r) => r.selected).map((r) => [JSON.stringify([r.group, r.setting]), r.rank]));
  const keep = <T extends { labels: Labels; seed: number }>(items: T[]) =>
    items
      .map((item) => ({
        item,
        rank: rankOf.get(JSON.stringify([groupOf(item.labels, sel.axis).id, item.labels[sel.axis]])),
      }))
      .filter((x): x is { item: T; rank: number } => x.rank !== undefined)
      .sort((a, b) => a.rank - b.rank || a.item.seed - b.item.seed);
  const number = <T extends { labels: Labels; seed: number }>(
    items: { item: T; rank: number }[],
    f: (t: T, i: number) => T,
  ) => {
    const counts = new Map<string, number>();
    return items.map(({ item }) => {
      const g = groupOf(item.labels, sel.axis).id;
      const i = counts.get(g) ?? 0;
      counts.set(g, i + 1);
      return f(item, i);
    });
  };
  const keptRuns = number(keep(runs), (r, i) => relabel(r, sel.axis, i));
  // Planned runs: the kept settings' runs (complete or not), numbered the same way.
  const keptPlanned = number(keep(plan.runs), (r, i) => {
    const g = groupOf(r.labels, sel.axis);
    return { ...r, cell: g.id, labels: g.labels, seed: i };
  });
  const view: Plan = {
    ...plan,
    axes: plan.axes.filter((a) => a !== sel.axis),
    runs: keptPlanned,
    selection: undefined,
  };
  return { plan: view, runs: keptRuns, ranking };
}

/** CSV of a ranking (selection.csv): group, setting, the setting's config values, value, n, rank, selected. */
export function selectionCsv(plan: Plan, ranking: RankedSetting[]): string {
  const sel = plan.selection;
  if (!sel) return "";
  const configOf = new Map(plan.runs.map((r) => [r.labels[sel.axis], r.config]));
  const keys = new Set<string>();
  const flat = (o: unknown, prefix = ""): Record<string, unknown> => {
    if (typeof o !== "object" || o === null || Array.isArray(o)) return { [prefix]: o };
    return Object.assign({}, ...Object.entries(o).map(([k, v]) => flat(v, prefix ? `${prefix}.${k}` : k)));
  };
  // The keys whose values differ between settings: what the search drew.
  const all = [...configOf.values()].map((c) => flat(c));
  for (const c of all) for (const k of Object.keys(c)) keys.add(k);
  const varying = [...keys].filter((k) => new Set(all.map((c) => JSON.stringify(c[k]))).size > 1).sort();
  const esc = (v: unknown) => {
    const s = typeof v === "string" ? v : JSON.stringify(v) ?? "";
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [["group", "setting", ...varying, `${sel.metric}`, "n", "rank", "selected"].join(",")];
  for (const r of ranking) {
    const c = flat(configOf.get(r.setting));
    lines.push(
      [
        r.group,
        r.setting,
        ...varying.map((k) => esc(c[k])),
        formatF64(r.value),
        String(r.n),
        String(r.rank),
        String(r.selected),
      ]
        .map((v, i) => (i < 2 ? esc(v) : v)).join(","),
    );
  }
  return lines.join("\n") + "\n";
}
