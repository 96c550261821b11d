/**
 * Progress of a reproduce: on a terminal, an overall bar (runs done, ETA) and
 * one bar per active run; elsewhere (CI logs, files), plain lines at a fixed
 * interval and whenever a run starts or ends.
 *
 * @example
 * ```ts
 * import { createProgress } from "./progress.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const progress = createProgress({ total: 4, terminal: false, intervalS: 10 });
 * progress.runStarted("3f2a", "estimator=hnca seed 0");
 * progress.runProgress("3f2a", 5, 10, "epoch 5/10");
 * progress.runEnded("3f2a", "complete");
 * progress.stop();
 * assertEquals(typeof progress.stop, "function");
 * ```
 * @module
 */
import cliProgress from "cli-progress";

/** Receives scheduler events. */
export interface ProgressSink {
  runStarted(key: string, label: string): void;
  runProgress(key: string, done: number, total: number, note?: string): void;
  runEnded(key: string, status: "complete" | "failed" | "locked" | "interrupted"): void;
  /** A line of its own (a message that must not be overwritten by bars). */
  message(line: string): void;
  stop(): void;
}

/** Options for createProgress. */
export interface ProgressOptions {
  /** Runs to execute (cached ones excluded). */
  total: number;
  /** Draw bars (a terminal) or print lines. */
  terminal: boolean;
  /** Seconds between plain progress lines. */
  intervalS: number;
  /** Where lines go (stderr by default). */
  write?: (line: string) => void;
}

interface Active {
  label: string;
  fraction: number;
  note: string;
  bar?: cliProgress.SingleBar;
}

function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

/** What both sinks count: runs ended and failed, the runs under way, and the time since the start. */
class Tally {
  readonly started = performance.now();
  readonly active = new Map<string, Active>();
  done = 0;
  failed = 0;
  constructor(readonly total: number) {}
  /** The fraction of all runs done, counting the running ones' progress. */
  fraction(): number {
    let f = this.done;
    for (const a of this.active.values()) f += a.fraction;
    return this.total === 0 ? 1 : f / this.total;
  }
  eta(): string {
    const f = this.fraction();
    const elapsed = (performance.now() - this.started) / 1000;
    return f > 0 ? formatDuration(elapsed * (1 - f) / f) : "?";
  }
  /** Records a run's end; returns its entry (gone from `active`). */
  end(key: string, status: string): Active | undefined {
    const a = this.active.get(key);
    this.active.delete(key);
    if (status === "complete" || status === "failed") this.done++;
    if (status === "failed") this.failed++;
    return a;
  }
  setProgress(key: string, d: number, total: number, note?: string): Active | undefined {
    const a = this.active.get(key);
    if (!a) return undefined;
    a.fraction = total > 0 ? Math.min(1, d / total) : 0;
    a.note = note ?? "";
    return a;
  }
}

/** Progress bars on a terminal: one for all runs, one per running run. */
function barsSink(t: Tally): ProgressSink {
  const multi = new cliProgress.MultiBar({
    format: "{label} |{bar}| {percentage}% {note}",
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    forceRedraw: true,
  }, cliProgress.Presets.shades_classic);
  const overall = multi.create(t.total, 0, { label: "all runs".padEnd(28), note: "" });
  const refresh = () =>
    overall.update(t.done, {
      note: `${t.done}/${t.total} done${t.failed ? `, ${t.failed} failed` : ""}, ETA ${t.eta()}`,
    });
  const timer = setInterval(refresh, 1000);
  return {
    runStarted(key, label) {
      const bar = multi.create(1000, 0, {
        label: `${key.slice(0, 8)} ${label}`.slice(0, 28).padEnd(28),
        note: "starting",
      });
      t.active.set(key, { label, fraction: 0, note: "", bar });
    },
    runProgress(key, d, total, note) {
      const a = t.setProgress(key, d, total, note);
      a?.bar?.update(Math.round(a.fraction * 1000), { note: note ?? "" });
    },
    runEnded(key, status) {
      const a = t.end(key, status);
      if (a?.bar) multi.remove(a.bar);
      if (status !== "complete") multi.log(`${key.slice(0, 12)} ${a?.label ?? ""}: ${status}\n`);
      refresh();
    },
    message(line) {
      multi.log(line + "\n");
    },
    stop() {
      clearInterval(timer);
      refresh();
      multi.stop();
    },
  };
}

/** Lines: one when a run starts or ends, and a summary every intervalS seconds. */
function linesSink(t: Tally, intervalS: number, write: (line: string) => void): ProgressSink {
  const line = () => {
    const parts = [...t.active.entries()].map(([k, a]) =>
      `${k.slice(0, 8)} ${a.note || `${Math.round(a.fraction * 100)}%`}`
    );
    write(
      `[progress ${formatDuration((performance.now() - t.started) / 1000)}] ${t.done}/${t.total} runs done` +
        `${t.failed ? ` (${t.failed} failed)` : ""}, ${Math.round(t.fraction() * 100)}%, ETA ${t.eta()}` +
        (parts.length ? `; running: ${parts.join("; ")}` : ""),
    );
  };
  const timer = t.total > 0 ? setInterval(line, intervalS * 1000) : undefined;
  return {
    runStarted(key, label) {
      t.active.set(key, { label, fraction: 0, note: "" });
      write(`[run] start ${key.slice(0, 12)} ${label}`);
    },
    runProgress(key, d, total, note) {
      t.setProgress(key, d, total, note);
    },
    runEnded(key, status) {
      const a = t.end(key, status);
      write(`[run] ${status} ${key.slice(0, 12)} ${a?.label ?? ""} (${t.done}/${t.total} done)`);
    },
    message(l) {
      write(l);
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}

/** Creates the sink that fits the output. */
export function createProgress(options: ProgressOptions): ProgressSink {
  const write = options.write ?? ((line: string) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n")));
  const tally = new Tally(options.total);
  return options.terminal ? barsSink(tally) : linesSink(tally, options.intervalS, write);
}
