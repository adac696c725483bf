import { Long } from "mongodb";
import { isoToDate } from "../decode/connect.js";
import { parseJsonLossless } from "../decode/json.js";

/**
 * Named row → document transforms. Input rows are already typed by the
 * decoder (or, in the reconciler, by the PostgreSQL row typer), so each
 * transform only reshapes. A column Debezium could not read (unchanged
 * TOAST) is absent from the row; transforms must then leave its target
 * absent too so the stored value is kept.
 */
export type Row = Record<string, unknown>;
export type Transform = (row: Row) => Row;

export const TRANSFORM_NAMES = ["order", "customer", "product", "identity"] as const;
export type TransformName = (typeof TRANSFORM_NAMES)[number];

export class TransformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TransformError";
  }
}

const ADDRESS_COLUMNS: ReadonlyArray<readonly [column: string, field: string]> = [
  ["address_line1", "line1"],
  ["address_line2", "line2"],
  ["city", "city"],
  ["state", "state"],
  ["zip_code", "zip"],
  ["country", "country"],
];

export const transforms: Readonly<Record<TransformName, Transform>> = {
  identity: (row) => ({ ...row }),

  order: (row) => {
    const out: Row = { ...row };
    if ("items" in row) out.items = jsonField(row.items, "items", "array");
    if ("customer_id" in row) out.customer_id = idToString(row.customer_id, "customer_id");
    for (const f of ["created_at", "updated_at"]) if (f in row) out[f] = toDate(row[f], f);
    return out;
  },

  customer: (row) => {
    const out: Row = { ...row };
    const present = ADDRESS_COLUMNS.filter(([c]) => c in row);
    for (const [c] of ADDRESS_COLUMNS) delete out[c];
    if (present.length === ADDRESS_COLUMNS.length) {
      out.address = Object.fromEntries(present.map(([c, f]) => [f, row[c]]));
    } else {
      // Some address columns were not sent (TOAST): set only the sub-fields we know.
      for (const [c, f] of present) out[`address.${f}`] = row[c];
    }
    return out;
  },

  product: (row) => {
    const out: Row = { ...row };
    if ("attributes" in row) out.attributes = jsonField(row.attributes, "attributes", "object");
    return out;
  },
};

export function isTransformName(v: unknown): v is TransformName {
  return typeof v === "string" && (TRANSFORM_NAMES as readonly string[]).includes(v);
}

function jsonField(v: unknown, field: string, shape: "array" | "object"): unknown {
  let parsed = v;
  if (typeof v === "string") {
    try {
      parsed = parseJsonLossless(v);
    } catch (e) {
      throw new TransformError(`field "${field}": not valid JSON (${(e as Error).message})`);
    }
  }
  if (parsed === null) return null;
  const ok = shape === "array" ? Array.isArray(parsed) : typeof parsed === "object" && !Array.isArray(parsed);
  if (!ok) throw new TransformError(`field "${field}": expected a JSON ${shape} or null, found ${Array.isArray(parsed) ? "an array" : typeof parsed}`);
  return parsed;
}

function idToString(v: unknown, field: string): string | null {
  if (v === null) return null;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "string") return String(v);
  if (v instanceof Long) return v.toString();
  throw new TransformError(`field "${field}": expected an integer id, found ${typeof v}`);
}

function toDate(v: unknown, field: string): Date | null {
  if (v === null || v instanceof Date) return v;
  if (typeof v === "string") {
    try {
      return isoToDate(v, field);
    } catch (e) {
      throw new TransformError((e as Error).message);
    }
  }
  throw new TransformError(`field "${field}": expected a timestamp, found ${typeof v}`);
}
