import type { Long } from "mongodb";
import { decodeRow, DecodeError, int64, type ConnectSchema, type DecodeOptions } from "../decode/connect.js";
import { UnrepresentableValueError } from "../decode/decimal.js";
import { EnvelopeReader, ROUNDABLE } from "../decode/envelope.js";
import { parseJsonLossless } from "../decode/json.js";
import type { Capture } from "../runtime/config.js";
import { TransformError, transforms, type Row } from "../transform/transforms.js";
import { encodeVersion, SNAPSHOT, STREAM, version, type Version } from "./version.js";

/** A record as read from Kafka, independent of the client library. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** A composite primary key's `_id`: the key columns in the configured order. */
export type CompositeId = { readonly [column: string]: string | number | Long };
export type DocumentId = string | number | Long | CompositeId;

/** One row change ready to be written: either a document image or a delete. */
export interface Change {
  /** The Kafka record this change came from (dead-lettered as is if the store rejects it). */
  readonly record: RawRecord;
  readonly capture: Capture;
  readonly id: DocumentId;
  readonly op: "c" | "u" | "d" | "r";
  /** What the guard orders by (see version.ts), and its `_v` string. */
  readonly version: Version;
  readonly v: string;
  /** The change's LSN as stored in `_lsn` (informational: the guard reads `_v`). */
  readonly lsn: number | Long;
  readonly sourceTsMs: number | null;
  readonly deleted: boolean;
  /** The transformed document without _id and sync metadata; absent for deletes. */
  readonly doc: Row | null;
  /** Source columns Debezium did not send (unchanged TOAST): keep the stored values. */
  readonly partial: boolean;
}

/** A TRUNCATE of a captured table: every document of the collection older than `version` is deleted. */
export interface Truncate {
  readonly record: RawRecord;
  readonly capture: Capture;
  readonly version: Version;
  readonly v: string;
  readonly lsn: number | Long;
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
  | "rejected-by-store"
  | "unique-index-conflict";

export type Parsed =
  | { readonly kind: "change"; readonly change: Change }
  | { readonly kind: "truncate"; readonly truncate: Truncate }
  | { readonly kind: "tombstone" }
  | { readonly kind: "poison"; readonly reason: PoisonReason; readonly message: string };

class Poison extends Error {
  constructor(
    readonly reason: PoisonReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns a Debezium change event (the connector's envelope: `before`, `after`, `source`, `op`,
 * plus `__epoch` added by the InsertField SMT) into a Change or a Truncate. The envelope is read
 * as is, not flattened by ExtractNewRecordState: that SMT drops truncate events unconditionally
 * (AbstractExtractRecordStrategy.handleTruncateRecord in Debezium 3.6). Never throws: anything
 * unusable is reported as poison.
 */
export function parseRecord(record: RawRecord, captures: ReadonlyMap<string, Capture>, options: DecodeOptions): Parsed {
  try {
    const capture = captures.get(record.topic);
    if (!capture) throw new Poison("unknown-topic", `topic "${record.topic}" is not in the worker's captures; add it to coexist:capture or stop routing it here`);
    // The tombstone that follows each delete only serves log compaction.
    if (record.value === null || record.value.length === 0) return { kind: "tombstone" };
    const envelope = readEnvelope(record.topic, record.value);
    const event = readEvent(envelope);
    // A truncate names no row: Debezium sends it without a key.
    if (event.op === "t") return { kind: "truncate", truncate: { record, capture, version: event.version, v: encodeVersion(event.version), lsn: event.lsn } };
    const id = parseKey(record.key, capture);
    return { kind: "change", change: toChange(record, event, capture, id, options) };
  } catch (e) {
    if (e instanceof Poison) return { kind: "poison", reason: e.reason, message: e.message };
    if (e instanceof UnrepresentableValueError) return { kind: "poison", reason: "unrepresentable-value", message: e.message };
    if (e instanceof DecodeError) return { kind: "poison", reason: "decode-error", message: e.message };
    if (e instanceof TransformError) return { kind: "poison", reason: "transform-error", message: `transform "${captures.get(record.topic)?.transform}": ${e.message}` };
    throw e;
  }
}

/**
 * The key columns of a capture, in the configured order: `key` names one column, or several
 * separated by commas for a composite primary key ("tenant_id,order_id").
 */
export function keyColumns(capture: Pick<Capture, "key">): string[] {
  return capture.key.split(",").map((c) => c.trim());
}

/**
 * The document `_id` of a record key. Debezium keys every change by the whole primary key, so
 * the key's fields must be exactly the configured columns: a key with a column the
 * configuration does not name means `key` is not the whole primary key, and taking one column
 * would collapse distinct rows into one document silently (issue 14 §1.7). Such a record is
 * dead-lettered with the fix. A one-column key is the column's value; a composite key is a
 * document of the columns in the configured order (MongoDB compares embedded documents field
 * by field in order, so one order must be used everywhere: the configured one).
 */
function parseKey(key: Buffer | null, capture: Capture): DocumentId {
  const columns = keyColumns(capture);
  const expected = `{${columns.map((c) => `"${c}": ...`).join(", ")}}`;
  if (key === null || key.length === 0) throw new Poison("missing-key", `record has no key; Debezium keys every change by the primary key ${expected}`);
  let parsed = parseJson(key, "key");
  // Tolerate a key converter with schemas.enable=true.
  if (isObject(parsed) && "schema" in parsed && "payload" in parsed) parsed = parsed.payload;
  if (!isObject(parsed)) throw new Poison("invalid-key", `key is not a JSON object; expected ${expected}`);
  const found = Object.keys(parsed);
  const extra = found.filter((f) => !columns.includes(f));
  if (extra.length > 0) {
    throw new Poison(
      "invalid-key",
      `key has column(s) ${extra.join(", ")} besides captures[].key "${capture.key}": the primary key is (${found.join(", ")}); ` +
        `set captures[].key to "${found.join(",")}" so distinct rows do not collapse into one document`,
    );
  }
  const values = columns.map((c) => {
    const v = parsed[c];
    if (v === undefined || v === null) throw new Poison("missing-key", `key has no "${c}" field (found ${found.join(", ") || "no fields"}); check captures[].key`);
    return documentId(v, c);
  });
  if (columns.length === 1) return values[0] as DocumentId;
  return Object.fromEntries(columns.map((c, i) => [c, values[i]])) as CompositeId;
}

/** The _id for a key column value: strings as is, integers as in `int64`. */
export function documentId(v: unknown, column: string): string | number | Long {
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

interface Event {
  readonly op: "c" | "u" | "d" | "r" | "t";
  readonly version: Version;
  readonly lsn: number | Long;
  readonly sourceTsMs: number | null;
  readonly schema: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
}

const OPS = new Set(["c", "u", "d", "r", "t"]);

function readEvent(envelope: unknown): Event {
  if (!isObject(envelope) || !isObject(envelope.schema) || !isObject(envelope.payload)) {
    throw new Poison("invalid-envelope", 'value is not a Connect JSON envelope {"schema", "payload"}; the value converter must have schemas.enable=true');
  }
  const payload = envelope.payload;
  const op = payload.op;
  if (typeof op !== "string" || !OPS.has(op)) {
    throw new Poison("invalid-envelope", `payload.op is ${JSON.stringify(op)}; the worker reads Debezium change events (op c, u, d, r or t) and the connector must not flatten them`);
  }
  const source = payload.source;
  if (!isObject(source)) throw new Poison("invalid-envelope", "payload.source is missing; without source.lsn the write cannot be ordered");
  let lsn: number | Long;
  let lsnBig: bigint;
  try {
    lsn = int64(source.lsn, "source.lsn");
    lsnBig = BigInt(lsn.toString());
  } catch {
    throw new Poison("invalid-envelope", `payload.source.lsn is ${JSON.stringify(String(source.lsn))}; without it the write cannot be ordered`);
  }
  const epoch = parseEpoch(payload.__epoch);
  const ts = source.ts_ms;
  const sourceTsMs = typeof ts === "number" ? ts : typeof ts === "bigint" ? Number(ts) : null;
  const phase = op === "r" ? SNAPSHOT : STREAM;
  return { op: op as Event["op"], version: version(epoch, phase, lsnBig), lsn, sourceTsMs, schema: envelope.schema, payload };
}

/** `__epoch` is the connector's static field (a string); a connector without it is epoch 0. */
function parseEpoch(raw: unknown): number {
  if (raw === undefined || raw === null) return 0;
  const n = typeof raw === "string" && /^\d{1,10}$/.test(raw) ? Number(raw) : typeof raw === "number" ? raw : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) {
    throw new Poison("invalid-envelope", `payload.__epoch is ${JSON.stringify(raw)}; it must be the source generation, an integer between 0 and 4294967295`);
  }
  return n;
}

function toChange(record: RawRecord, event: Event, capture: Capture, id: DocumentId, options: DecodeOptions): Change {
  const op = event.op as Change["op"];
  const base = { record, capture, id, op, version: event.version, v: encodeVersion(event.version), lsn: event.lsn, sourceTsMs: event.sourceTsMs } as const;
  if (op === "d") return { ...base, deleted: true, doc: null, partial: false };

  const after = event.payload.after;
  const afterSchema = (event.schema.fields as ConnectSchema[] | undefined)?.find((f) => f.field === "after");
  if (!isObject(after) || afterSchema === undefined) {
    throw new Poison("invalid-envelope", `op "${op}" without an "after" row image; the connector must emit Debezium change events`);
  }
  const { row, unavailable } = decodeRow(afterSchema, after, options);
  const doc = transforms[capture.transform](row);
  delete doc._id;
  return { ...base, deleted: false, doc, partial: unavailable.length > 0 };
}

/** Per process: the schema of each topic, parsed once (see decode/envelope.ts). */
const envelopes = new EnvelopeReader();

function readEnvelope(topic: string, buf: Buffer): unknown {
  try {
    return envelopes.read(topic, buf);
  } catch (e) {
    throw new Poison("invalid-json", `value is not valid JSON (${(e as Error).message})`);
  }
}

function parseJson(buf: Buffer, what: string): unknown {
  try {
    return parseJsonLossless(buf.toString("utf8"), ROUNDABLE);
  } catch (e) {
    throw new Poison("invalid-json", `${what} is not valid JSON (${(e as Error).message})`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
