/**
 * `deno task report` after a reproduction, opened in a real headless
 * Chromium: no console error, every image loads, the verdict table and every
 * figure are there. Skipped, with the reason printed, only where no Chromium
 * can be found (.ci/run installs Debian's `chromium` when it is missing).
 */
import { join } from "node:path";
import { toFileUrl } from "../helpers/url.ts";
import { assert, assertEquals } from "../helpers/assert.ts";
import { findChromium, openPage } from "../helpers/browser.ts";
import { FIXTURE, fixtureArgs, runTask } from "../helpers/cli.ts";

const chromium = findChromium();
if (!chromium) {
  console.log(
    "report_test: no Chromium found (chromium, chromium-browser, google-chrome, $CHROMIUM): browser test skipped",
  );
}

Deno.test({
  name: "deno task report writes a page that loads in a browser without errors, with its verdicts, figures and runs",
  ignore: chromium === null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const r = await runTask("reproduce", fixtureArgs(dir).filter((a) => a !== "--no-plots"));
    assertEquals(r.code, 0, r.stderr);
    const rep = await runTask("report", [FIXTURE.pipeline, "--results", dir, "--registry", FIXTURE.registry]);
    assertEquals(rep.code, 0, rep.stdout + rep.stderr);
    assert(rep.stdout.includes("(1 profile)"), rep.stdout);
    const page = await openPage(chromium!, toFileUrl(join(dir, "report", "index.html")));
    try {
      const facts = await page.evaluate(`(() => {
        const imgs = [...document.images];
        const heads = [...document.querySelectorAll("th")].map((th) => th.textContent);
        return {
          images: imgs.length,
          broken: imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src),
          verdictTable: heads.includes("verdict") && heads.includes("effect [CI]"),
          verdicts: [...document.querySelectorAll("td.PASS, td.FAIL, td.INCONCLUSIVE")].map((td) => td.textContent),
          figures: [...document.querySelectorAll("figure")].map((f) => f.id),
          runs: document.body.textContent.includes("Runs (4 complete)"),
        };
      })()`) as {
        images: number;
        broken: string[];
        verdictTable: boolean;
        verdicts: string[];
        figures: string[];
        runs: boolean;
      };
      assertEquals(page.errors, []);
      assertEquals(facts.broken, []);
      assert(facts.verdictTable, "the verdict table is there");
      assertEquals(facts.verdicts.length, 2, "both claims of the fixture pipeline have a verdict");
      assertEquals(facts.figures, ["fig-fixture-regression-smoke-loss"]);
      assertEquals(facts.images, 1);
      assert(facts.runs, "the runs table counts the complete runs");
      if (Deno.env.get("REPORT_SCREENSHOT")) await page.screenshot(Deno.env.get("REPORT_SCREENSHOT")!);
    } finally {
      await page.close();
    }
  },
});
