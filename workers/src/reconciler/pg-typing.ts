import { Binary } from "mongodb";
import { int64, isoToDate, type DecodeOptions } from "../decode/connect.js";
import { encodeDecimal } from "../decode/decimal.js";
import { parseJsonLossless } from "../decode/json.js";
import type { Row } from "../transform/transforms.js";

/** Column metadata as `pg` reports it (FieldDef subset). */
export interface PgField {
  readonly name: string;
  readonly dataTypeID: number;
}

/** Raised for a column type the reconciler cannot type the way the worker does. */
export class UnsupportedColumnError extends Error {}

const OID = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
} as const;

/**
 * Types a row read with every column as text (see `rawTextTypes`) exactly as
 * the worker types the same row from Debezium's record, so both sides hash
 * alike: NUMERIC → Decimal128 (same exactness rule), timestamptz → Date
 * (µs truncated), json/jsonb → parsed, int8 → number or Long.
 * The session must run with TimeZone=UTC.
 */
export function typeRow(fields: readonly PgField[], row: Record<string, string | null>, options: DecodeOptions): Row {
  const out: Row = {};
  for (const f of fields) out[f.name] = typeValue(f, row[f.name] ?? null, options);
  return out;
}

export function typeValue(f: PgField, text: string | null, options: DecodeOptions): unknown {
  if (text === null) return null;
  switch (f.dataTypeID) {
    case OID.bool:
      return text === "t";
    case OID.int2:
    case OID.int4:
      return Number(text);
    case OID.int8:
    case OID.oid:
      return int64(text, f.name);
    case OID.float4:
    case OID.float8:
      return Number(text);
    case OID.numeric:
      return encodeDecimal(text, f.name, options.decimals);
    case OID.text:
    case OID.varchar:
    case OID.bpchar:
    case OID.name:
    case OID.uuid:
      return text;
    case OID.json:
    case OID.jsonb:
      return parseJsonLossless(text);
    case OID.timestamptz:
    case OID.timestamp:
      return isoToDate(pgTimestampToIso(text), f.name);
    case OID.date:
      return isoToDate(`${text}T00:00:00Z`, f.name);
    case OID.bytea:
      return new Binary(Buffer.from(text.replace(/^\\x/, ""), "hex"));
    case OID.time:
      return timeToMicros(text);
    default:
      throw new UnsupportedColumnError(
        `column "${f.name}" has type OID ${f.dataTypeID}, which the reconciler does not type like the worker; ` +
          "add it to workers/src/reconciler/pg-typing.ts (and the worker's decoder) or leave the table out of the capture",
      );
  }
}

/** "2024-11-23 10:15:30.123456+00" (TimeZone=UTC) or without offset → ISO-8601 in UTC. */
export function pgTimestampToIso(text: string): string {
  const m = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d(?:\.\d+)?)([+-]\d\d(?::?\d\d)?)?$/.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, off] = m;
  const offset = off === undefined || /^[+-]00(:?00)?$/.test(off) ? "Z" : off.length === 3 ? `${off}:00` : off;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`;
}

/** MicroTime, as Debezium's adaptive_time_microseconds sends TIME columns. */
function timeToMicros(text: string): number {
  const [h = "0", m = "0", s = "0"] = text.split(":");
  const [whole = "0", frac = ""] = s.split(".");
  return ((Number(h) * 60 + Number(m)) * 60 + Number(whole)) * 1_000_000 + Number(frac.padEnd(6, "0").slice(0, 6));
}

/** pg type parsers that return every value as PostgreSQL's text. */
export const rawTextTypes = { getTypeParser: () => (v: string) => v };
