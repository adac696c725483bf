import type * as Rd from "@confluentinc/kafka-javascript";
import type { RawRecord } from "../sync/change.js";
import { newRecord, Ownership, tpKey, type TopicPartition } from "./ownership.js";
import { deadLetterHeaders, type DeadLetter, type DeadLetterSink, type RecordSource } from "./types.js";
import { Wake } from "./wake.js";

/** SASL/SCRAM on the broker listener (off unless set). */
export interface KafkaSasl {
  readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256" | "PLAIN";
  readonly username: string;
  readonly password: string;
}

/** TLS to the brokers (off unless set). */
export interface KafkaSsl {
  /** PEM of the CA that signed the brokers' certificates. @default the system's CAs */
  readonly ca?: string;
  /** Verify the brokers' certificates and host names. @default true */
  readonly verify?: boolean;
}

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Bound on every request and on connecting. @default 10000 */
  readonly timeoutMs?: number;
  readonly sasl?: KafkaSasl;
  readonly ssl?: KafkaSsl;
}

export interface SourceOptions extends KafkaClientOptions {
  readonly groupId: string;
  /** Records buffered ahead of the worker; fetching pauses above it. */
  readonly bufferRecords: number;
  /** A member that stops heartbeating loses its partitions after this. @default 10000 */
  readonly sessionTimeoutMs?: number;
  /**
   * A member whose JavaScript thread stops calling `consume` (an event loop stalled in a long
   * write, a GC pause) for this long leaves the group; its partitions move on, and whatever it
   * commits on waking is refused. Also the group's rebalance timeout. At least sessionTimeoutMs.
   * @default 300000 (librdkafka's)
   */
  readonly maxPollIntervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// librdkafka's codes (rdkafka.h): rebalance events and the commit errors that mean "the group moved on".
const ERR_ASSIGN_PARTITIONS = -175;
const ERR_REVOKE_PARTITIONS = -174;
const ERR_NO_OFFSET = -168;
const ERR_TIMED_OUT = -185;
const ERR_MAX_POLL_EXCEEDED = -147;
const GROUP_MOVED_ON = new Set([22 /* ILLEGAL_GENERATION */, 25 /* UNKNOWN_MEMBER_ID */, 27 /* REBALANCE_IN_PROGRESS */]);

/** Methods the binding has (lib/kafka-consumer.js) but its index.d.ts does not declare. */
type Consumer = Rd.KafkaConsumer & {
  rebalanceProtocol(): "NONE" | "COOPERATIVE" | "EAGER";
  incrementalAssign(tps: Rd.TopicPartition[]): void;
  incrementalUnassign(tps: Rd.TopicPartition[]): void;
  commitCb(tps: Rd.TopicPartitionOffset[], cb: (err: Rd.LibrdKafkaError | null) => void): void;
};

// Loaded on first use so that importing this module (types, pure helpers) never needs the native binding.
async function rdkafka(): Promise<typeof Rd> {
  const m = (await import("@confluentinc/kafka-javascript")) as unknown as { default?: typeof Rd } & typeof Rd;
  return m.default ?? m;
}

/** librdkafka's security properties for the options (plaintext when neither is set). */
export function securityConfig(o: Pick<KafkaClientOptions, "sasl" | "ssl">): Record<string, string | boolean> {
  const protocol = o.sasl ? (o.ssl ? "sasl_ssl" : "sasl_plaintext") : o.ssl ? "ssl" : "plaintext";
  const out: Record<string, string | boolean> = { "security.protocol": protocol };
  if (o.sasl) {
    out["sasl.mechanisms"] = o.sasl.mechanism;
    out["sasl.username"] = o.sasl.username;
    out["sasl.password"] = o.sasl.password;
  }
  if (o.ssl) {
    if (o.ssl.ca !== undefined) out["ssl.ca.pem"] = o.ssl.ca;
    out["enable.ssl.certificate.verification"] = o.ssl.verify ?? true;
    out["ssl.endpoint.identification.algorithm"] = (o.ssl.verify ?? true) ? "https" : "none";
  }
  return out;
}

/** The consumer's configuration: everything the source's guarantees rest on is explicit here. */
export function consumerConfig(o: SourceOptions): Record<string, unknown> {
  const timeout = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    "bootstrap.servers": o.brokers.join(","),
    "client.id": o.clientId,
    "group.id": o.groupId,
    // Offsets are committed by the source, explicitly, for records written; never by librdkafka.
    "enable.auto.commit": false,
    // No local offset store: a partition (re)assigned starts at the group's committed offset, or
    // auto.offset.reset when there is none, never at a position this member had before.
    "enable.auto.offset.store": false,
    "partition.assignment.strategy": "cooperative-sticky",
    "session.timeout.ms": o.sessionTimeoutMs ?? 10_000,
    "heartbeat.interval.ms": Math.min(1_000, Math.floor((o.sessionTimeoutMs ?? 10_000) / 3)),
    "max.poll.interval.ms": o.maxPollIntervalMs ?? 300_000,
    "socket.timeout.ms": timeout,
    "socket.connection.setup.timeout.ms": timeout,
    // Brokers hold an empty fetch this long: bounds idle latency, not throughput.
    "fetch.wait.max.ms": 100,
    // librdkafka's default (64 MB of prefetched records). 16 MB capped the source at ~6,000
    // records/s on the bench's topic (32 MB ~10,000, 64 MB ~19,000, same CPU per record):
    // test/support/bench-results/issue-14/source-prefetch.json.
    "queued.max.messages.kbytes": 65_536,
    ...securityConfig(o),
  };
}

/**
 * RecordSource over librdkafka's KafkaConsumer (non-flowing `consume(n)`), with partition
 * ownership decided by {@link Ownership} (pure, unit-tested): the rebalance callback assigns and
 * unassigns itself (cooperative-sticky: incremental), records are admitted only for partitions
 * owned when they arrive and handed out only if still owned in the same epoch, and a commit
 * covers only the contiguous written prefix of the current epoch, computed and sent in one
 * generation. A commit the broker refuses because the group moved on is not retried: the
 * partition's new owner (maybe this member again) re-reads from the committed offset.
 */
export class LibrdkafkaSource implements RecordSource {
  #consumer!: Consumer;
  readonly #options: SourceOptions;
  readonly #ownership = new Ownership();
  readonly #buffer: RawRecord[] = [];
  readonly #highWater: number;
  readonly #timeout: number;
  #generation = 0;
  readonly #wake = new Wake();
  #interrupted = false;
  #closed = false;
  #error: Error | undefined;
  #fetching = false;
  #paused = false;
  #revocationsSeen = 0;
  /** Assignments that arrived while a consume call was in flight, applied when it returns. */
  #pendingAssign: TopicPartition[][] = [];

  /** Rebalance callbacks seen; exposed for metrics and tests. */
  rebalances = 0;
  /** Commits refused because the group moved on (not retried); exposed for tests. */
  commitsRefused = 0;
  /** Times this member left the group because its thread stalled past max.poll.interval.ms; exposed for tests. */
  maxPollExceeded = 0;
  /** Commits the broker acknowledged; exposed for tests. */
  commitsAccepted = 0;
  /** One at a time: each offset-commit answer belongs to the oldest waiting commit. */
  #commitChain: Promise<void> = Promise.resolve();
  readonly #commitAnswers: ((code: number | null) => void)[] = [];

  constructor(options: SourceOptions) {
    this.#options = options;
    this.#highWater = options.bufferRecords;
    this.#timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The pure ownership state (read-only use: tests and metrics). */
  get ownership(): Ownership {
    return this.#ownership;
  }

  async start(topics: readonly string[]): Promise<void> {
    const Kafka = await rdkafka();
    this.#consumer = new Kafka.KafkaConsumer(
      {
        ...consumerConfig(this.#options),
        rebalance_cb: (err: Rd.LibrdKafkaError, tps: Rd.TopicPartition[]) => this.#rebalance(err, tps),
        // The broker's answer to each commit (see commit()).
        offset_commit_cb: (err: Rd.LibrdKafkaError | number | undefined) => this.#commitAnswers.shift()?.(err === undefined || err === null ? null : typeof err === "number" ? err : err.code),
      },
      // A new group starts from the beginning so the initial snapshot is never skipped.
      { "auto.offset.reset": "earliest" },
    ) as Consumer;
    this.#consumer.on("event.error", (e: Rd.LibrdKafkaError) => {
      // Transport errors are retried by librdkafka; only fatal ones stop the worker.
      if (e.isFatal) this.#fail(new Error(e.message));
    });
    await new Promise<void>((resolve, reject) =>
      this.#consumer.connect({ timeout: this.#timeout }, (err) => (err ? reject(new Error(`Kafka connect failed: ${err.message}`)) : resolve())),
    );
    this.#consumer.setDefaultConsumeTimeout(100);
    this.#consumer.subscribe([...topics]);
    this.#fetch();
  }

  #rebalance(err: Rd.LibrdKafkaError, tps: Rd.TopicPartition[]): void {
    this.rebalances++;
    this.#generation++;
    const parts: TopicPartition[] = tps.map((t) => ({ topic: t.topic, partition: t.partition }));
    const cooperative = this.#consumer.rebalanceProtocol() === "COOPERATIVE";
    try {
      if (err.code === ERR_ASSIGN_PARTITIONS) {
        // The binding hands rebalance events to JavaScript asynchronously while a consume call
        // keeps popping messages on its own thread: a call in flight across a revoke *and* this
        // re-assignment of the same partition could return records of the older ownership, which
        // would then be admitted as the new one's. So a partition becomes ours only between two
        // consume calls (librdkafka waits for the assign; the group's timeouts are far longer).
        if (this.#fetching) this.#pendingAssign.push(parts);
        else this.#assign(parts, cooperative);
      } else if (err.code === ERR_REVOKE_PARTITIONS) {
        // Ownership first: from here nothing of these partitions is emitted or committed.
        this.#ownership.revoked(parts);
        this.#ownership.assigned([], this.#generation);
        this.#dropNotCurrent();
        if (cooperative) this.#consumer.incrementalUnassign(parts);
        else this.#consumer.unassign();
      } else {
        this.#fail(new Error(`Kafka rebalance failed: ${err.message}`));
      }
    } catch (e) {
      if (this.#consumer.isConnected()) this.#fail(e as Error);
    }
    this.#wake.notify();
  }

  #assign(parts: TopicPartition[], cooperative: boolean): void {
    this.#ownership.assigned(parts, this.#generation);
    // No offsets given: librdkafka starts each at the committed offset, else auto.offset.reset.
    // Called even with no partition: librdkafka waits for it to finish the rebalance.
    if (cooperative) this.#consumer.incrementalAssign(parts);
    else this.#consumer.assign(parts);
    if (this.#paused && parts.length > 0) this.#consumer.pause(parts);
  }

  #fetch(): void {
    if (this.#fetching || this.#closed || this.#error) return;
    // A full buffer pauses fetching, not polling: librdkafka serves rebalance callbacks from the
    // consume call, and a member that stops calling it holds up the group's rebalance.
    if (this.#buffer.length >= this.#highWater && !this.#paused) this.#pause(true);
    this.#fetching = true;
    this.#consumer.consume(Math.min(1_000, this.#highWater), (err, messages) => {
      this.#fetching = false;
      if (this.#closed) return;
      if (err && err.code === ERR_MAX_POLL_EXCEEDED) {
        // This thread stalled past max.poll.interval.ms: librdkafka left the group, and this call
        // rejoins it. Not fatal: the partitions come back (or not) through the rebalance callback,
        // and what was fetched before is no longer current (its commits are refused).
        this.maxPollExceeded++;
      } else if (err && err.code !== ERR_TIMED_OUT) {
        this.#fail(new Error(`Kafka fetch failed: ${err.message}`));
        return;
      }
      for (const m of messages ?? []) {
        const key = m.key === undefined || m.key === null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key);
        const r = newRecord(m.topic, m.partition, BigInt(m.offset), key, m.value ?? null);
        if (this.#ownership.admit(r)) this.#buffer.push(r);
      }
      // Only now: no record of this call can be taken for one of the new ownership.
      if (this.#pendingAssign.length > 0) {
        const cooperative = this.#consumer.rebalanceProtocol() === "COOPERATIVE";
        try {
          for (const parts of this.#pendingAssign.splice(0)) this.#assign(parts, cooperative);
        } catch (e) {
          if (this.#consumer.isConnected()) this.#fail(e as Error);
        }
      }
      if (messages && messages.length > 0) this.#wake.notify();
      setImmediate(() => this.#fetch());
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
    this.#dropNotCurrent();
    const out = this.#buffer.splice(0, max);
    if (this.#paused && this.#buffer.length < this.#highWater) this.#pause(false);
    this.#fetch();
    return out;
  }

  /**
   * Resolves once the broker answered the commit. The binding's `commitCb` calls back when
   * librdkafka has *queued* the commit (rd_kafka_commit async), not when the broker took it: the
   * answer comes through librdkafka's offset commit callback, served by the consume calls. Commits
   * are sent one at a time, so each answer belongs to the oldest commit still waiting for one.
   */
  commit(records: readonly RawRecord[]): Promise<void> {
    const run = this.#commitChain.then(() => this.#commitOnce(records));
    this.#commitChain = run.catch(() => undefined);
    return run;
  }

  async #commitOnce(records: readonly RawRecord[]): Promise<void> {
    const generation = this.#generation;
    const offsets = this.#ownership.commitFor(records);
    if (offsets.size === 0 || !this.#ownership.mayCommit(generation)) return;
    const tps = [...offsets].map(([k, offset]) => {
      const i = k.lastIndexOf(":");
      return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), offset: Number(offset) };
    });
    let answer!: (code: number | null) => void;
    const answered = new Promise<number | null>((resolve) => (answer = resolve));
    this.#commitAnswers.push(answer);
    const queued = await new Promise<Rd.LibrdKafkaError | null>((resolve) => this.#consumer.commitCb(tps, (e) => resolve(e ?? null)));
    if (queued !== null) {
      // Never queued: no answer will come for it.
      this.#commitAnswers.splice(this.#commitAnswers.indexOf(answer), 1);
      this.#ownership.commitResult(offsets, generation, false);
      throw new Error(`Kafka commit failed: ${queued.message} (code ${queued.code})`);
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([answered, new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), this.#timeout * 3)))]);
    clearTimeout(timer);
    if (code === "timeout") {
      // Its answer, when it comes, is still this commit's: keep the slot so the next commit's answer is not taken for it.
      const i = this.#commitAnswers.indexOf(answer);
      if (i >= 0) this.#commitAnswers[i] = () => undefined;
      this.#ownership.commitResult(offsets, generation, false);
      throw new Error(`Kafka commit not answered within ${this.#timeout * 3} ms`);
    }
    this.#ownership.commitResult(offsets, generation, code === null);
    if (code === null) {
      this.commitsAccepted++;
      return;
    }
    if (GROUP_MOVED_ON.has(code)) {
      // librdkafka does not retry these (rd_kafka_handle_OffsetCommit_error: permanent), and
      // neither do we: under the next generation these offsets could move a partition's commit
      // backwards past its new owner's; the records come again from the committed offset.
      this.commitsRefused++;
      return;
    }
    throw new Error(`Kafka commit failed: broker error code ${code}`);
  }

  async lag(topics: readonly string[]): Promise<Map<string, bigint>> {
    const wanted = new Set(topics);
    const owned = this.#ownership.ownedKeys().filter((k) => wanted.has(k.slice(0, k.lastIndexOf(":"))));
    const tps = owned.map((k) => ({ topic: k.slice(0, k.lastIndexOf(":")), partition: Number(k.slice(k.lastIndexOf(":") + 1)) }));
    if (tps.length === 0) return new Map();
    const committed = await new Promise<Rd.TopicPartitionOffset[]>((resolve, reject) =>
      this.#consumer.committed(tps, this.#timeout, (e, r) => (e ? reject(e) : resolve(r))),
    );
    const out = new Map<string, bigint>();
    for (const c of committed) {
      const w = await new Promise<Rd.WatermarkOffsets>((resolve, reject) =>
        this.#consumer.queryWatermarkOffsets(c.topic, c.partition, this.#timeout, (e, o) => (e ? reject(e) : resolve(o))),
      );
      const from = c.offset >= 0 ? c.offset : w.lowOffset;
      out.set(tpKey(c), BigInt(Math.max(0, w.highOffset - from)));
    }
    return out;
  }

  interrupt(): void {
    this.#interrupted = true;
    this.#wake.notify();
  }

  async close(): Promise<void> {
    this.interrupt();
    this.#closed = true;
    if (!this.#consumer?.isConnected()) return;
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
  }

  #pause(on: boolean): void {
    const assigned = this.#consumer.assignments();
    if (on) this.#consumer.pause(assigned);
    else this.#consumer.resume(assigned);
    this.#paused = on;
  }

  #dropNotCurrent(): void {
    // Only a revocation makes a buffered record stale: nothing to look at otherwise.
    if (this.#revocationsSeen === this.#ownership.revocations) return;
    this.#revocationsSeen = this.#ownership.revocations;
    const kept = this.#buffer.filter((r) => this.#ownership.current(r));
    if (kept.length !== this.#buffer.length) this.#buffer.splice(0, this.#buffer.length, ...kept);
  }

  #fail(e: Error): void {
    this.#error ??= e;
    this.#wake.notify();
  }



  #throwIfFailed(): void {
    if (this.#error) throw new Error(`Kafka consumer failed: ${this.#error.message}`, { cause: this.#error });
  }
}

/** Dead letters keep the original key and value; the reason travels in headers. Acks from all in-sync replicas, idempotent. */
export class LibrdkafkaDeadLetterSink implements DeadLetterSink {
  #producer!: Rd.HighLevelProducer;
  readonly #timeout: number;
  readonly #options: KafkaClientOptions;
  #connected: Promise<void> | undefined;

  constructor(
    options: KafkaClientOptions,
    private readonly topic: string,
  ) {
    this.#timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#options = options;
  }

  #connect(): Promise<void> {
    this.#connected ??= (async () => {
      const Kafka = await rdkafka();
      this.#producer = new Kafka.HighLevelProducer({
        "bootstrap.servers": this.#options.brokers.join(","),
        "client.id": `${this.#options.clientId}-dlq`,
        "enable.idempotence": true,
        acks: -1,
        "message.timeout.ms": Math.max(this.#timeout * 3, 30_000),
        "socket.timeout.ms": this.#timeout,
        ...securityConfig(this.#options),
      });
      await new Promise<void>((resolve, reject) =>
        this.#producer.connect({ timeout: this.#timeout }, (err) => (err ? reject(new Error(`Kafka producer connect failed: ${err.message}`)) : resolve())),
      );
    })();
    return this.#connected;
  }

  async send(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.#connect();
    this.#producer.setPollInterval(50);
    await Promise.all(
      letters.map(
        (l) =>
          new Promise<void>((resolve, reject) => {
            const headers = Object.entries(deadLetterHeaders(l)).map(([k, v]) => ({ [k]: v }));
            this.#producer.produce(this.topic, null, l.record.value, l.record.key, null, headers, (err: Error | null) =>
              err ? reject(new Error(`dead letter not acknowledged: ${err.message}`)) : resolve(),
            );
          }),
      ),
    );
  }

  async close(): Promise<void> {
    if (!this.#connected) return;
    await this.#connected.catch(() => undefined);
    await new Promise<void>((resolve) => this.#producer.flush(this.#timeout, () => this.#producer.disconnect(() => resolve())));
  }
}

export { ERR_NO_OFFSET };
