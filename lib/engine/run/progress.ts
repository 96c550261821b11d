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

/** Creates the sink that fits the output. */
export function createProgress(options: ProgressOptions): ProgressSink {
  const write = options.write ?? ((line: string) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n")));
  const started = performance.now();
  const active = new Map<string, Active>();
  let done = 0, failed = 0;
  const fraction = () => {
    let f = done;
    for (const a of active.values()) f += a.fraction;
    return options.total === 0 ? 1 : f / options.total;
  };
  const eta = () => {
    const f = fraction();
    const elapsed = (performance.now() - started) / 1000;
    return f > 0 ? formatDuration(elapsed * (1 - f) / f) : "?";
  };

  if (options.terminal) {
    const multi = new cliProgress.MultiBar({
      format: "{label} |{bar}| {percentage}% {note}",
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      forceRedraw: true,
    }, cliProgress.Presets.shades_classic);
    const overall = multi.create(options.total, 0, { label: "all runs".padEnd(28), note: "" });
    const refresh = () =>
      overall.update(done, {
        note: `${done}/${options.total} done${failed ? `, ${failed} failed` : ""}, ETA ${eta()}`,
      });
    const timer = setInterval(refresh, 1000);
    return {
      runStarted(key, label) {
        const bar = multi.create(1000, 0, {
          label: `${key.slice(0, 8)} ${label}`.slice(0, 28).padEnd(28),
          note: "starting",
        });
        active.set(key, { label, fraction: 0, note: "", bar });
      },
      runProgress(key, d, total, note) {
        const a = active.get(key);
        if (!a) return;
        a.fraction = total > 0 ? Math.min(1, d / total) : 0;
        a.bar?.update(Math.round(a.fraction * 1000), { note: note ?? "" });
      },
      runEnded(key, status) {
        const a = active.get(key);
        if (a?.bar) multi.remove(a.bar);
        active.delete(key);
        if (status === "complete" || status === "failed") done++;
        if (status === "failed") failed++;
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

  const line = () => {
    const parts = [...active.entries()].map(([k, a]) =>
      `${k.slice(0, 8)} ${a.note || `${Math.round(a.fraction * 100)}%`}`
    );
    write(
      `[progress ${formatDuration((performance.now() - started) / 1000)}] ${done}/${options.total} runs done` +
        `${failed ? ` (${failed} failed)` : ""}, ${Math.round(fraction() * 100)}%, ETA ${eta()}` +
        (parts.length ? `; running: ${parts.join("; ")}` : ""),
    );
  };
  const timer = options.total > 0 ? setInterval(line, options.intervalS * 1000) : undefined;
  return {
    runStarted(key, label) {
      active.set(key, { label, fraction: 0, note: "" });
      write(`[run] start ${key.slice(0, 12)} ${label}`);
    },
    runProgress(key, d, total, note) {
      const a = active.get(key);
      if (!a) return;
      a.fraction = total > 0 ? Math.min(1, d / total) : 0;
      a.note = note ?? "";
    },
    runEnded(key, status) {
      const a = active.get(key);
      active.delete(key);
      if (status === "complete" || status === "failed") done++;
      if (status === "failed") failed++;
      write(`[run] ${status} ${key.slice(0, 12)} ${a?.label ?? ""} (${done}/${options.total} done)`);
    },
    message(l) {
      write(l);
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
