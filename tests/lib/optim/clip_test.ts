import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { clipUpdateGlobalNorm } from "../../../lib/optim/clip.ts";

Deno.test("clipUpdateGlobalNorm() scales an update whose global norm exceeds the limit, and leaves others", () => {
  const before = [tf.tensor1d([1, 1]), tf.tensor1d([0])];
  const after = [tf.tensor1d([4, 1]), tf.tensor1d([4])]; // update (3, 0), (4): norm 5
  const clipped = clipUpdateGlobalNorm(before, after, 1).map((t) => Array.from(t.dataSync()));
  assert(
    Math.abs(clipped[0][0] - 1.6) < 1e-6 && clipped[0][1] === 1 && Math.abs(clipped[1][0] - 0.8) < 1e-6,
    JSON.stringify(clipped),
  );
  const kept = clipUpdateGlobalNorm(before, after, 50).map((t) => Array.from(t.dataSync()));
  assertEquals(kept, [[4, 1], [4]]);
});
