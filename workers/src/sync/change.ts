import type { Long } from "mongodb";
import { decodeRow, DecodeError, int64, type ConnectSchema, type DecodeOptions } from "../decode/connect.js";
import { UnrepresentableValueError } from "../decode/decimal.js";
import { parseJsonLossless } from "../decode/json.js";
import type { Capture } from "../runtime/config.js";
import { TransformError, transforms, type Row } from "../transform/transforms.js";

/** A record as read from Kafka, independent of the client library. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export type DocumentId = string | number | Long;

/** One row change ready to be written: either a document image or a delete. */
export interface Change {
  /** The Kafka record this change came from (dead-lettered as is if the store rejects it). */
  readonly record: RawRecord;
  readonly capture: Capture;
  readonly id: DocumentId;
  readonly op: "c" | "u" | "d" | "r";
  readonly lsn: number | Long;
  readonly sourceTsMs: number | null;
  readonly deleted: boolean;
  /** The transformed document without _id and sync metadata; absent for deletes. */
  readonly doc: Row | null;
  /** Source columns Debezium did not send (unchanged TOAST): keep the stored values. */
  readonly partial: boolean;
}

export type PoisonReason =
  | "unknown-topic"
  | "missing-key"
  | "invalid-key"
  | "invalid-json"
  | "invalid-envelope"
  | "decode-error"
  | "unrepresentable-value"
  | "transform-error"
  | "rejected-by-store";

export type Parsed =
  | { readonly kind: "change"; readonly change: Change }
  | { readonly kind: "tombstone" }
  | { readonly kind: "poison"; readonly reason: PoisonReason; readonly message: string };

const META_FIELDS = ["__op", "__lsn", "__source_ts_ms", "__deleted"] as const;

class Poison extends Error {
  constructor(
    readonly reason: PoisonReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns a flattened Debezium record (ExtractNewRecordState with
 * delete.tombstone.handling.mode=rewrite-with-tombstone, add.fields=op,lsn,source.ts_ms)
 * into a Change. Never throws: anything unusable is reported as poison.
 */
export function parseRecord(record: RawRecord, captures: ReadonlyMap<string, Capture>, options: DecodeOptions): Parsed {
  try {
    const capture = captures.get(record.topic);
    if (!capture) throw new Poison("unknown-topic", `topic "${record.topic}" is not in the worker's captures; add it to coexist:capture or stop routing it here`);
    // The tombstone that follows each rewritten delete only serves log compaction.
    if (record.value === null || record.value.length === 0) return { kind: "tombstone" };
    const id = parseKey(record.key, capture);
    const envelope = parseJson(record.value, "value");
    return { kind: "change", change: toChange(record, envelope, capture, id, options) };
  } catch (e) {
    if (e instanceof Poison) return { kind: "poison", reason: e.reason, message: e.message };
    if (e instanceof UnrepresentableValueError) return { kind: "poison", reason: "unrepresentable-value", message: e.message };
    if (e instanceof DecodeError) return { kind: "poison", reason: "decode-error", message: e.message };
    if (e instanceof TransformError) return { kind: "poison", reason: "transform-error", message: `transform "${captures.get(record.topic)?.transform}": ${e.message}` };
    throw e;
  }
}

function parseKey(key: Buffer | null, capture: Capture): DocumentId {
  if (key === null || key.length === 0) throw new Poison("missing-key", `record has no key; Debezium keys every change by the primary key "${capture.key}"`);
  let parsed = parseJson(key, "key");
  // Tolerate a key converter with schemas.enable=true.
  if (isObject(parsed) && "schema" in parsed && "payload" in parsed) parsed = parsed.payload;
  if (!isObject(parsed)) throw new Poison("invalid-key", `key is not a JSON object; expected {"${capture.key}": ...}`);
  const v = parsed[capture.key];
  if (v === undefined || v === null) throw new Poison("missing-key", `key has no "${capture.key}" field (found ${Object.keys(parsed).join(", ") || "no fields"}); check captures[].key`);
  return documentId(v, capture.key);
}

/** The _id for a key column value: strings as is, integers as in `int64`. */
export function documentId(v: unknown, column: string): DocumentId {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") {
    try {
      return int64(v, column);
    } catch {
      throw new Poison("invalid-key", `key "${column}" is ${String(v)}, expected an integer or a string`);
    }
  }
  throw new Poison("invalid-key", `key "${column}" is a ${typeof v}; only integer and text primary keys are supported`);
}

function toChange(record: RawRecord, envelope: unknown, capture: Capture, id: DocumentId, options: DecodeOptions): Change {
  if (!isObject(envelope) || !isObject(envelope.schema) || !isObject(envelope.payload)) {
    throw new Poison("invalid-envelope", 'value is not a Connect JSON envelope {"schema", "payload"}; the value converter must have schemas.enable=true');
  }
  const payload = envelope.payload;
  const op = payload.__op;
  if (op !== "c" && op !== "u" && op !== "d" && op !== "r") {
    throw new Poison("invalid-envelope", `payload.__op is ${JSON.stringify(op)}; the flattening SMT must set add.fields=op,lsn,source.ts_ms`);
  }
  let lsn: number | Long;
  try {
    lsn = int64(payload.__lsn, "__lsn");
  } catch {
    throw new Poison("invalid-envelope", `payload.__lsn is ${JSON.stringify(String(payload.__lsn))}; without it the write cannot be ordered`);
  }
  const ts = payload.__source_ts_ms;
  const sourceTsMs = typeof ts === "number" ? ts : typeof ts === "bigint" ? Number(ts) : null;
  const deleted = op === "d" || payload.__deleted === "true" || payload.__deleted === true;
  const base = { record, capture, id, op, lsn, sourceTsMs, deleted } as const;
  if (deleted) return { ...base, doc: null, partial: false };

  const { row, unavailable } = decodeRow(envelope.schema as unknown as ConnectSchema, payload, options);
  for (const f of META_FIELDS) delete row[f];
  const doc = transforms[capture.transform](row);
  delete doc._id;
  return { ...base, doc, partial: unavailable.length > 0 };
}

function parseJson(buf: Buffer, what: string): unknown {
  try {
    return parseJsonLossless(buf.toString("utf8"));
  } catch (e) {
    throw new Poison("invalid-json", `${what} is not valid JSON (${(e as Error).message})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
