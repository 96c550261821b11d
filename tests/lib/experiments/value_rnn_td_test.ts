import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../../helpers/assert.ts";
import { runInProcess } from "../../../lib/engine/run/in_memory.ts";
import { initBackend } from "../../../lib/engine/run/backend.ts";
import { makeTrial, pavlovTrials } from "../../../lib/envs/pavlov_timing.ts";
import {
  earlyStopping,
  makeBatch,
  targetValue,
  tdLoss,
  tdLossAndGrads,
  type TrainState,
  valueRnnTd,
} from "../../../lib/experiments/value_rnn_td.ts";
import { initLstm } from "../../../lib/models/lstm.ts";
import { Rng } from "../../../lib/rng/mod.ts";

await initBackend("wasm");

Deno.test("tdLoss() masks padding exactly: the same trials padded two ways give the same loss and gradient", async () => {
  const trials = pavlovTrials(Rng.fromSeed(2).stream("task"), {
    cues: 2,
    trialsPerCue: 3,
    delays: [10, 15],
    itiP: 0.5,
  });
  const p = initLstm(Rng.fromSeed(2).stream("init"), 3, 2);
  const a = tdLossAndGrads(p, makeBatch(trials, 3), 0.5);
  const b = tdLossAndGrads(p, makeBatch(trials, 3, 40), 0.5);
  assertEquals((await a.loss.data())[0], (await b.loss.data())[0]);
  for (const name of Object.keys(a.grads)) {
    assertEquals(Array.from(await a.grads[name].data()), Array.from(await b.grads[name].data()));
  }
  assert((await a.loss.data())[0] > 0);
});

Deno.test("tdLoss() detaches the bootstrap target: its gradient is that of the squared error with the target held fixed", async () => {
  const trials = pavlovTrials(Rng.fromSeed(3).stream("task"), { cues: 2, trialsPerCue: 1, delays: [3, 4], itiP: 0.5 });
  const p = initLstm(Rng.fromSeed(3).stream("init"), 3, 2);
  const batch = makeBatch(trials, 3);
  const { grads } = tdLossAndGrads(p, batch, 0.5);
  // Finite difference with the target computed at the unperturbed weights.
  const { lstmForward } = await import("../../../lib/models/lstm.ts");
  const v = (q: typeof p) => tf.sum(tf.relu(lstmForward(q, batch.x)), 2);
  const T = batch.x.shape[0];
  const target = tf.add(tf.slice(batch.r, [1, 0], [T - 1, -1]), tf.mul(0.5, tf.slice(v(p), [1, 0], [T - 1, -1])));
  const fixedLoss = (q: typeof p) =>
    tf.div(tf.sum(tf.mul(tf.square(tf.sub(tf.slice(v(q), [0, 0], [T - 1, -1]), target)), batch.mask)), batch.lengthSum)
      .dataSync()[0];
  const eps = 1e-3;
  const w = p.bias_hh.arraySync() as number[];
  const shifted = (d: number) => ({ ...p, bias_hh: tf.tensor1d(w.map((x, i) => (i === 4 ? x + d : x))) });
  const fd = (fixedLoss(shifted(eps)) - fixedLoss(shifted(-eps))) / (2 * eps);
  const g = (await grads.bias_hh.data())[4];
  assert(Math.abs(fd - g) < 2e-3 * Math.max(1e-3, Math.abs(g)) + 1e-5, `finite difference ${fd} vs gradient ${g}`);
});

Deno.test("earlyStopping() stops on the 6th consecutive increase, as the original loop", () => {
  // The original: if scores[t+1] > scores[t]: if nsteps_increase > nchances: stop; nsteps_increase += 1; else reset.
  const original = (scores: number[], nchances: number) => {
    let n = 0;
    for (let t = 0; t + 1 < scores.length; t++) {
      if (scores[t + 1] > scores[t]) {
        if (n > nchances) return t + 1;
        n++;
      } else n = 0;
    }
    return -1;
  };
  const run = (scores: number[]) => {
    let s: TrainState = { epoch: 0, previous: scores[0], best: scores[0], bestEpoch: 0, increases: 0, stopped: false };
    for (const l of scores.slice(1)) {
      s = earlyStopping(s, l, 4);
      if (s.stopped) return { stop: s.epoch, best: s.bestEpoch };
    }
    return { stop: -1, best: s.bestEpoch };
  };
  const rising = [5, 4, 3, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7];
  assertEquals(run(rising), { stop: original(rising, 4), best: 2 });
  assertEquals(run(rising).stop, 8, "the 6th increase in a row");
  const bumpy = [5, 5.1, 5.2, 4, 4.1, 4.2, 4.3, 4.4, 3, 3.5, 3.6, 3.7, 3.8, 3.9, 4.0, 4.1];
  assertEquals(run(bumpy), { stop: original(bumpy, 4), best: 8 });
  assertEquals(run([3, 2, 1]).stop, -1);
});

Deno.test("valueRnnTd leaks no tensors and resumes from a checkpoint to the same rows", async () => {
  const before = tf.memory().numTensors;
  const config = { max_epochs: 8, checkpoint_every: 3, trials_per_cue: 6 };
  const straight = await runInProcess(valueRnnTd, config, {}, { seed: 1 });
  assertEquals(tf.memory().numTensors, before);
  assertEquals(straight.checkpoints.map((c) => c.step), [3, 6]);
  const resumed = await runInProcess(valueRnnTd, config, {}, { seed: 1, resume: straight.checkpoints[0] });
  assertEquals(resumed.rows.metrics, straight.rows.metrics.slice(4));
  for (const t of ["run", "cues", "trace"]) assertEquals(resumed.rows[t], straight.rows[t], t);
  assertEquals(straight.rows.trace.filter((r) => r.cue === 0 && r.t === 0).length, 1);
  assertEquals(
    straight.rows.trace.filter((r) => r.reward === 1).map((r) => r.t),
    [10, 15],
    "the reward's arrival, relative to cue onset",
  );
});

Deno.test("tdLoss() with td_loss e386495 is the commit's loss: previous reward in, r(t) + gamma V(t+1) over every row, padding 0", async () => {
  const { lstmForward } = await import("../../../lib/models/lstm.ts");
  const trials = pavlovTrials(Rng.fromSeed(5).stream("task"), { cues: 2, trialsPerCue: 2, delays: [3, 5], itiP: 0.5 });
  const p = initLstm(Rng.fromSeed(5).stream("init"), 3, 2);
  const gamma = 0.5;
  const batch = makeBatch(trials, 3, 0, "e386495");
  const T = batch.x.shape[0], B = trials.length;
  // The reward input is the previous row's reward.
  const x = await batch.x.data();
  trials.forEach((tr, b) => {
    for (let t = 0; t < tr.length; t++) assertEquals(x[(t * B + b) * 3 + 2], t > 0 ? tr.rewards[t - 1] : 0);
  });
  // Reference: each trial alone (no padding), V after its last row taken as 0 (PyTorch's pad_packed_sequence),
  // MSE over rows 0 .. min(length, T - 1) - 1, then the mean over trials.
  let want = 0;
  trials.forEach((tr) => {
    const single = makeBatch([tr], 3, 0, "e386495");
    const v = Array.from(tf.sum(tf.relu(lstmForward(p, single.x)), 2).dataSync());
    const rows = Math.min(tr.length, T - 1);
    let se = 0;
    for (let t = 0; t < rows; t++) {
      const next = t + 1 < tr.length ? v[t + 1] : 0;
      se += (v[t] - (tr.rewards[t] + gamma * next)) ** 2;
    }
    want += se / rows / B;
  });
  const got = (await tdLoss(p, batch, gamma).data())[0];
  assert(Math.abs(got - want) < 1e-6 * Math.max(1, want), `e386495 loss ${got} vs reference ${want}`);
  // The trials' last rows count (they are trained towards 0) except for the longest trial, whose last row has no next.
  assert(trials.some((tr) => tr.length < T), "the fixture needs trials shorter than the batch");
});

Deno.test("targetValue() is 1 at the row before the reward (a966010) or at the reward row (e386495)", () => {
  const tr = makeTrial(0, 2, 4, 2); // reward at row 6, length 8
  const a = targetValue(tr, 0.5, "a966010"), e = targetValue(tr, 0.5, "e386495");
  assertEquals([a[5], a[6], a[2]], [1, 0, 0.5 ** 3]);
  assertEquals([e[5], e[6], e[2]], [0.5, 1, 0.5 ** 4]);
});
