/**
 * The grid maze of Backpropamine (Miconi et al. 2019, uber-research/backpropamine
 * maze/batch.py), batched over B independent mazes. Pure: every random draw
 * comes from the Rng passed in.
 *
 * - The maze is `size` x `size` (odd): border cells are walls, interior cells
 *   whose row and column are both even are pillars, and the centre is cleared.
 * - Each episode a reward cell is drawn per maze (rejection sampling of row and
 *   column in 1..size-2, never a wall and never the centre); the agent starts
 *   at the centre.
 * - Actions 0 up, 1 down, 2 left, 3 right. A move into a wall leaves the agent
 *   in place with reward -wallPenalty. Reaching the reward cell gives +reward
 *   and teleports the agent to a random free cell other than the reward cell
 *   (it may be the centre), drawn the same way.
 * - The observation has 17 inputs: 0-8 the 3x3 neighbourhood (1 = wall, row
 *   by row), 9 unused (0), 10 bias 1, 11 step / episodeLength, 12 the previous
 *   step's reward, 13-16 the previous action one-hot (action 0 at step 0).
 *
 * @example
 * ```ts
 * import { Rng } from "../rng/mod.ts";
 * import { MAZE_INPUTS, mazeWalls, observeMazes, resetMazes, stepMazes } from "./grid_maze.ts";
 * import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
 * const walls = mazeWalls(13);
 * const rng = Rng.fromSeed(0).stream("maze");
 * const s = resetMazes(walls, 13, 2, rng); // two mazes, agents at (6, 6)
 * const x = new Float32Array(2 * MAZE_INPUTS);
 * observeMazes(s, 200, x); // x[10] = 1 (bias), x[13] = 1 (previous action 0)
 * assertEquals([x[10], x[13]], [1, 1]); // bias, previous action 0
 * assertEquals([s.row[0], s.col[0]], [6, 6]);
 * const r = stepMazes(s, Int32Array.of(0, 3), rng, { reward: 10, wallPenalty: 0 });
 * assertEquals(r.length, 2); // one reward per maze
 * ```
 * @module
 */
import type { Rng } from "../rng/mod.ts";

/** Observation size: 9 neighbourhood + 4 additional inputs + 4 previous-action inputs. */
export const MAZE_INPUTS = 17;
/** Number of actions: up, down, left, right. */
export const MAZE_ACTIONS = 4;

/** Reward settings of a step. */
export interface MazeRewards {
  /** Reward for reaching the reward cell (`--rew`, 10 in the paper). */
  reward: number;
  /** Penalty for bumping into a wall (`--wp`, 0 in the paper). */
  wallPenalty: number;
}

/** The state of B mazes sharing one layout. Mutated in place by `stepMazes`. */
export interface MazeState {
  size: number;
  /** [size * size], 1 = wall. */
  walls: Uint8Array;
  batch: number;
  /** Agent position per maze, [B] each. */
  row: Int32Array;
  col: Int32Array;
  /** Reward cell per maze, [B] each. */
  rewardRow: Int32Array;
  rewardCol: Int32Array;
  /** The previous step's reward and action, [B] each (0 and action 0 at an episode's start). */
  prevReward: Float32Array;
  prevAction: Int32Array;
  /** Times each agent reached its reward cell this episode, [B]. */
  hits: Int32Array;
  /** Steps taken this episode. */
  step: number;
}

/** The layout of a size x size grid maze: [size * size], 1 = wall. `size` must be odd and at least 5. */
export function mazeWalls(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 5 || size % 2 === 0) {
    throw new Error(`mazeWalls() needs an odd integer size of at least 5, got ${size}`);
  }
  const lab = new Uint8Array(size * size).fill(1);
  for (let r = 1; r < size - 1; r++) {
    for (let c = 1; c < size - 1; c++) lab[r * size + c] = r % 2 === 0 && c % 2 === 0 ? 1 : 0;
  }
  const ctr = size >> 1;
  lab[ctr * size + ctr] = 0;
  return lab;
}

/** A random interior cell (row and column uniform in 1..size-2) accepted by `ok`, by rejection. */
function drawCell(size: number, rng: Rng, ok: (r: number, c: number) => boolean): [number, number] {
  for (;;) {
    const r = 1 + rng.int(size - 2), c = 1 + rng.int(size - 2);
    if (ok(r, c)) return [r, c];
  }
}

/** Starts an episode in B mazes: a reward cell each (never a wall or the centre), agents at the centre. */
export function resetMazes(walls: Uint8Array, size: number, batch: number, rng: Rng): MazeState {
  if (walls.length !== size * size) {
    throw new Error(`resetMazes(): walls has ${walls.length} cells, expected ${size}^2`);
  }
  const ctr = size >> 1;
  const s: MazeState = {
    size,
    walls,
    batch,
    row: new Int32Array(batch).fill(ctr),
    col: new Int32Array(batch).fill(ctr),
    rewardRow: new Int32Array(batch),
    rewardCol: new Int32Array(batch),
    prevReward: new Float32Array(batch),
    prevAction: new Int32Array(batch),
    hits: new Int32Array(batch),
    step: 0,
  };
  for (let b = 0; b < batch; b++) {
    [s.rewardRow[b], s.rewardCol[b]] = drawCell(
      size,
      rng,
      (r, c) => walls[r * size + c] === 0 && !(r === ctr && c === ctr),
    );
  }
  return s;
}

/** Writes the observation of every maze into `out`: [B, 17]. */
export function observeMazes(s: MazeState, episodeLength: number, out: Float32Array): void {
  if (out.length !== s.batch * MAZE_INPUTS) {
    throw new Error(`observeMazes(): out has ${out.length} values, expected [B=${s.batch}, ${MAZE_INPUTS}]`);
  }
  out.fill(0);
  const n = s.size;
  for (let b = 0; b < s.batch; b++) {
    const o = b * MAZE_INPUTS;
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) out[o + (dr + 1) * 3 + dc + 1] = s.walls[(s.row[b] + dr) * n + s.col[b] + dc];
    }
    out[o + 10] = 1;
    out[o + 11] = s.step / episodeLength;
    out[o + 12] = s.prevReward[b];
    out[o + 13 + s.prevAction[b]] = 1;
  }
}

/** Applies one action per maze ([B], 0 up, 1 down, 2 left, 3 right); returns the rewards, [B]. */
export function stepMazes(s: MazeState, actions: Int32Array, rng: Rng, rw: MazeRewards): Float32Array {
  if (actions.length !== s.batch) {
    throw new Error(`stepMazes(): actions has ${actions.length} values, expected B=${s.batch}`);
  }
  const n = s.size;
  const rewards = new Float32Array(s.batch);
  for (let b = 0; b < s.batch; b++) {
    const a = actions[b];
    if (!(a >= 0 && a < MAZE_ACTIONS)) throw new Error(`stepMazes(): actions[${b}] = ${a} is not an action (0-3)`);
    let r = s.row[b], c = s.col[b];
    if (a === 0) r--;
    else if (a === 1) r++;
    else if (a === 2) c--;
    else c++;
    let reward = 0;
    if (s.walls[r * n + c] === 1) reward -= rw.wallPenalty;
    else {
      s.row[b] = r;
      s.col[b] = c;
    }
    if (s.row[b] === s.rewardRow[b] && s.col[b] === s.rewardCol[b]) {
      reward += rw.reward;
      s.hits[b]++;
      const rr = s.rewardRow[b], rc = s.rewardCol[b];
      [s.row[b], s.col[b]] = drawCell(n, rng, (y, x) => s.walls[y * n + x] === 0 && !(y === rr && x === rc));
    }
    rewards[b] = reward;
    s.prevReward[b] = reward;
    s.prevAction[b] = a;
  }
  s.step++;
  return rewards;
}
