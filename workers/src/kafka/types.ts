import type { RawRecord } from "../sync/change.js";

/**
 * The few Kafka operations the worker needs. Kept small so the client
 * library can be swapped (see README, "Kafka client") and so the worker
 * loop is tested with an in-memory fake.
 */
export interface RecordSource {
  /** Joins the group and starts fetching. Offsets: committed, else earliest. */
  start(topics: readonly string[]): Promise<void>;
  /**
   * Resolves with up to `max` records in partition order: as soon as `max`
   * are buffered, or `maxWaitMs` after the first one arrived, or with []
   * once `interrupt()` was called.
   */
  next(max: number, maxWaitMs: number): Promise<RawRecord[]>;
  /** Commits, per partition, the offset after the last of `records`. */
  commit(records: readonly RawRecord[]): Promise<void>;
  /** Records not yet consumed, by "topic:partition". */
  lag(topics: readonly string[]): Promise<Map<string, bigint>>;
  /** Makes a pending `next` resolve with [] (used on SIGTERM). */
  interrupt(): void;
  close(): Promise<void>;
}

export interface DeadLetter {
  readonly record: RawRecord;
  readonly reason: string;
  readonly message: string;
}

export interface DeadLetterSink {
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  send(letters: readonly DeadLetter[]): Promise<void>;
  close(): Promise<void>;
}

/** Header names on dead letters; consumers of the DLQ depend on them. */
export const DLQ_HEADERS = {
  reason: "coexist-error-reason",
  message: "coexist-error-message",
  topic: "coexist-source-topic",
  partition: "coexist-source-partition",
  offset: "coexist-source-offset",
} as const;

export function deadLetterHeaders(l: DeadLetter): Record<string, Buffer> {
  return {
    [DLQ_HEADERS.reason]: Buffer.from(l.reason),
    [DLQ_HEADERS.message]: Buffer.from(l.message),
    [DLQ_HEADERS.topic]: Buffer.from(l.record.topic),
    [DLQ_HEADERS.partition]: Buffer.from(String(l.record.partition)),
    [DLQ_HEADERS.offset]: Buffer.from(l.record.offset.toString()),
  };
}
