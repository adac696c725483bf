/**
 * The collecting validator behind stacks/config.ts: every check adds a problem naming the key,
 * the value found and the fix, and parsing goes on, so one run reports every problem at once.
 */

export const NS = "coexist";

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** Pulumi hands objects and lists over as JSON strings; plain strings stay strings. */
export function decode(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

export class Problems {
  private readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  get count(): number {
    return this.list.length;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
  /** An object-valued key; `allowed` lists its fields, and any other field is reported. */
  object(key: string, value: unknown, allowed?: readonly string[]): Record<string, unknown> {
    if (value === undefined) return {};
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      if (allowed) {
        for (const field of Object.keys(o)) {
          if (!allowed.includes(field)) this.add(`${NS}:${key}.${field}: unknown field; fix: use only ${allowed.join(", ")} (see Pulumi.yaml)`);
        }
      }
      return o;
    }
    this.add(`${NS}:${key}: expected an object, found ${show(value)}`);
    return {};
  }
  /** An optional nested object: undefined when absent. */
  optionalObject(key: string, value: unknown, allowed: readonly string[]): Record<string, unknown> | undefined {
    return value === undefined ? undefined : this.object(key, value, allowed);
  }
  oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], opts: { required?: boolean } = {}): T | undefined {
    if (value === undefined) {
      if (opts.required) this.add(`${NS}:${key}: missing; fix: set it to one of ${allowed.join(", ")}`);
      return undefined;
    }
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    this.add(`${NS}:${key}: unknown value ${show(value)}; fix: use one of ${allowed.join(", ")}`);
    return undefined;
  }
  bool(key: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value === "boolean") return value;
    this.add(`${NS}:${key}: expected true or false, found ${show(value)}`);
    return fallback;
  }
  int(key: string, value: unknown, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
    this.add(`${NS}:${key}: expected a whole number from ${min} to ${max}, found ${show(value)}`);
    return fallback;
  }
  port(key: string, value: unknown, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    this.add(`${NS}:${key}: port out of range, found ${show(value)}; fix: use a whole number from 1 to 65535`);
    return fallback;
  }
  string(key: string, value: unknown, fallback: string, shape: RegExp, described: string): string {
    if (value === undefined) return fallback;
    if (typeof value === "string" && shape.test(value)) return value;
    this.add(`${NS}:${key}: expected ${described}, found ${show(value)}`);
    return fallback;
  }
  /** A required string: missing is a problem naming the fix. */
  requiredString(key: string, value: unknown, shape: RegExp, described: string, example: string): string {
    if (value === undefined) {
      this.add(`${NS}:${key}: missing; fix: set it to ${described}, e.g. ${example}`);
      return "";
    }
    return this.string(key, value, "", shape, described);
  }
  optionalString(key: string, value: unknown, shape: RegExp, described: string): string | undefined {
    return value === undefined ? undefined : this.string(key, value, "", shape, described);
  }
  stringList(key: string, value: unknown, shape: RegExp, described: string): string[] {
    if (value === undefined) return [];
    if (Array.isArray(value) && value.every((v) => typeof v === "string" && shape.test(v))) return value as string[];
    this.add(`${NS}:${key}: expected a list of ${described}, found ${show(value)}`);
    return [];
  }
}
