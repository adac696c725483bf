/**
 * Values as the engine's events carry them, made readable for a reviewer: secrets (which the
 * engine already replaced by `[secret]`), values known only after apply, property paths such as
 * `spec.config["slot.name"]`, and field-by-field differences between two input objects.
 */

/** The marker Pulumi's serialisation puts on a secret value; the engine's events carry no plaintext under it. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
/** What the engine puts where a value is computed during the update. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const SECRET_TEXT = "[secret]";
export const UNKNOWN_TEXT = "(known after apply)";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Replaces secret envelopes by `[secret]` and unknowns by a readable placeholder, recursively. */
export function readable(value: unknown): Json {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value === UNKNOWN ? UNKNOWN_TEXT : value;
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(readable);
  if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[SECRET_SIG] !== undefined) return SECRET_TEXT;
    return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("__")).map(([k, v]) => [k, readable(v)]));
  }
  return String(value);
}

/** Splits `a.b[0]["x.y"]` into ["a", "b", 0, "x.y"]. */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(m[3].replace(/\\(.)/g, "$1"));
  }
  return out;
}

/** The path of a key under a parent path, quoted when the key is not a plain identifier (as the engine writes them). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

export function valueAt(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const p of parsePath(path)) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export interface FieldDiff {
  readonly path: string;
  readonly kind: "add" | "update" | "delete";
  /** The change forces a replacement. */
  readonly replace: boolean;
  readonly from?: Json;
  readonly to?: Json;
}

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Leaf-level differences between two readable input objects. Arrays of scalars are compared whole
 * (a reordered list reads better as one line); arrays of objects element by element.
 */
export function diffValues(from: Json | undefined, to: Json | undefined, path = ""): FieldDiff[] {
  if (JSON.stringify(from) === JSON.stringify(to)) return [];
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => diffValues(from[k], to[k], childPath(path, k)));
  }
  const objects = (v: unknown) => Array.isArray(v) && v.some((x) => typeof x === "object" && x !== null);
  if (Array.isArray(from) && Array.isArray(to) && (objects(from) || objects(to))) {
    const n = Math.max(from.length, to.length);
    return Array.from({ length: n }, (_, i) => diffValues(from[i], to[i], childPath(path, i))).flat();
  }
  if (from === undefined || from === null) return to === undefined || to === null ? [] : [{ path, kind: "add", replace: false, to }];
  if (to === undefined || to === null) return [{ path, kind: "delete", replace: false, from }];
  return [{ path, kind: "update", replace: false, from, to }];
}

/** Every leaf of a value as `path: value` entries (what a create or a delete shows). */
export function leaves(value: Json | undefined, path = ""): { path: string; value: Json }[] {
  if (isObject(value)) return Object.keys(value).sort().flatMap((k) => leaves(value[k], childPath(path, k)));
  const objects = Array.isArray(value) && value.some((x) => typeof x === "object" && x !== null);
  if (objects) return (value as Json[]).flatMap((v, i) => leaves(v, childPath(path, i)));
  return value === undefined || value === null ? [] : [{ path, value }];
}

/** Whether a changed path falls under one of the engine's replace keys (`spec`, `config["slot.name"]`...). */
export function underAny(path: string, keys: readonly string[]): boolean {
  const p = parsePath(path);
  return keys.some((k) => {
    const key = parsePath(k);
    return key.length <= p.length && key.every((seg, i) => seg === p[i]);
  });
}

/** One value on one line for a diff, cut to `max` characters. */
export function showValue(v: Json | undefined, max = 400): string {
  const placeholder = typeof v === "string" && (v.startsWith(SECRET_TEXT) || v === UNKNOWN_TEXT);
  const text = v === undefined || v === null ? "(none)" : placeholder ? String(v) : JSON.stringify(v);
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text;
}

/**
 * The changed lines of a multi-line text (a config file in a ConfigMap) as unified-diff hunks with
 * `context` lines around each change; unchanged stretches in between read as `…`.
 */
export function lineDiff(from: string, to: string, context = 2): string[] {
  const a = from.split("\n");
  const b = to.split("\n");
  const ops = editScript(a, b);
  const keep = new Set<number>();
  ops.forEach((op, i) => {
    if (op.kind !== " ") for (let j = Math.max(0, i - context); j <= Math.min(ops.length - 1, i + context); j++) keep.add(j);
  });
  const out: string[] = [];
  let gap = false;
  ops.forEach((op, i) => {
    if (!keep.has(i)) {
      gap = true;
      return;
    }
    if (gap || (out.length === 0 && i > 0)) out.push("  …");
    gap = false;
    out.push(`${op.kind} ${op.line}`);
  });
  if (gap) out.push("  …");
  return out;
}

/** The shortest edit script between two line lists (longest common subsequence); long texts fall back to one block. */
function editScript(a: string[], b: string[]): { kind: " " | "-" | "+"; line: string }[] {
  if (a.length * b.length > 4_000_000) return [...a.map((line) => ({ kind: "-" as const, line })), ...b.map((line) => ({ kind: "+" as const, line }))];
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: { kind: " " | "-" | "+"; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ kind: " ", line: a[i++]! });
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ kind: "-", line: a[i++]! });
    else out.push({ kind: "+", line: b[j++]! });
  }
  while (i < a.length) out.push({ kind: "-", line: a[i++]! });
  while (j < b.length) out.push({ kind: "+", line: b[j++]! });
  return out;
}

const SENSITIVE_NAME = /(password|passwd|secret|token|credential|private_?key|api_?key|access_?key|sasl\.jaas\.config|ssl\.key)/i;
const REFERENCE = /^(\$\{[^}]+\}|\{vault:\/\/[^}]+\}|\[secret\]|\(known after apply\))$/;
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:)([^@\s/]+)(@)/gi;

/**
 * Masks what the engine could not: a credential the program left in plain text (not a Pulumi
 * secret) under a sensitive key, in a `NAME=value` env entry, in a `{name, value}` env entry, or
 * as the password of a URL. A PR comment is readable by everyone with access to the repository.
 */
export function maskSecrets(value: Json, key = ""): Json {
  if (typeof value === "string") {
    if (SENSITIVE_NAME.test(key) && !/_(FILE|PATH|REF|DIR)$/i.test(key) && value !== "" && !REFERENCE.test(value)) return SECRET_TEXT;
    const env = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(value);
    if (env && SENSITIVE_NAME.test(env[1] as string) && !/_(FILE|PATH|REF|DIR)$/i.test(env[1] as string) && env[2] !== "" && !REFERENCE.test(env[2] as string)) return `${env[1]}=${SECRET_TEXT}`;
    return value.replace(URL_PASSWORD, (_m, a: string, pw: string, b: string) => (REFERENCE.test(pw) ? `${a}${pw}${b}` : `${a}${SECRET_TEXT}${b}`));
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (value !== null && typeof value === "object") {
    // Kubernetes env: {name: "DB_PASSWORD", value: "..."} carries the name beside the value.
    const named = typeof value.name === "string" && "value" in value ? value.name : undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k === "value" && named ? named : k)]));
  }
  return value;
}
