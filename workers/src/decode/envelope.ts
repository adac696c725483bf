import { isDeepStrictEqual } from "node:util";
import { parseJsonLossless } from "./json.js";

/**
 * Reads Kafka Connect's JSON envelope `{"schema":S,"payload":P}` (JsonConverter with
 * schemas.enable=true) without parsing the same schema again for every record.
 *
 * A Debezium event's schema (the envelope, source and row structs) is about three quarters of
 * its bytes and the same for every record of a table until its columns change: parsing it was
 * most of the worker's CPU per event. Per topic, the bytes of the last schema seen are kept with
 * their parsed form; a record whose bytes hold exactly those bytes in the schema position,
 * followed by `,"payload":` and ending with `}`, only has its payload decoded and parsed. Any
 * other record (a new schema, whitespace, keys in another order, a schema whose text contains
 * `,"payload":`) takes the full parse, exactly as before, and may teach the cache its schema,
 * which is kept only if the bytes parse on their own to the very schema the full parse found.
 */

/** Debezium's microsecond and nanosecond timestamps: never read by the worker, so they may be rounded. */
export const ROUNDABLE = ["ts_us", "ts_ns"] as const;

const PREFIX = Buffer.from('{"schema":');
const MIDDLE = Buffer.from(',"payload":');
const CLOSE = 0x7d; // }

interface Known {
  readonly bytes: Buffer;
  readonly schema: unknown;
}

export interface Envelope {
  readonly schema: unknown;
  readonly payload: unknown;
}

export class EnvelopeReader {
  readonly #known = new Map<string, Known>();

  /** Parses `value`; throws SyntaxError when it is not JSON. `topic` keys the schema kept. */
  read(topic: string, value: Buffer): unknown {
    const known = this.#known.get(topic);
    if (known) {
      const payload = this.#payloadAfter(known, value);
      if (payload !== undefined) return { schema: known.schema, payload } satisfies Envelope;
    }
    const parsed = parseJsonLossless(value.toString("utf8"), ROUNDABLE);
    this.#learn(topic, value, parsed);
    return parsed;
  }

  #payloadAfter(known: Known, value: Buffer): unknown {
    const schemaEnd = PREFIX.length + known.bytes.length;
    const payloadStart = schemaEnd + MIDDLE.length;
    if (value.length <= payloadStart || value[value.length - 1] !== CLOSE) return undefined;
    if (value.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) return undefined;
    if (value.compare(known.bytes, 0, known.bytes.length, PREFIX.length, schemaEnd) !== 0) return undefined;
    if (value.compare(MIDDLE, 0, MIDDLE.length, schemaEnd, payloadStart) !== 0) return undefined;
    try {
      // Anything after the payload (another key) makes this text invalid JSON: full parse then.
      return parseJsonLossless(value.toString("utf8", payloadStart, value.length - 1), ROUNDABLE);
    } catch {
      return undefined;
    }
  }

  #learn(topic: string, value: Buffer, parsed: unknown): void {
    if (parsed === null || typeof parsed !== "object" || !("schema" in parsed) || !("payload" in parsed)) return;
    if (value.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) return;
    const end = value.indexOf(MIDDLE, PREFIX.length);
    if (end < 0) return;
    const bytes = Buffer.from(value.subarray(PREFIX.length, end));
    let schema: unknown;
    try {
      schema = parseJsonLossless(bytes.toString("utf8"));
    } catch {
      return;
    }
    if (isDeepStrictEqual(schema, parsed.schema)) this.#known.set(topic, { bytes, schema: parsed.schema });
  }
}
