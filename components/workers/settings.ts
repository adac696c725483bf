import SETTINGS_JSON from "../../workers/src/contract/settings.json";
import type { Setting } from "../../workers/src/contract/settings";

/**
 * The worker-config contract (workers/src/contract/settings.json), read by the program: the
 * settings a stack may set under `coexist:workers` and how they are rendered into the worker's
 * config. The worker parses the same file (workers/src/contract/settings.ts); data, not code, so
 * the root project never imports the worker package's modules, nor the worker the root's.
 */
/** A contract entry (type only: erased, so the program loads no worker module). */
export type WorkerSetting = Setting;

export const WORKER_SETTINGS: Readonly<Record<string, WorkerSetting>> = Object.fromEntries(
  Object.entries(SETTINGS_JSON).filter(([k]) => k !== "$comment"),
) as Record<string, WorkerSetting>;

/** The settings a stack sets under `coexist:workers`, as [contract name, setting]. */
export function stackSettings(): [string, WorkerSetting & { readonly stack: string }][] {
  return Object.entries(WORKER_SETTINGS).filter((e): e is [string, WorkerSetting & { stack: string }] => e[1].stack !== undefined);
}

/** Puts each stack-set value (by its `coexist:workers` key; absent: the contract's default) at its path. */
export function renderStackSettings(values: Readonly<Record<string, number | boolean>>): Record<string, Record<string, number | boolean>> {
  const out: Record<string, Record<string, number | boolean>> = {};
  for (const [name, s] of stackSettings()) {
    const [group, field] = name.split(".") as [string, string];
    (out[group] ??= {})[field] = values[s.stack] ?? s.default;
  }
  return out;
}
