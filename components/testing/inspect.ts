import { Recorded } from "./mocks";

/** The marker Pulumi's RPC layer puts on a secret value (what mocks receive). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface Found {
  readonly text: string;
  /** Inside a secret, as serialised. (Mocks lift a nested secret to the whole top-level input.) */
  readonly secret: boolean;
  /** The top-level input it sits under. */
  readonly input: string;
}

/** Every string in a value, with whether it sits inside a secret (mocks may lift a nested secret to its parent). */
export function stringsIn(value: unknown, secret = false, out: { text: string; secret: boolean }[] = []): { text: string; secret: boolean }[] {
  if (typeof value === "string") out.push({ text: value, secret });
  else if (Array.isArray(value)) value.forEach((v) => stringsIn(v, secret, out));
  else if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[SECRET_SIG] !== undefined) stringsIn(o.value, true, out);
    else Object.values(o).forEach((v) => stringsIn(v, secret, out));
  }
  return out;
}

/** Every string in a resource's inputs, with the top-level input it sits under and whether it is secret. */
export function stringsOf(r: Pick<Recorded, "inputs">): Found[] {
  const out: Found[] = [];
  const walk = (value: unknown, input: string, secret: boolean): void => {
    if (typeof value === "string") out.push({ text: value, secret, input });
    else if (Array.isArray(value)) value.forEach((v) => walk(v, input, secret));
    else if (value && typeof value === "object") {
      const o = value as Record<string, unknown>;
      if (o[SECRET_SIG] !== undefined) walk(o.value, input, true);
      else Object.values(o).forEach((v) => walk(v, input, secret));
    }
  };
  for (const [k, v] of Object.entries(r.inputs)) walk(v, k, false);
  return out;
}

/** Where a credential may appear: `<type> <name-suffix> <input>` patterns. */
export type Allowed = readonly { readonly type: string; readonly name: RegExp; readonly input: string }[];

/**
 * Every place a credential appears in any resource input. Each must be an allowed place AND a
 * secret there. A credential anywhere else (for instance unsecret()-ed into a worker's env) is a
 * leak even when the mock engine's serialisation happens to wrap the whole list in a secret.
 */
export function credentialLeaks(resources: readonly Recorded[], credentials: Record<string, string>, allowed: Record<string, Allowed>): string[] {
  const leaks: string[] = [];
  for (const r of resources) {
    for (const s of stringsOf(r)) {
      for (const [key, value] of Object.entries(credentials)) {
        if (!value || !(s.text.includes(value) || s.text.includes(encodeURIComponent(value)))) continue;
        const ok = (allowed[key] ?? []).some((a) => a.type === r.type && a.name.test(r.name) && a.input === s.input);
        if (!ok) leaks.push(`${key} appears in ${r.type} "${r.name}" input ${s.input}, which is not a place it belongs`);
        else if (!s.secret) leaks.push(`${key} is in plain text in ${r.type} "${r.name}" input ${s.input}`);
      }
    }
  }
  return leaks;
}
