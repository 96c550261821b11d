/**
 * The two NGC learning rules the ANGC agent can run, behind one interface:
 *
 * - `releasedCircuit`: the released code's circuit (lib/models/ngc.ts): biases,
 *   leaky ReLU, K = 3 scheduled settling steps with errors fed back through
 *   W^T. Its adjustments are exactly backpropagation's gradient of
 *   1/2 ||y - yhat||^2 / N (tests/lib/models/ngc_test.ts), so with the same
 *   initial weights and random numbers it learns as DQN does.
 * - `equationsCircuit`: the circuit the specification writes
 *   (lib/models/ngc_equations.ts): learned error synapses E, T settling steps
 *   with a leak, no derivative of the activation, weight columns clipped after
 *   every step. Not backpropagation.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { deepStrictEqual as assertEquals } from "node:assert";
 * import { Rng } from "../rng/mod.ts";
 * import { equationsCircuit, releasedCircuit } from "./circuits.ts";
 * import { NGC_EQUATIONS_DEFAULTS } from "../models/ngc_equations.ts";
 * const spec = { inputs: 2, hidden: [8, 8] as [number, number], outputs: 3 };
 * for (const c of [releasedCircuit(100), equationsCircuit(NGC_EQUATIONS_DEFAULTS)]) {
 *   const p = c.init(Rng.fromSeed(0), spec);
 *   const x = tf.tensor2d([[0.1, -0.2]]);
 *   assertEquals(c.project(p, x).shape, [1, 3]);
 *   const u = c.updates(p, x, (q) => tf.add(q, 1) as tf.Tensor2D);
 *   assertEquals(Object.keys(u).sort(), Object.keys(p).sort());
 * }
 * ```
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { initNgc, ngcForward, type NgcParams, ngcProject, ngcUpdates } from "../models/ngc.ts";
import {
  clipNgcEquations,
  initNgcEquations,
  type NgcEquationsConfig,
  ngcEquationsProject,
  ngcEquationsUpdates,
} from "../models/ngc_equations.ts";
import type { Params } from "../optim/mod.ts";
import type { Rng } from "../rng/mod.ts";

/** Layer sizes of a circuit: input, two hidden layers, output. */
export interface CircuitSpec {
  inputs: number;
  hidden: [number, number];
  outputs: number;
}

/** A learning rule: how a circuit starts, projects, and adjusts its synapses. */
export interface Circuit {
  readonly rule: "released" | "equations";
  /** Initial parameters for the layer sizes. */
  init(rng: Rng, spec: CircuitSpec): Params;
  /** The circuit's output for a batch: x [N, inputs] -> [N, outputs]. */
  project(p: Params, x: tf.Tensor2D): tf.Tensor2D;
  /**
   * The adjustments (descent directions, one per parameter) after settling on x and a target: a tensor
   * [N, outputs], or a function of the circuit's own output for x (the controller's TD target). Call it
   * inside a tidy.
   */
  updates(p: Params, x: tf.Tensor2D, target: tf.Tensor2D | ((out: tf.Tensor2D) => tf.Tensor2D)): Params;
  /** Constraints applied after every optimizer step (new tensors), or null when there are none. */
  constrain: ((p: Params) => Params) | null;
}

/** The released code's circuit; adjustments clipped to +-updateClip (as ngc.py, off at 200 and above). */
export function releasedCircuit(updateClip: number): Circuit {
  return {
    rule: "released",
    init: (rng, spec) => initNgc(rng, spec),
    project: (p, x) => ngcProject(p as NgcParams, x),
    updates(p, x, target) {
      if (typeof target !== "function") return ngcUpdates(p as NgcParams, x, target, updateClip);
      // The controller's target is built from its own output: the projection is computed once.
      const forward = ngcForward(p as NgcParams, x);
      return ngcUpdates(p as NgcParams, x, target(forward.h3), updateClip, forward);
    },
    constrain: null,
  };
}

/** The specification's circuit; `hidden` lists the hidden layers from the output up (pcrl's order). */
export function equationsCircuit(cfg: NgcEquationsConfig): Circuit {
  return {
    rule: "equations",
    init: (rng, spec) => initNgcEquations(rng, spec, cfg),
    project: (p, x) => ngcEquationsProject(p as Record<string, tf.Tensor2D>, x),
    updates(p, x, target) {
      const P = p as Record<string, tf.Tensor2D>;
      const y = typeof target === "function" ? target(ngcEquationsProject(P, x)) : target;
      return ngcEquationsUpdates(P, x, y, cfg);
    },
    constrain: cfg.maxColumnNorm > 0
      ? (p) => clipNgcEquations(p as Record<string, tf.Tensor2D>, cfg.maxColumnNorm)
      : null,
  };
}
