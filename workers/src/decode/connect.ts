import { Binary, Long } from "mongodb";
import { encodeUnscaled, unscaledFromBase64, UnrepresentableValueError, type DecimalEncoding } from "./decimal.js";
import { parseJsonLossless } from "./json.js";

/** A Kafka Connect JSON schema node, as written by JsonConverter with schemas.enable=true. */
export interface ConnectSchema {
  type: string;
  name?: string;
  optional?: boolean;
  field?: string;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  values?: ConnectSchema;
  parameters?: Record<string, string>;
}

export interface DecodeOptions {
  decimals: DecimalEncoding;
}

export interface DecodedRow {
  row: Record<string, unknown>;
  /** Columns Debezium could not read (unchanged TOASTed values): the stored value must be kept. */
  unavailable: string[];
}

/** Debezium's `unavailable.value.placeholder` default. */
export const UNAVAILABLE_PLACEHOLDER = "__debezium_unavailable_value";
const UNAVAILABLE_BYTES_B64 = Buffer.from(UNAVAILABLE_PLACEHOLDER).toString("base64");

/** Thrown when a value does not match its declared schema: the record is poison. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecodeError";
  }
}

const MS_PER_DAY = 86_400_000;

/** Decodes a struct payload (one row) field by field using its Connect schema. */
export function decodeRow(schema: ConnectSchema, payload: unknown, options: DecodeOptions): DecodedRow {
  if (schema.type !== "struct" || !Array.isArray(schema.fields)) {
    throw new DecodeError(`value schema type is "${schema.type}", expected a struct with fields (is the flattening SMT configured?)`);
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new DecodeError(`value payload is ${describe(payload)}, expected an object`);
  }
  const source = payload as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  const unavailable: string[] = [];
  for (const f of schema.fields) {
    const name = f.field;
    if (name === undefined) throw new DecodeError("a struct field has no name");
    const raw = source[name];
    if (isPlaceholder(f, raw)) {
      unavailable.push(name);
      continue;
    }
    row[name] = decodeValue(f, raw, name, options);
  }
  return { row, unavailable };
}

/** Decodes one value; `path` names the field in errors. */
export function decodeValue(schema: ConnectSchema, raw: unknown, path: string, options: DecodeOptions): unknown {
  if (raw === null || raw === undefined) return null;
  switch (schema.name) {
    case "org.apache.kafka.connect.data.Decimal": {
      const scale = Number(schema.parameters?.scale ?? "0");
      return encodeUnscaled(unscaledFromBase64(expect(raw, "string", path)), scale, path, options.decimals);
    }
    case "io.debezium.data.VariableScaleDecimal": {
      const v = expectObject(raw, path);
      const scale = expect(v.scale, "number", `${path}.scale`);
      return encodeUnscaled(unscaledFromBase64(expect(v.value, "string", `${path}.value`)), scale, path, options.decimals);
    }
    case "io.debezium.time.ZonedTimestamp":
      return isoToDate(expect(raw, "string", path), path);
    case "io.debezium.time.Timestamp":
    case "org.apache.kafka.connect.data.Timestamp":
      return new Date(toNumber(raw, path));
    case "io.debezium.time.MicroTimestamp":
      // Date has millisecond resolution: microseconds are truncated toward the past.
      return new Date(Number(floorDiv(toBigInt(raw, path), 1000n)));
    case "io.debezium.time.NanoTimestamp":
      return new Date(Number(floorDiv(toBigInt(raw, path), 1_000_000n)));
    case "io.debezium.time.Date":
    case "org.apache.kafka.connect.data.Date":
      return new Date(toNumber(raw, path) * MS_PER_DAY);
    case "io.debezium.data.Json":
      try {
        return parseJsonLossless(expect(raw, "string", path));
      } catch (e) {
        throw new DecodeError(`field "${path}": Json column is not valid JSON (${(e as Error).message})`);
      }
    default:
      return decodePlain(schema, raw, path, options);
  }
}

function decodePlain(schema: ConnectSchema, raw: unknown, path: string, options: DecodeOptions): unknown {
  switch (schema.type) {
    case "int8":
    case "int16":
    case "int32":
    case "float32":
    case "float64":
      return expect(raw, "number", path);
    case "int64":
      return int64(raw, path);
    case "boolean":
      return expect(raw, "boolean", path);
    case "string":
      return expect(raw, "string", path);
    case "bytes":
      return new Binary(Buffer.from(expect(raw, "string", path), "base64"));
    case "array": {
      if (!Array.isArray(raw)) throw new DecodeError(`field "${path}" is ${describe(raw)}, schema says array`);
      const items = schema.items;
      return items ? raw.map((v, i) => decodeValue(items, v, `${path}[${i}]`, options)) : raw;
    }
    case "map": {
      const values = schema.values;
      const obj = expectObject(raw, path);
      if (!values) return obj;
      return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decodeValue(values, v, `${path}.${k}`, options)]));
    }
    case "struct": {
      const obj = expectObject(raw, path);
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) {
        const name = f.field ?? "";
        out[name] = decodeValue(f, obj[name], `${path}.${name}`, options);
      }
      return out;
    }
    default:
      throw new DecodeError(`field "${path}": unsupported Connect schema type "${schema.type}"`);
  }
}

/** int64 as a JS number when exact, else a BSON Long: the same rule the reconciler applies to bigint columns. */
export function int64(raw: unknown, path: string): number | Long {
  if (typeof raw === "bigint") return Long.fromBigInt(raw);
  if (typeof raw === "number" && Number.isSafeInteger(raw)) return raw;
  if (typeof raw === "string" && /^-?\d+$/.test(raw)) {
    const n = BigInt(raw);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : Long.fromBigInt(n);
  }
  throw new DecodeError(`field "${path}" is ${describe(raw)}, schema says int64`);
}

/**
 * ISO-8601 text to Date. PostgreSQL timestamptz has microseconds, Date has
 * milliseconds: the extra digits are truncated (documented in README).
 */
export function isoToDate(text: string, path: string): Date {
  const normalized = text.replace(/(\.\d{3})\d+/, "$1");
  const d = new Date(normalized);
  if (Number.isNaN(d.getTime())) throw new DecodeError(`field "${path}": "${text}" is not an ISO-8601 timestamp`);
  return d;
}

function isPlaceholder(schema: ConnectSchema, raw: unknown): boolean {
  if (schema.type === "string") return raw === UNAVAILABLE_PLACEHOLDER;
  if (schema.type === "bytes" && schema.name === undefined) return raw === UNAVAILABLE_BYTES_B64;
  // An unchanged TOASTed array column: Debezium sends a one-element array of the placeholder
  // (text[] → ["__debezium_unavailable_value"], bytea[] → its base64).
  if (schema.type === "array" && Array.isArray(raw) && raw.length === 1) {
    const el = raw[0];
    return el === UNAVAILABLE_PLACEHOLDER || (schema.items !== undefined && isPlaceholder(schema.items, el));
  }
  return false;
}

function toBigInt(raw: unknown, path: string): bigint {
  if (typeof raw === "bigint") return raw;
  if (typeof raw === "number" && Number.isInteger(raw)) return BigInt(raw);
  throw new DecodeError(`field "${path}" is ${describe(raw)}, expected an integer`);
}

function toNumber(raw: unknown, path: string): number {
  return Number(toBigInt(raw, path));
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function expect<T extends "string" | "number" | "boolean">(
  raw: unknown,
  type: T,
  path: string,
): T extends "string" ? string : T extends "number" ? number : boolean {
  if (typeof raw !== type) throw new DecodeError(`field "${path}" is ${describe(raw)}, schema says ${type}`);
  return raw as never;
}

function expectObject(raw: unknown, path: string): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new DecodeError(`field "${path}" is ${describe(raw)}, expected an object`);
  }
  return raw as Record<string, unknown>;
}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${typeof v === "object" ? "" : String(v)}`.trim();
}

export { UnrepresentableValueError };
