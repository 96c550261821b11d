/**
 * Reads a pipeline YAML file, validates it against the schema, and keeps the
 * position of every node so that later checks (configs, grid, plots, claims)
 * can name the line and column of what they reject.
 *
 * @example
 * ```ts
 * import { loadPipeline } from "./load.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const p = await loadPipeline("pipelines/hnca-bandit.yaml");
 * assertEquals(p.data.name, "hnca-bandit");
 * assertEquals(p.locate(["grid", "seeds"]), { line: 41, col: 10 }); // pipelines/hnca-bandit.yaml, 1-based
 * ```
 * @module
 */
import { join, resolve } from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { describeValue, PipelineError, type PipelineIssue } from "../../util/errors.ts";
import { didYouMean } from "../../util/suggest.ts";
import { type PipelineData, PipelineSchema } from "./schema.ts";
import { repoRoot } from "../../util/repo.ts";

/** A validated pipeline with its source positions. */
export interface LoadedPipeline {
  file: string;
  data: PipelineData;
  /** 1-based line and column of the node at `path` (or of its key when `key` is true). */
  locate(path: readonly (string | number)[], key?: boolean): { line: number; col: number } | null;
  /** An issue at `path`, located in this file. */
  issue(path: readonly (string | number)[], message: string, key?: boolean): PipelineIssue;
}

/** Parses and schema-checks a pipeline file. Throws PipelineError listing every problem. */
export async function loadPipeline(file: string): Promise<LoadedPipeline> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PipelineError([{ file, line: null, col: null, path: [], message: "file not found" }]);
    }
    throw e;
  }
  return parsePipeline(text, file);
}

/** Parses and schema-checks pipeline text; `file` is used in messages. */
export function parsePipeline(text: string, file: string): LoadedPipeline {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (doc.errors.length > 0) {
    throw new PipelineError(doc.errors.map((e) => ({
      file,
      ...pos(e.pos[0]),
      path: [],
      message: `YAML syntax error: ${e.message.split("\n")[0]}`,
    })));
  }

  const locate = (path: readonly (string | number)[], key = false) => {
    let node: unknown = doc.contents;
    let keyNode: unknown = null;
    let best: unknown = doc.contents;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
        best = node ?? keyNode;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
        keyNode = null;
        if (!node) break;
        best = node;
      } else break;
    }
    const target = (key && keyNode ? keyNode : best) as Node | null;
    const range = target?.range;
    return range ? pos(range[0]) : null;
  };
  const issue = (path: readonly (string | number)[], message: string, key = false): PipelineIssue => {
    const at = locate(path, key);
    return { file, line: at?.line ?? null, col: at?.col ?? null, path: [...path], message };
  };

  const raw = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new PipelineError([issue([], `expected a mapping of pipeline keys, got ${describeValue(raw)}`)]);
  }
  const parsed = PipelineSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new PipelineError(zodIssues(parsed.error.issues, [], issue, PipelineSchema));
  }
  return { file, data: parsed.data, locate, issue };
}

/**
 * Turns zod issues into located pipeline issues. `prefix` is the YAML path of
 * the validated value; `at` maps a YAML path (and whether to point at the key)
 * to an issue.
 */
export function zodIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly (string | number)[],
  at: (path: (string | number)[], message: string, key?: boolean) => PipelineIssue,
  schema?: z.ZodType,
): PipelineIssue[] {
  const out: PipelineIssue[] = [];
  for (const i of issues) {
    const path = [...prefix, ...(i.path as (string | number)[])];
    const keys = schema ? (p: (string | number)[]) => schemaKeysAt(schema, p.slice(prefix.length)) : () => [];
    out.push(...zodIssue(i, path, at, keys));
  }
  return out;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
};

/** The keys an object schema allows at `path` (through defaults, arrays, records, unions and pipes). */
export function schemaKeysAt(schema: z.ZodType, path: (string | number)[]): string[] {
  let nodes: z.ZodType[] = [schema];
  const unwrap = (s: z.ZodType): z.ZodType[] => {
    const def = (s as unknown as { _zod: { def: Def } })._zod.def;
    if (["default", "optional", "nullable", "prefault", "readonly", "catch"].includes(def.type)) {
      return unwrap(def.innerType!);
    }
    if (def.type === "pipe") return [...unwrap(def.in!), ...unwrap(def.out!)];
    if (def.type === "union") return (def.options ?? []).flatMap(unwrap);
    return [s];
  };
  for (const seg of [...path, null]) {
    nodes = nodes.flatMap(unwrap);
    if (seg === null) break;
    nodes = nodes.flatMap((s) => {
      const def = (s as unknown as { _zod: { def: Def } })._zod.def;
      if (def.type === "object" && typeof seg === "string" && def.shape?.[seg]) return [def.shape[seg]];
      if (def.type === "array" && typeof seg === "number") return [def.element!];
      if (def.type === "record") return [def.valueType!];
      return [];
    });
  }
  return [
    ...new Set(nodes.flatMap((s) => {
      const def = (s as unknown as { _zod: { def: Def } })._zod.def;
      return def.type === "object" ? Object.keys(def.shape ?? {}) : [];
    })),
  ];
}

function zodIssue(
  i: z.core.$ZodIssue,
  path: (string | number)[],
  at: (path: (string | number)[], message: string, key?: boolean) => PipelineIssue,
  keysAt: (path: (string | number)[]) => string[],
): PipelineIssue[] {
  const input = (i as { input?: unknown }).input;
  switch (i.code) {
    case "unrecognized_keys":
      return i.keys.map((k) => {
        const hint = didYouMean(k, keysAt(path));
        return at([...path, k], `unknown key '${k}'${hint ? `.${hint}` : ""}`, true);
      });
    case "invalid_type":
      if (input === undefined) return [at(path, `missing required key (expected ${i.expected})`, true)];
      return [at(path, `expected ${i.expected}, got ${describeValue(input)}`)];
    case "invalid_value":
      return [
        at(path, `expected one of ${i.values.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(input)}`),
      ];
    case "invalid_key": {
      const nested = (i as { issues?: { message: string }[] }).issues ?? [];
      return [
        at(path, `invalid name ${describeValue(input)}: ${nested.map((n) => n.message).join("; ") || i.message}`, true),
      ];
    }
    case "invalid_union": {
      const note = i as { note?: string; options?: unknown[] };
      if (note.options) {
        return [
          at(
            path,
            `expected one of ${note.options.map((v) => JSON.stringify(v)).join(", ")}, got ${describeValue(input)}`,
          ),
        ];
      }
      // Report the branch that got furthest: deepest issue first (it matched the value's shape), then a branch
      // whose type the value has (its issues are not a wrong type at the value itself), then fewest issues.
      const depth = (b: { path: PropertyKey[] }[]) => Math.max(...b.map((x) => x.path.length));
      const wrongType = (b: { path: PropertyKey[]; code: string }[]) =>
        b.some((x) => x.path.length === 0 && x.code === "invalid_type") ? 1 : 0;
      const branches = (i.errors ?? []).filter((b) => b.length > 0).sort((a, b) =>
        depth(b) - depth(a) || wrongType(a) - wrongType(b) || a.length - b.length
      );
      if (branches.length === 0) return [at(path, `${i.message}, got ${describeValue(input)}`)];
      return zodIssues(branches[0], path, at);
    }
    default:
      return [at(path, input === undefined ? i.message : `${i.message}, got ${describeValue(input)}`)];
  }
}

/** Finds a pipeline file from a name or a path. */
export function pipelinePath(nameOrPath: string): string {
  if (nameOrPath.endsWith(".yaml") || nameOrPath.endsWith(".yml") || nameOrPath.includes("/")) {
    return resolve(nameOrPath);
  }
  return join(repoRoot(), "pipelines", `${nameOrPath}.yaml`);
}

/** Lists pipeline names under pipelines/. */
export async function pipelineNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(join(repoRoot(), "pipelines"))) {
    if (e.isFile && e.name.endsWith(".yaml")) names.push(e.name.slice(0, -5));
  }
  return names.sort();
}
