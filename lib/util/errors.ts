/**
 * Errors about user input that name the file, line, column and key path.
 *
 * @example
 * ```ts
 * import { PipelineError } from "./errors.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const e = new PipelineError([{ file: "pipelines/x.yaml", line: 3, col: 1, path: ["grid", "seeds"], message: "expected an array" }]);
 * assertEquals(e.message, "pipelines/x.yaml:3:1: grid.seeds: expected an array");
 * ```
 * @module
 */

/** One problem found in a pipeline file. */
export interface PipelineIssue {
  file: string;
  line: number | null;
  col: number | null;
  path: (string | number)[];
  message: string;
}

/** Formats a key path the way YAML users read it: `profiles.smoke.config.lr`, `grid.seeds[2]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out || "(top level)";
}

/** One or more problems in a pipeline file; the message lists them, one per line. */
export class PipelineError extends Error {
  constructor(readonly issues: PipelineIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "PipelineError";
  }
}

/** `file:line:col: key.path: message` */
export function formatIssue(i: PipelineIssue): string {
  const where = i.line === null ? i.file : `${i.file}:${i.line}:${i.col}`;
  return `${where}: ${formatPath(i.path)}: ${i.message}`;
}

/** A short rendering of a value for messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** An error the command line reports without a stack trace, with an exit code. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = "UserError";
  }
}
