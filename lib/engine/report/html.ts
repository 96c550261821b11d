/**
 * A static, self-contained HTML report of reproductions: per pipeline and
 * profile, the paper and its code, the verdict table (claim, source,
 * verdict, effect and interval), the final values per cell, the figures, the
 * runs (key, cell, seed, result hash, backend, wall time, peak memory) and
 * the environment. No script, no network: the figures are files beside the
 * page (relative links), the style is inline.
 *
 * @example
 * ```ts
 * import { reportHtml } from "./html.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const html = reportHtml([], "2026-01-01");
 * assertEquals(html.startsWith("<!doctype html>"), true);
 * ```
 * @module
 */
import type { ClaimResult } from "./claims.ts";

/** One run's line in the report. */
export interface ReportRun {
  key: string;
  cell: string;
  seed: number;
  resultHash: string;
  backend: string;
  wallTimeS: number | null;
  peakRssBytes: number | null;
}

/** Everything the report shows of one pipeline profile. */
export interface ReportSection {
  pipeline: string;
  title: string;
  profile: string;
  profileDescription: string;
  citation: string;
  paperUrl: string;
  codeUrl: string;
  claims: ClaimResult[];
  /** Final values per cell: header (cell, seeds, metrics) and rows of text. */
  finals: { header: string[]; rows: string[][] };
  /** Figures: id, title and the image's path relative to the page. */
  figures: { id: string; title: string; src: string }[];
  runs: ReportRun[];
  /** Planned runs not complete. */
  missing: number;
  environment: Record<string, string>;
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2.5rem; border-bottom: 2px solid #ccc; } h3 { font-size: 1.05rem; margin-top: 1.5rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { font-family: monospace; text-align: right; } code, .hash { font-family: monospace; font-size: 0.8rem; }
.PASS { background: #d9f2d9; font-weight: bold; } .FAIL { background: #f8d3d3; font-weight: bold; }
.INCONCLUSIVE { background: #fff1c2; font-weight: bold; } .INCOMPLETE, .NOT-CHECKED { background: #eee; }
figure { display: inline-block; margin: 0.5rem 1rem 1rem 0; max-width: 46rem; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; } figcaption { font-size: 0.85rem; color: #555; }
nav a { margin-right: 1rem; } .muted { color: #666; font-size: 0.85rem; }
`;

function table(header: string[], rows: string[][], classes: (row: number, col: number) => string = () => ""): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r, i) =>
    `<tr>${r.map((c, j) => `<td${classes(i, j) ? ` class="${classes(i, j)}"` : ""}>${c}</td>`).join("")}</tr>`
  ).join("\n");
  return `<table>\n<thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function fmt(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return "";
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e4 || a < 1e-3) ? x.toExponential(3) : String(Number(x.toPrecision(4)));
}

function claimRows(claims: ClaimResult[]): string[][] {
  return claims.map((c) => {
    const d = c.decision?.deciding;
    const ci = d?.test.ci ? `[${fmt(d.test.ci[0])}, ${fmt(d.test.ci[1])}]` : "";
    const p = d ? (c.status === "FAIL" ? d.pOppositeAdjusted : d.pAdjusted) : null;
    const source = c.source === "paper"
      ? `paper: ${escapeHtml(c.section ?? "")}${
        c.says ? `<br><span class="muted">${c.verbatim ? "" : "(paraphrase) "}“${escapeHtml(c.says)}”</span>` : ""
      }`
      : `project: <span class="muted">${escapeHtml(c.why ?? "")}</span>`;
    return [
      `<code>${escapeHtml(c.id)}</code>`,
      escapeHtml(c.text),
      source,
      escapeHtml(c.status),
      d ? `${fmt(d.test.effect)} ${ci}` : "",
      p === null || p === undefined || Number.isNaN(p) ? "" : fmt(p),
      d ? String(d.test.n) : "",
      escapeHtml(c.detail),
    ];
  });
}

function mib(bytes: number | null): string {
  return bytes === null ? "" : `${Math.round(bytes / 2 ** 20)} MiB`;
}

/** The report page for the sections, in order. */
export function reportHtml(sections: ReportSection[], generated: string): string {
  const anchor = (s: ReportSection) => `${s.pipeline}--${s.profile}`;
  const nav = sections.map((s) => `<a href="#${anchor(s)}">${escapeHtml(s.pipeline)} (${escapeHtml(s.profile)})</a>`)
    .join(" ");
  const parts = sections.map((s) => {
    const counts = ["PASS", "FAIL", "INCONCLUSIVE", "INCOMPLETE", "NOT CHECKED"].map((v) =>
      [v, s.claims.filter((c) => c.status === v).length] as const
    ).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(", ");
    const claims = s.claims.length
      ? table(
        ["claim", "statement", "source", "verdict", "effect [CI]", "p (Holm)", "n", "detail"],
        claimRows(s.claims),
        (i, j) => (j === 3 ? s.claims[i].status.replace(" ", "-") : j === 4 || j === 5 || j === 6 ? "num" : ""),
      )
      : "<p>No claims declared.</p>";
    const finals = s.finals.rows.length
      ? table(s.finals.header, s.finals.rows.map((r) => r.map(escapeHtml)), (_, j) => (j > 0 ? "num" : ""))
      : "<p>No complete runs.</p>";
    const figures = s.figures.map((f) =>
      `<figure id="fig-${escapeHtml(s.pipeline)}-${escapeHtml(s.profile)}-${escapeHtml(f.id)}"><img src="${
        escapeHtml(f.src)
      }" alt="${escapeHtml(f.title)}"><figcaption>${escapeHtml(f.title)} (<code>${
        escapeHtml(f.id)
      }</code>)</figcaption></figure>`
    ).join("\n");
    const runs = table(
      ["run key", "cell", "seed", "result hash", "backend", "wall time", "peak memory"],
      s.runs.map((r) => [
        `<span class="hash">${r.key.slice(0, 12)}</span>`,
        escapeHtml(r.cell),
        String(r.seed),
        `<span class="hash">${r.resultHash.slice(0, 16)}</span>`,
        escapeHtml(r.backend),
        r.wallTimeS === null ? "" : `${r.wallTimeS.toFixed(1)} s`,
        mib(r.peakRssBytes),
      ]),
      (_, j) => (j === 2 || j === 5 || j === 6 ? "num" : ""),
    );
    const env = table(["", "version"], Object.entries(s.environment).map(([k, v]) => [escapeHtml(k), escapeHtml(v)]));
    return `<section id="${anchor(s)}">
<h2>${escapeHtml(s.pipeline)}, profile ${escapeHtml(s.profile)}</h2>
<p><b>${escapeHtml(s.title)}</b><br>${escapeHtml(s.profileDescription)}</p>
<p class="muted">Paper: ${escapeHtml(s.citation)} <a href="${escapeHtml(s.paperUrl)}">paper</a> · <a href="${
      escapeHtml(s.codeUrl)
    }">original code</a></p>
<h3>Verdicts${counts ? `: ${counts}` : ""}</h3>
${claims}
<h3>Final values per cell</h3>
${finals}
<h3>Figures</h3>
${figures || "<p>No figures.</p>"}
<h3>Runs (${s.runs.length} complete${s.missing ? `, ${s.missing} not complete` : ""})</h3>
${runs}
<h3>Environment</h3>
${env}
</section>`;
  }).join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Reproduction report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Reproduction report</h1>
<p class="muted">Generated ${
    escapeHtml(generated)
  } by <code>deno task report</code> from the results folder. Verdicts are
one-sided tests over seeds with Holm's correction; PASS: significant in the claimed direction, FAIL: significant the
other way, INCONCLUSIVE: the seeds cannot decide.</p>
<nav>${nav || "No profile with results."}</nav>
${parts}
</body>
</html>
`;
}
