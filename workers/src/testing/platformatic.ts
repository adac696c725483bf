import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  type Message,
  type MessagesStream,
} from "@platformatic/kafka";
import type { RawRecord } from "../sync/change.js";
import { deadLetterHeaders, type DeadLetter, type DeadLetterSink, type RecordSource } from "../kafka/types.js";
import { Wake } from "../kafka/wake.js";

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /**
   * Bound on every request (fetch, commit, metadata, produce) and on connecting: a hung broker
   * surfaces as an error instead of a worker that waits forever. @default 10000
   */
  readonly timeoutMs?: number;
  /** SCRAM login; absent: an unauthenticated client (only a PLAINTEXT listener takes it). */
  readonly sasl?: KafkaSasl;
  /** TLS with this CA (PEM); absent: plaintext. */
  readonly tls?: { readonly ca: string };
}

export interface KafkaSasl {
  readonly mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512";
  readonly username: string;
  readonly password: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

type Msg = Message<Buffer, Buffer, Buffer, Buffer>;

/**
 * Kept for comparison runs only (COEXIST_IT_SOURCE=platformatic in test/client.test.ts,
 * test/source.test.ts and test/commits.test.ts, which it fails): the worker runs on
 * LibrdkafkaSource, and neither this file nor @platformatic/kafka (a devDependency) is in the
 * worker's build or image.
 *
 * RecordSource over @platformatic/kafka: a group consumer with autocommit
 * off. Messages are buffered from the library's stream and handed out in
 * batches; the stream is paused while the buffer is full so memory stays
 * bounded while a batch is being written.
 *
 * Rebalances: on a group join the library's stream re-fetches every assigned partition from
 * its committed offset, while records fetched before (in this buffer, in the stream's own
 * buffer, or in a fetch still in flight) keep arriving. So:
 * - records of partitions no longer assigned are dropped (from the buffer at the join, and on
 *   arrival): their new owner reads them from the committed offset;
 * - records of partitions still assigned are kept even when they arrive twice or out of order
 *   (dropping them could open a gap): the processor compacts by version, not by arrival, and
 *   the guard makes the second copy a no-op;
 * - a commit is the highest offset of the batch per partition, sent only for a partition still
 *   assigned and only when it is above the group's committed offset: it never moves backwards,
 *   even when another member committed further while the partition was away;
 * - nothing is committed from the moment the coordinator announces a rebalance until this member
 *   has joined the new generation, and nothing fetched in an earlier generation is committed
 *   after it: the library learns its new assignment only after the group is stable again, so a
 *   batch written meanwhile could otherwise commit a partition its new owner already reads from
 *   the older committed offset (and that owner's next commit would then move it backwards).
 *   Such records come again from the committed offset and are committed then.
 */
export class PlatformaticSource implements RecordSource {
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #messages = new WeakMap<RawRecord, Msg>();
  /** The group generation (joins seen) each record was fetched in. */
  readonly #fetchedIn = new WeakMap<RawRecord, number>();
  #rebalancing = false;
  readonly #buffer: RawRecord[] = [];
  readonly #highWater: number;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  readonly #wake = new Wake();
  #interrupted = false;
  #error: Error | undefined;

  constructor(options: KafkaClientOptions & { readonly groupId: string; readonly bufferRecords: number }) {
    this.#highWater = options.bufferRecords;
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#consumer = new Consumer({
      clientId: options.clientId,
      bootstrapBrokers: [...options.brokers],
      ...(options.sasl ? { sasl: { ...options.sasl } } : {}),
      ...(options.tls ? { tls: { ca: options.tls.ca } } : {}),
      groupId: options.groupId,
      timeout,
      connectTimeout: timeout,
      // A crashed worker's partitions move after 10 s instead of the library's 60 s.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 30_000,
      // Brokers hold an empty fetch this long: bounds idle latency, not throughput.
      maxWaitTime: 100,
      retries: 10,
    });
    this.#consumer.on("consumer:group:rebalance", () => {
      this.#rebalancing = true;
    });
    this.#consumer.on("consumer:group:join", () => {
      this.rebalances++;
      this.#rebalancing = false;
      this.#dropUnassigned();
    });
  }

  /** Group joins seen (the first one included); exposed for metrics and tests. */
  rebalances = 0;

  async start(topics: readonly string[]): Promise<void> {
    const stream = await this.#consumer.consume({
      topics: [...topics],
      autocommit: false,
      mode: MessagesStreamModes.COMMITTED,
      // A new group starts from the beginning so the initial snapshot is never skipped.
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      highWaterMark: this.#highWater,
    });
    this.#stream = stream;
    stream.on("data", (m: Msg) => {
      if (!this.#assigned(m.topic, m.partition)) return;
      const r: RawRecord = { topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null };
      this.#messages.set(r, m);
      this.#fetchedIn.set(r, this.rebalances);
      this.#buffer.push(r);
      if (this.#buffer.length >= this.#highWater) stream.pause();
      this.#wake.notify();
    });
    stream.on("error", (e: Error) => {
      this.#error = e;
      this.#wake.notify();
    });
  }

  async next(max: number, maxWaitMs: number): Promise<RawRecord[]> {
    while (this.#buffer.length === 0 && !this.#interrupted) {
      this.#throwIfFailed();
      await this.#wake.wait(1_000);
    }
    this.#throwIfFailed();
    if (this.#interrupted) return [];
    const deadline = Date.now() + maxWaitMs;
    while (this.#buffer.length < max && !this.#interrupted) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await this.#wake.wait(remaining);
    }
    this.#dropUnassigned();
    const out = this.#buffer.splice(0, max);
    if (this.#stream?.isPaused() && this.#buffer.length < this.#highWater) this.#stream.resume();
    return out;
  }

  async commit(records: readonly RawRecord[]): Promise<void> {
    if (this.#rebalancing) return;
    const highest = new Map<string, Msg>();
    for (const r of records) {
      if (this.#fetchedIn.get(r) !== this.rebalances) continue;
      const m = this.#messages.get(r);
      const k = `${r.topic}:${r.partition}`;
      const prev = highest.get(k);
      if (m && (!prev || m.offset > prev.offset)) highest.set(k, m);
    }
    const committed = this.#stream?.offsetsCommitted;
    const due = [...highest.entries()].filter(([k, m]) => {
      if (!this.#assigned(m.topic, m.partition)) return false;
      // Unknown right after a join (the stream is re-reading the committed offsets): skip;
      // the records come again and are committed then.
      const floor = committed?.get(k);
      return floor !== undefined && m.offset + 1n > floor;
    });
    await Promise.all(due.map(([, m]) => m.commit()));
  }

  async lag(topics: readonly string[]): Promise<Map<string, bigint>> {
    const byTopic = await this.#consumer.getLag({ topics: [...topics] });
    const out = new Map<string, bigint>();
    for (const [topic, partitions] of byTopic) {
      partitions.forEach((l, p) => {
        if (l >= 0n) out.set(`${topic}:${p}`, l);
      });
    }
    return out;
  }

  interrupt(): void {
    this.#interrupted = true;
    this.#wake.notify();
  }

  async close(): Promise<void> {
    this.interrupt();
    await this.#stream?.close();
    await this.#consumer.close(true);
  }

  #assigned(topic: string, partition: number): boolean {
    return this.#consumer.assignments?.some((a) => a.topic === topic && a.partitions.includes(partition)) ?? false;
  }

  #dropUnassigned(): void {
    const kept = this.#buffer.filter((r) => this.#assigned(r.topic, r.partition));
    if (kept.length === this.#buffer.length) return;
    this.#buffer.splice(0, this.#buffer.length, ...kept);
    if (this.#stream?.isPaused() && this.#buffer.length < this.#highWater) this.#stream.resume();
  }



  #throwIfFailed(): void {
    if (this.#error) throw new Error(`Kafka consumer stream failed: ${this.#error.message}`, { cause: this.#error });
  }
}

/** Dead letters keep the original key and value; the reason travels in headers. */
export class PlatformaticDeadLetterSink implements DeadLetterSink {
  readonly #producer: Producer<Buffer, Buffer, string, Buffer>;

  constructor(
    options: KafkaClientOptions,
    private readonly topic: string,
  ) {
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#producer = new Producer({
      clientId: `${options.clientId}-dlq`,
      bootstrapBrokers: [...options.brokers],
      ...(options.sasl ? { sasl: { ...options.sasl } } : {}),
      ...(options.tls ? { tls: { ca: options.tls.ca } } : {}),
      timeout,
      connectTimeout: timeout,
      acks: ProduceAcks.ALL,
      retries: 10,
      serializers: { headerKey: (k?: string) => (k === undefined ? undefined : Buffer.from(k)) },
    });
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.#producer.send({
      messages: letters.map((l) => ({
        topic: this.topic,
        key: l.record.key ?? undefined,
        value: l.record.value ?? undefined,
        headers: deadLetterHeaders(l),
      })),
    });
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
