// The root project type-checks this file too (its integration tests import worker modules) as
// CommonJS, where import attributes are refused; workers/ (NodeNext ESM) needs them.
// @ts-ignore TS2823 under the root tsconfig only
import SETTINGS_JSON from "./settings.json" with { type: "json" };

/**
 * The worker-config contract (settings.json), typed for the worker. The root project reads the
 * same JSON (components/workers/settings.ts); neither imports the other's code.
 */
type Json = Omit<typeof SETTINGS_JSON, "$comment">;
export type SettingName = keyof Json;

export interface Setting {
  /** `port` is an integer 0-65535 the stack checks for clashes with its other ports. */
  readonly type: "integer" | "port" | "boolean";
  readonly default: number | boolean;
  readonly min?: number;
  readonly max?: number;
  /** The `coexist:workers` key that sets it per stack. */
  readonly stack?: string;
  readonly doc: string;
}

export const SETTINGS = Object.fromEntries(Object.entries(SETTINGS_JSON).filter(([k]) => k !== "$comment")) as unknown as Readonly<Record<SettingName, Setting>>;

type Group<K> = K extends `${infer G}.${string}` ? G : never;
/** `{ batch: { maxRecords: number, ... }, reconciler: { repair: boolean, ... }, ... }`, from the contract's keys. */
export type Tunables = {
  readonly [G in Group<SettingName>]: { readonly [K in SettingName as K extends `${G}.${infer F}` ? F : never]: Json[K]["default"] };
};

/** Parses every contract setting from the rendered config: absent means its default; out of range throws via `invalid`. */
export function parseTunables(root: Readonly<Record<string, unknown>>, invalid: (key: string, found: unknown, fix: string) => Error): Tunables {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, s] of Object.entries(SETTINGS) as [SettingName, Setting][]) {
    const [group, field] = name.split(".") as [string, string];
    const section = root[group];
    if (section !== undefined && (section === null || typeof section !== "object" || Array.isArray(section))) throw invalid(group, section, "it must be an object");
    const v = (section as Record<string, unknown> | undefined)?.[field] ?? s.default;
    if (s.type === "boolean") {
      if (typeof v !== "boolean") throw invalid(name, v, "set true or false");
    } else if (typeof v !== "number" || !Number.isInteger(v) || v < (s.min ?? -Infinity) || v > (s.max ?? Infinity)) {
      throw invalid(name, v, `set an integer between ${s.min} and ${s.max}`);
    }
    (out[group] ??= {})[field] = v;
  }
  return out as unknown as Tunables;
}
