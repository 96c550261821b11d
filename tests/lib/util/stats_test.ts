import { assert, assertEquals } from "../../helpers/assert.ts";
import { describe, incompleteBeta, studentTQuantile } from "../../../lib/util/stats.ts";

const close = (a: number, b: number, tol: number) => assert(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("studentTQuantile() matches tabulated t quantiles", () => {
  // R: qt(0.975, df)
  close(studentTQuantile(0.975, 1), 12.706204736174698, 1e-9);
  close(studentTQuantile(0.975, 2), 4.302652729749464, 1e-10);
  close(studentTQuantile(0.975, 4), 2.7764451051977934, 1e-10);
  close(studentTQuantile(0.975, 9), 2.2621571627982053, 1e-10);
  close(studentTQuantile(0.995, 30), 2.749995653567046, 1e-10);
  close(studentTQuantile(0.975, 1e6), 1.959966327, 1e-6);
  close(studentTQuantile(0.025, 4), -2.7764451051977934, 1e-10);
  close(incompleteBeta(0.5, 2, 3), 0.6875, 1e-12);
});

Deno.test("describe() gives mean, sample std and the t interval", () => {
  const d = describe([1, 2, 3, 4, 5], 0.95);
  assertEquals(d.n, 5);
  assertEquals(d.mean, 3);
  close(d.std!, Math.sqrt(2.5), 1e-15);
  const half = 2.7764451051977934 * Math.sqrt(2.5) / Math.sqrt(5);
  close(d.ci![0], 3 - half, 1e-9);
  close(d.ci![1], 3 + half, 1e-9);
  assertEquals([d.median, d.min, d.max], [3, 1, 5]);
  assertEquals(describe([4, 1, 3, 2], 0.95).median, 2.5);
  const one = describe([7], 0.95);
  assertEquals([one.std, one.ci], [null, null]);
});
