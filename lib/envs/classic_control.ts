/**
 * Mountain Car and CartPole with the classic dynamics of Gym / Gymnasium
 * (`MountainCar-v0`, `CartPole-v1`), pure functions of a state and an action,
 * the state stored as float32 as Gymnasium returns it. Episodes are cut at a
 * time limit (200 and 500 steps); `terminated` says the task ended,
 * `truncated` that the limit did.
 *
 * Mountain Car: state [position, velocity], actions 0 push left, 1 no push,
 * 2 push right; velocity += (a - 1) 0.001 - 0.0025 cos(3 position), clipped to
 * +-0.07; position += velocity, clipped to [-1.2, 0.6], and at the left wall a
 * negative velocity becomes 0; reward -1 per step; terminated at position >= 0.5.
 * Starts at position U(-0.6, -0.4), velocity 0.
 *
 * CartPole: state [x, x_dot, theta, theta_dot], actions 0 push left, 1 push
 * right (force 10), Euler steps of 0.02 s; reward 1 per step, the last
 * included; terminated when |x| > 2.4 or |theta| > 12 degrees. Starts at
 * U(-0.05, 0.05) in every component.
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { ENVIRONMENTS } from "./classic_control.ts";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * const env = ENVIRONMENTS["mountain-car"];
 * const s = env.reset(Rng.fromSeed(0)); // [position, 0], float64
 * const r = env.step(s, 2); // { state, reward: -1, terminated: false }
 * assertEquals(env.timeLimit, 200);
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";

/** One transition. */
export interface Transition {
  state: Float64Array;
  reward: number;
  terminated: boolean;
}

/** A classic-control environment. */
export interface Environment {
  id: string;
  observationSize: number;
  actions: number;
  /** Steps after which an episode is truncated. */
  timeLimit: number;
  reset(rng: Rng): Float64Array;
  step(state: Float64Array, action: number): Transition;
}

/** What the agent sees of a state: float32, as Gymnasium's observations. */
export function observe(state: Float64Array): Float32Array {
  return Float32Array.from(state);
}

function checkAction(who: string, action: number, n: number): void {
  if (!(Number.isInteger(action) && action >= 0 && action < n)) {
    throw new Error(`${who}: action ${action} is not one of 0..${n - 1}`);
  }
}

/** Gymnasium's MountainCar-v0. */
export const mountainCar: Environment = {
  id: "mountain-car",
  observationSize: 2,
  actions: 3,
  timeLimit: 200,
  reset: (rng) => Float64Array.of(-0.6 + 0.2 * rng.uniform(), 0),
  step(state, action) {
    checkAction("mountainCar.step()", action, 3);
    let position = state[0], velocity = state[1];
    velocity += (action - 1) * 0.001 + Math.cos(3 * position) * -0.0025;
    velocity = Math.min(Math.max(velocity, -0.07), 0.07);
    position += velocity;
    position = Math.min(Math.max(position, -1.2), 0.6);
    if (position === -1.2 && velocity < 0) velocity = 0;
    const terminated = position >= 0.5 && velocity >= 0;
    return { state: Float64Array.of(position, velocity), reward: -1, terminated };
  },
};

const CP = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  length: 0.5, // half the pole's length
  force: 10.0,
  tau: 0.02,
  thetaThreshold: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
};

/** Gymnasium's CartPole-v1 (Euler integration). */
export const cartPole: Environment = {
  id: "cartpole",
  observationSize: 4,
  actions: 2,
  timeLimit: 500,
  reset: (rng) => Float64Array.from({ length: 4 }, () => -0.05 + 0.1 * rng.uniform()),
  step(state, action) {
    checkAction("cartPole.step()", action, 2);
    let [x, xDot, theta, thetaDot] = state;
    const total = CP.massCart + CP.massPole, poleMassLength = CP.massPole * CP.length;
    const force = action === 1 ? CP.force : -CP.force;
    const cos = Math.cos(theta), sin = Math.sin(theta);
    const temp = (force + poleMassLength * thetaDot * thetaDot * sin) / total;
    const thetaAcc = (CP.gravity * sin - cos * temp) / (CP.length * (4 / 3 - (CP.massPole * cos * cos) / total));
    const xAcc = temp - (poleMassLength * thetaAcc * cos) / total;
    x += CP.tau * xDot;
    xDot += CP.tau * xAcc;
    theta += CP.tau * thetaDot;
    thetaDot += CP.tau * thetaAcc;
    const terminated = x < -CP.xThreshold || x > CP.xThreshold || theta < -CP.thetaThreshold ||
      theta > CP.thetaThreshold;
    return { state: Float64Array.of(x, xDot, theta, thetaDot), reward: 1, terminated };
  },
};

/** The environments by id. */
export const ENVIRONMENTS: Readonly<Record<string, Environment>> = {
  "mountain-car": mountainCar,
  cartpole: cartPole,
};
