import { assert, assertEquals } from "../../helpers/assert.ts";
import { MAZE_INPUTS, mazeWalls, observeMazes, resetMazes, stepMazes } from "../../../lib/envs/grid_maze.ts";
import { Rng } from "../../../lib/rng/mod.ts";

const RW = { reward: 10, wallPenalty: 0.5 };

Deno.test("mazeWalls(7): border walls, pillars where row and column are both even, the centre cleared", () => {
  const rows = [
    "1111111",
    "1000001",
    "1010101",
    "1000001",
    "1010101",
    "1000001",
    "1111111",
  ];
  // (3, 3) is the centre: odd here, so nothing to clear. In 9 x 9 the centre (4, 4) would be a pillar.
  assertEquals(Array.from(mazeWalls(7)).join(""), rows.join(""));
  const nine = mazeWalls(9);
  assertEquals(nine[4 * 9 + 4], 0);
  assertEquals(nine[4 * 9 + 2], 1);
});

Deno.test("observeMazes() at the first step: the 3x3 neighbourhood, bias, time 0, no reward, action 0", () => {
  // 11 x 11: the centre (5, 5) has pillars at its four diagonal neighbours (4, 4), (4, 6), (6, 4), (6, 6).
  const s = resetMazes(mazeWalls(11), 11, 1, Rng.fromSeed(0));
  assertEquals([s.row[0], s.col[0]], [5, 5]);
  const x = new Float32Array(MAZE_INPUTS);
  observeMazes(s, 200, x);
  assertEquals(Array.from(x), [
    1,
    0,
    1,
    0,
    0,
    0,
    1,
    0,
    1,
    /*unused*/ 0,
    /*bias*/ 1,
    /*t/T*/ 0,
    /*reward*/ 0,
    1,
    0,
    0,
    0,
  ]);
  // 13 x 13: the centre (6, 6) is a cleared pillar, and no neighbour is a wall.
  const s13 = resetMazes(mazeWalls(13), 13, 1, Rng.fromSeed(0));
  observeMazes(s13, 200, x);
  assertEquals(Array.from(x.subarray(0, 9)), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("stepMazes(): a wall bump stays in place with the penalty; the next observation shows it", () => {
  const walls = mazeWalls(7);
  const s = resetMazes(walls, 7, 2, Rng.fromSeed(1));
  s.row.set([1, 3]);
  s.col.set([1, 3]);
  s.rewardRow.set([5, 5]);
  s.rewardCol.set([5, 5]);
  // Maze 0 at (1, 1) goes up into the border; maze 1 at (3, 3) goes left to (3, 2).
  const r = stepMazes(s, Int32Array.of(0, 2), Rng.fromSeed(2), RW);
  assertEquals(Array.from(r), [-0.5, 0]);
  assertEquals([s.row[0], s.col[0], s.row[1], s.col[1]], [1, 1, 3, 2]);
  const x = new Float32Array(2 * MAZE_INPUTS);
  observeMazes(s, 200, x);
  // Maze 0 at (1, 1): top row and left column are walls.
  assertEquals(Array.from(x.subarray(0, 17)), [
    1,
    1,
    1,
    1,
    0,
    0,
    1,
    0,
    1,
    0,
    1,
    Math.fround(1 / 200),
    -0.5,
    1,
    0,
    0,
    0,
  ]);
  // Maze 1 at (3, 2): pillars at (2, 2) above and (4, 2) below.
  assertEquals(Array.from(x.subarray(17, 26)), [0, 1, 0, 0, 0, 0, 0, 1, 0]);
  assertEquals(Array.from(x.subarray(17 + 12)), [0, 0, 0, 1, 0]);
});

Deno.test("stepMazes(): reaching the reward gives +reward and teleports to a free cell other than the reward cell", () => {
  const walls = mazeWalls(7);
  const s = resetMazes(walls, 7, 1, Rng.fromSeed(1));
  s.row[0] = 1;
  s.col[0] = 1;
  s.rewardRow[0] = 1;
  s.rewardCol[0] = 2;
  const rng = Rng.fromSeed(9), copy = Rng.fromSeed(9);
  const r = stepMazes(s, Int32Array.of(3), rng, RW);
  assertEquals(Array.from(r), [10]);
  assertEquals(s.hits[0], 1);
  // The teleport: the first draw of (1 + int(5), 1 + int(5)) that is free and not the reward cell.
  let want: [number, number];
  for (;;) {
    const y = 1 + copy.int(5), x = 1 + copy.int(5);
    if (walls[y * 7 + x] === 0 && !(y === 1 && x === 2)) {
      want = [y, x];
      break;
    }
  }
  assertEquals([s.row[0], s.col[0]], want);
  assertEquals(s.prevReward[0], 10);
  assertEquals(s.prevAction[0], 3);
});

Deno.test("resetMazes(): reward cells cover every free cell but the centre, never a wall", () => {
  const walls = mazeWalls(7);
  const rng = Rng.fromSeed(3);
  const seen = new Set<number>();
  for (let k = 0; k < 200; k++) {
    const s = resetMazes(walls, 7, 10, rng);
    for (let b = 0; b < 10; b++) seen.add(s.rewardRow[b] * 7 + s.rewardCol[b]);
  }
  const free = [...walls.keys()].filter((i) => walls[i] === 0 && i !== 3 * 7 + 3);
  assertEquals([...seen].sort((a, b) => a - b), free);
});

Deno.test("stepMazes() and mazeWalls() reject bad input by name", () => {
  const s = resetMazes(mazeWalls(7), 7, 1, Rng.fromSeed(0));
  let msg = "";
  try {
    stepMazes(s, Int32Array.of(4), Rng.fromSeed(0), RW);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "stepMazes(): actions[0] = 4 is not an action (0-3)");
  try {
    mazeWalls(8);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("odd integer size"));
});
