/**
 * Parameters and optimizer state to and from the named tensors a checkpoint
 * holds: a parameter as `<prefix><name>`, its Adam moments as `m.<name>` and
 * `v.<name>` (none for plain SGD). Every experiment checkpoints this way.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { adam } from "./adam.ts";
 * import { namedMoments, namedTensors, restoreMoments, restoreTensors } from "./checkpoint.ts";
 * const params = [tf.zeros([2])];
 * const state = adam({ lr: 1e-3 }).init(params);
 * const saved = { ...await namedTensors(["w"], params), ...await namedMoments(["w"], state) };
 * const [w] = restoreTensors(["w"], saved);
 * const again = restoreMoments(["w"], saved, state.count);
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { NamedTensor } from "../util/safetensors.ts";
import type { OptState } from "./adam.ts";

/** tensors[i] as `<prefix><names[i]>`. */
export async function namedTensors(
  names: string[],
  tensors: tf.Tensor[],
  prefix = "",
): Promise<Record<string, NamedTensor>> {
  if (names.length !== tensors.length) {
    throw new Error(`namedTensors(): ${names.length} names for ${tensors.length} tensors`);
  }
  const out: Record<string, NamedTensor> = {};
  for (let i = 0; i < names.length; i++) {
    out[`${prefix}${names[i]}`] = { shape: tensors[i].shape, data: (await tensors[i].data()) as Float32Array };
  }
  return out;
}

/** An optimizer state's moments as `m.<name>` and `v.<name>` (empty for a state without slots). */
export async function namedMoments(names: string[], state: OptState): Promise<Record<string, NamedTensor>> {
  if (state.slots.length === 0) return {};
  if (state.slots.length !== names.length) {
    throw new Error(`namedMoments(): ${names.length} names for ${state.slots.length} slots`);
  }
  return {
    ...await namedTensors(names, state.slots.map((s) => s[0]), "m."),
    ...await namedTensors(names, state.slots.map((s) => s[1]), "v."),
  };
}

/** New tensors from `<prefix><name>` of a checkpoint, in the order of `names`. */
export function restoreTensors(names: string[], saved: Record<string, NamedTensor>, prefix = ""): tf.Tensor[] {
  return names.map((n) => {
    const t = saved[`${prefix}${n}`];
    if (!t) throw new Error(`The checkpoint has no tensor '${prefix}${n}'`);
    return tf.tensor(t.data as Float32Array, t.shape);
  });
}

/** The optimizer state saved by namedMoments (no slots when the checkpoint holds no moments). */
export function restoreMoments(names: string[], saved: Record<string, NamedTensor>, count: number): OptState {
  if (names.length > 0 && !(`m.${names[0]}` in saved)) return { count, slots: [] };
  const m = restoreTensors(names, saved, "m."), v = restoreTensors(names, saved, "v.");
  return { count, slots: names.map((_, i) => [m[i], v[i]]) };
}
