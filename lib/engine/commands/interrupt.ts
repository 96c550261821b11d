/**
 * Ctrl-C for long commands: the first interrupt asks the work to stop
 * gracefully (an AbortSignal), a second one quits at once.
 *
 * One keypress can arrive twice: under `deno task`, the task runner forwards
 * the SIGINT it gets to its child, which also gets the terminal's own copy
 * (both are in the terminal's foreground process group). Copies that arrive
 * within `windowMs` of the first count as that one interrupt; a keypress
 * after the window counts as the second.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { Interrupts } from "./interrupt.ts";
 * const seen: string[] = [];
 * const i = new Interrupts({ windowMs: 500, onFirst: () => seen.push("stop"), onSecond: () => seen.push("quit") });
 * i.deliver(1000); // Ctrl-C
 * i.deliver(1003); // the copy `deno task` forwards: the same keypress
 * assertEquals(seen, ["stop"]);
 * i.deliver(2500); // Ctrl-C again
 * assertEquals(seen, ["stop", "quit"]);
 * assertEquals(i.signal.aborted, true);
 * ```
 * @module
 */

/** What happens on the first and the second interrupt. */
export interface InterruptOptions {
  /** Signals within this many milliseconds of the first count as the first (default 500). */
  windowMs?: number;
  /** Called once, on the first interrupt, after the signal is aborted. */
  onFirst?: () => void;
  /** Called on a later interrupt (default: exit 130 at once). */
  onSecond?: () => void;
}

/** Counts interrupts, with copies of one keypress counted once. */
export class Interrupts {
  readonly #controller = new AbortController();
  readonly #windowMs: number;
  #first: number | null = null;

  constructor(private readonly options: InterruptOptions = {}) {
    this.#windowMs = options.windowMs ?? 500;
  }

  /** Aborted at the first interrupt. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** One delivered signal at time `nowMs` (a clock in milliseconds). */
  deliver(nowMs: number): void {
    if (this.#first === null) {
      this.#first = nowMs;
      this.#controller.abort();
      this.options.onFirst?.();
      return;
    }
    if (nowMs - this.#first < this.#windowMs) return; // the same keypress, delivered again
    (this.options.onSecond ?? (() => Deno.exit(130)))();
  }
}

/**
 * Listens for SIGINT and SIGTERM while `work` runs, and hands it the signal
 * that the first interrupt aborts.
 *
 * @example
 * ```ts
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { withInterrupts } from "./interrupt.ts";
 * const code = await withInterrupts({}, (signal) => Promise.resolve(signal.aborted ? 130 : 0));
 * assertEquals(code, 0);
 * ```
 */
export async function withInterrupts<T>(
  options: InterruptOptions,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const interrupts = new Interrupts(options);
  const listener = () => interrupts.deliver(performance.now());
  Deno.addSignalListener("SIGINT", listener);
  Deno.addSignalListener("SIGTERM", listener);
  try {
    return await work(interrupts.signal);
  } finally {
    Deno.removeSignalListener("SIGINT", listener);
    Deno.removeSignalListener("SIGTERM", listener);
  }
}
