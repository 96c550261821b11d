/**
 * Benchmarks of the ANGC experiment at the paper's sizes (circuits of
 * 256 + 256 units, batches of 512): Mountain Car episodes/s once learning
 * has started (every step acts, measures the epistemic signal and settles
 * both circuits on a replayed batch), for ANGC and for the DQN baseline.
 * @module
 */
import type { Benchmark, BenchResult } from "./mod.ts";
import { initBackend } from "../engine/run/backend.ts";
import { AngcAgent, DqnAgent } from "../agents/mod.ts";
import { mountainCar, observe } from "../envs/classic_control.ts";
import { Rng } from "../rng/mod.ts";

async function measure(backend: "wasm" | "webgpu", kind: "angc" | "dqn", steps: number): Promise<BenchResult> {
  await initBackend(backend);
  const cfg = {
    observationSize: 2,
    actions: 3,
    hidden: [256, 256] as [number, number],
    eta: 0.002,
    gamma: 0.99,
    batch: 512,
    replayCapacity: 1000000,
    targetEvery: 50,
    updateClip: 100,
    reward: "instrumental" as const,
    exploration: { start: 1, end: 0.01, decay: 0.99991 },
  };
  const agent = kind === "angc" ? new AngcAgent(cfg, Rng.fromSeed(0)) : new DqnAgent(cfg, Rng.fromSeed(0));
  const rng = Rng.fromSeed(1);
  let state = mountainCar.reset(rng);
  const step = (t: number) => {
    const s = observe(state);
    const a = agent.act(s, rng);
    const next = mountainCar.step(state, a);
    agent.learn({ s, a, r: next.reward, s2: observe(next.state), done: next.terminated ? 1 : 0 }, t, rng);
    state = next.terminated ? mountainCar.reset(rng) : next.state;
  };
  for (let t = 0; t < cfg.batch + 2; t++) step(t); // fill the replay: learning starts at 512 transitions
  const t0 = performance.now();
  for (let t = 0; t < steps; t++) step(t);
  const s = (performance.now() - t0) / 1000;
  agent.dispose();
  const perStep = s / steps;
  return {
    value: 1 / (perStep * 200),
    unit: "episodes/s",
    better: "higher",
    details: {
      steps,
      seconds: s,
      steps_per_s: 1 / perStep,
      note: "Mountain Car episodes of 200 steps (its time limit) with learning at every step",
      paper_run_hours_700_episodes: (700 * 200 * perStep) / 3600,
    },
  };
}

/** Benchmarks of this module by id. */
export const benchmarks: Record<string, Benchmark> = {
  "angc/train-angc-mountain-car-paper": {
    id: "angc/train-angc-mountain-car-paper",
    description:
      "ANGC on Mountain Car at the paper's sizes: episodes/s (200 steps) once learning has started, 20 steps",
    backends: ["wasm", "webgpu"],
    run: (backend) => measure(backend, "angc", 20),
  },
  "angc/train-dqn-mountain-car-paper": {
    id: "angc/train-dqn-mountain-car-paper",
    description: "The DQN baseline on Mountain Car at the same sizes: episodes/s (200 steps), 20 steps",
    backends: ["wasm", "webgpu"],
    run: (backend) => measure(backend, "dqn", 20),
  },
};
