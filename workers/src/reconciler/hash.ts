import { createHash } from "node:crypto";
import { Binary, Decimal128, Long, ObjectId } from "mongodb";
import { META_FIELDS } from "../mongo/writer.js";

/** Fields that are not row content: identity, sync metadata and the tombstone flag. */
const EXCLUDED = new Set<string>(["_id", "_deleted", ...META_FIELDS]);

/**
 * Content hash of a document, independent of key order and of how the
 * driver hands numbers back (int32, double and Long of equal value hash
 * alike). Decimal128 keeps its exponent: both sides build it from the same
 * decimal text, so a different scale is a real difference.
 */
export function contentHash(doc: Record<string, unknown>): string {
  const content: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!EXCLUDED.has(k)) content[k] = v;
  return createHash("sha256").update(canonical(content)).digest("hex");
}

export function canonical(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return `n:${Object.is(v, -0) ? 0 : v}`;
  if (typeof v === "bigint") return `n:${v}`;
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Long) return `n:${v.toString()}`;
  if (v instanceof Decimal128) return `d:${v.toString()}`;
  if (v instanceof Date) return `t:${v.getTime()}`;
  if (v instanceof Binary) return `b:${Buffer.from(v.buffer).toString("base64")}`;
  if (v instanceof ObjectId) return `o:${v.toHexString()}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  throw new TypeError(`cannot hash a value of type ${typeof v}`);
}
