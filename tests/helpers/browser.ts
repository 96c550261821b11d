/**
 * A real headless Chromium for tests, driven over the DevTools protocol on
 * loopback: open a page, collect console errors and uncaught exceptions,
 * evaluate an expression in it, take a screenshot.
 *
 * @example
 * ```ts
 * import { findChromium, openPage } from "./browser.ts";
 * // const page = await openPage(findChromium()!, "file:///tmp/report/index.html");
 * // const title = await page.evaluate("document.title"); page.errors; await page.close();
 * ```
 * @module
 */

/** The Chromium binary (CHROMIUM, or chromium / chromium-browser / google-chrome on PATH), or null. */
export function findChromium(): string | null {
  const env = Deno.env.get("CHROMIUM");
  const candidates = env ? [env] : ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
  for (const c of candidates) {
    try {
      const out = new Deno.Command(c, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
      if (out.success) return c;
    } catch {
      // not installed
    }
  }
  return null;
}

/** An open page. */
export interface Page {
  /** Console errors, log errors and uncaught exceptions seen since the page was opened. */
  errors: string[];
  evaluate(expression: string): Promise<unknown>;
  /** A PNG of the whole page, or of a region (CSS pixels). */
  screenshot(path: string, clip?: { x: number; y: number; width: number; height: number }): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium headless and opens `url`, resolving once its load event fired. */
export async function openPage(binary: string, url: string, size = { width: 1280, height: 2000 }): Promise<Page> {
  const profile = await Deno.makeTempDir({ prefix: "chromium-" });
  const child = new Deno.Command(binary, {
    args: [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      `--window-size=${size.width},${size.height}`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Chromium prints "DevTools listening on ws://127.0.0.1:<port>/devtools/browser/<id>".
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "", port = 0;
  const deadline = Date.now() + 30_000;
  while (!port && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = text.match(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//);
    if (m) port = Number(m[1]);
  }
  // Keep draining stderr so Chromium never blocks on it.
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* closed */ }
  })();
  if (!port) {
    child.kill("SIGKILL");
    throw new Error(`Chromium did not start its DevTools endpoint:\n${text}`);
  }
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
    type: string;
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(targets.find((t) => t.type === "page")!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const errors: string[] = [];
  let loaded: (() => void) | null = null;
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data as string);
    if (msg.id !== undefined) {
      const p = pending.get(msg.id)!;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
      else p.resolve(msg.result);
    } else if (msg.method === "Runtime.consoleAPICalled" && msg.params.type === "error") {
      errors.push(`console.error: ${msg.params.args.map((a: { value?: unknown }) => String(a.value)).join(" ")}`);
    } else if (msg.method === "Runtime.exceptionThrown") {
      errors.push(
        `exception: ${msg.params.exceptionDetails.text} ${msg.params.exceptionDetails.exception?.description ?? ""}`,
      );
    } else if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error") {
      errors.push(`log: ${msg.params.entry.text} ${msg.params.entry.url ?? ""}`);
    } else if (msg.method === "Page.loadEventFired") loaded?.();
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const n = ++id;
      pending.set(n, { resolve, reject });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await send("Runtime.enable");
  await send("Log.enable");
  await send("Page.enable");
  const onLoad = new Promise<void>((r) => (loaded = r));
  await send("Page.navigate", { url });
  await Promise.race([
    onLoad,
    new Promise((_, rej) => setTimeout(() => rej(new Error("page load timed out")), 30_000)),
  ]);
  return {
    errors,
    async evaluate(expression: string) {
      const r = await send("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true }) as {
        result: { value: unknown };
        exceptionDetails?: { text: string };
      };
      if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.text}`);
      return r.result.value;
    },
    async screenshot(path: string, clip?: { x: number; y: number; width: number; height: number }) {
      const r = await send("Page.captureScreenshot", {
        format: "png",
        captureBeyondViewport: true,
        ...(clip ? { clip: { ...clip, scale: 1 } } : {}),
      }) as {
        data: string;
      };
      await Deno.writeFile(path, Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0)));
    },
    async close() {
      try {
        ws.close();
      } catch { /* closed */ }
      child.kill("SIGKILL");
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
