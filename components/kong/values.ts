/** Small helpers over parsed YAML values, shared by the overlay parser, rendering and credentials. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value as an error message shows it. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  return JSON.stringify(value);
}

/** A copy with every string replaced by `f(string)`. */
export function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

export function walkStrings(value: unknown, visit: (s: string) => void): void {
  mapStrings(value, (s) => (visit(s), s));
}
