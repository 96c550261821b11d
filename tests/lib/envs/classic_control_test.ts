import { assert, assertEquals } from "../../helpers/assert.ts";
import { cartPole, mountainCar, observe } from "../../../lib/envs/classic_control.ts";
import { Rng } from "../../../lib/rng/mod.ts";

const close = (a: number, b: number, tol = 1e-12) => Math.abs(a - b) <= tol;

Deno.test("mountainCar.step() in the middle: gravity only with action 1 (no push)", () => {
  // v = 0 + 0 + cos(-1.5) * -0.0025 = -0.000176843..., x = -0.5 + v.
  const r = mountainCar.step(Float64Array.of(-0.5, 0), 1);
  assert(close(r.state[1], -0.00017684300416925727), `${r.state[1]}`);
  assert(close(r.state[0], -0.5001768430041692), `${r.state[0]}`);
  assertEquals([r.reward, r.terminated], [-1, false]);
});

Deno.test("mountainCar.step() at the left wall: the position is clipped to -1.2 and the velocity zeroed", () => {
  // v = -0.02 - 0.001 + cos(-3.57) * -0.0025 = -0.0187259..., x = -1.2087... -> -1.2, v -> 0.
  const r = mountainCar.step(Float64Array.of(-1.19, -0.02), 0);
  assertEquals(Array.from(r.state), [-1.2, 0]);
  assertEquals(r.terminated, false);
});

Deno.test("mountainCar.step() reaching the goal: position >= 0.5 terminates with reward -1", () => {
  // v = 0.02 + 0.001 + cos(1.47) * -0.0025 = 0.0207484..., x = 0.5107484...
  const r = mountainCar.step(Float64Array.of(0.49, 0.02), 2);
  assert(close(r.state[0], 0.5107484356665326) && close(r.state[1], 0.020748435666532672));
  assertEquals([r.reward, r.terminated], [-1, true]);
  // Velocity is clipped at 0.07.
  assertEquals(mountainCar.step(Float64Array.of(-1, 0.0699), 2).state[1], 0.07); // 0.0699 + 0.001 + 0.00247 clipped
});

Deno.test("cartPole.step() from rest, pushed right: Gym's first Euler step", () => {
  // temp = 10 / 1.1; thetaacc = -temp / (0.5 (4/3 - 0.1 / 1.1)) = -14.6341...; xacc = temp - 0.05 thetaacc / 1.1 = 9.7560...
  const r = cartPole.step(new Float64Array(4), 1);
  const thetaAcc = -(10 / 1.1) / (0.5 * (4 / 3 - 0.1 / 1.1));
  const xAcc = 10 / 1.1 - (0.05 * thetaAcc) / 1.1;
  assert(close(thetaAcc, -14.634146341463415, 1e-12) && close(xAcc, 9.75609756097561, 1e-12));
  assertEquals(Array.from(r.state), [0, 0.02 * xAcc, 0, 0.02 * thetaAcc]);
  assertEquals([r.reward, r.terminated], [1, false]);
});

Deno.test("cartPole.step(): the pole falling past 12 degrees terminates, with reward 1 on that step", () => {
  // theta' = 0.2 + 0.02 * 1.0 = 0.22 > 12 degrees (0.2094 rad).
  const r = cartPole.step(Float64Array.of(0, 0, 0.2, 1.0), 1);
  assert(close(r.state[2], 0.22));
  assertEquals([r.reward, r.terminated], [1, true]);
  // The cart past x = 2.4 terminates too.
  assertEquals(cartPole.step(Float64Array.of(2.399, 1, 0, 0), 1).terminated, true);
  assertEquals(cartPole.step(Float64Array.of(0, 0, 0.2, 0), 1).terminated, false);
});

Deno.test("reset() draws Gym's start states, and observe() rounds to float32", () => {
  const rng = Rng.fromSeed(0);
  for (let i = 0; i < 200; i++) {
    const m = mountainCar.reset(rng);
    assert(m[0] >= -0.6 && m[0] < -0.4 && m[1] === 0);
    const c = cartPole.reset(rng);
    assert(c.every((v) => v >= -0.05 && v < 0.05));
  }
  const o = observe(Float64Array.of(0.1));
  assertEquals(o[0], Math.fround(0.1));
  let msg = "";
  try {
    mountainCar.step(Float64Array.of(0, 0), 3);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "mountainCar.step(): action 3 is not one of 0..2");
});
