/**
 * The parts of scripts/bench that run in their own process, so that their CPU time is theirs
 * alone: `node --import tsx test/support/bench-child.ts` with BENCH_CHILD (the mode) and
 * BENCH_CHILD_CONFIG (JSON). Prints one JSON line: the wall-clock window from the first event
 * applied to the last, and the process's CPU seconds over that window.
 *
 * Modes:
 *  - baseline: the source document's per-record design, one consumer, one upsert per message,
 *    offsets autocommitted;
 *  - memory: the sync worker's own code (source, processor, compaction, guard) with an in-memory
 *    store, to show the worker's ceiling without a store;
 *  - store-limit: the documents coexist writes for these records, read and built before the
 *    clock starts, written straight to the store with the driver as coexist's writer shapes
 *    them for a new row (insert commands of 100, 8 in flight): no Kafka, no decoding;
 *  - store-limit-upsert: the same documents as guarded replace-one upserts (8 per command,
 *    8 in flight), the shape of every write the per-record baseline and the sink connector send.
 */
import { LibrdkafkaSource } from "../../workers/src/kafka/librdkafka.js";
import { decodeOptionsFor } from "../../workers/src/mongo/compat.js";
import { buildWriteOps, sourceOf } from "../../workers/src/mongo/writer.js";
import type { Capture } from "../../workers/src/runtime/config.js";
import type { Logger } from "../../workers/src/runtime/log.js";
import { SyncMetrics } from "../../workers/src/runtime/metrics.js";
import { parseRecord, type Change, type RawRecord } from "../../workers/src/sync/change.js";
import { compactByKey } from "../../workers/src/sync/compact.js";
import { BatchProcessor, type ChangeStore } from "../../workers/src/sync/processor.js";
import { SyncWorker } from "../../workers/src/sync/worker.js";
import { Consumer, MessagesStreamModes, MongoClient, type Document } from "../../workers/src/testing/deps.js";
import { MemoryDeadLetters, VersionedMemoryStore } from "../../workers/src/testing/fakes.js";

export interface ChildConfig {
  readonly brokers: string[];
  /** The data plane's worker login (its broker refuses anonymous clients). */
  readonly sasl: { readonly mechanism: "SCRAM-SHA-512"; readonly username: string; readonly password: string };
  readonly topic: string;
  readonly groupId: string;
  readonly captures: readonly Capture[];
  readonly rows: number;
  readonly mongoUrl?: string;
  readonly database?: string;
  /** store-limit-upsert: stop after this many seconds (a limit, not a same-rows comparison). */
  readonly seconds?: number;
}

export interface ChildResult {
  readonly events: number;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly cpuSeconds: number;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const FLAVOR = "ferretdb-v1" as const;

class Window {
  firstMs = 0;
  lastMs = 0;
  #cpuAtFirst = 0;
  #cpuAtLast = 0;
  events = 0;
  /** Call after each applied unit of work. */
  applied(n: number): void {
    if (this.events === 0) {
      // The window opens with the first event: joining the group and starting up are not apply throughput.
      this.firstMs = Date.now();
      this.#cpuAtFirst = cpu();
    }
    this.events += n;
    this.lastMs = Date.now();
    this.#cpuAtLast = cpu();
  }
  result(): ChildResult {
    return { events: this.events, firstMs: this.firstMs, lastMs: this.lastMs, cpuSeconds: this.#cpuAtLast - this.#cpuAtFirst };
  }
}

async function baseline(c: ChildConfig): Promise<ChildResult> {
  const consumer = new Consumer({ clientId: "coexist-bench-baseline", groupId: c.groupId, bootstrapBrokers: c.brokers, sasl: { ...c.sasl }, maxWaitTime: 100 });
  const mongo = new MongoClient(c.mongoUrl as string);
  await mongo.connect();
  const collection = mongo.db(c.database as string).collection((c.captures[0] as Capture).collection);
  const byTopic = new Map(c.captures.map((x) => [x.topic, x]));
  const decode = decodeOptionsFor(FLAVOR);
  const w = new Window();
  const stream = await consumer.consume({ topics: [c.topic], mode: MessagesStreamModes.EARLIEST, autocommit: 1000 });
  let seen = 0;
  try {
    for await (const m of stream) {
      const parsed = parseRecord({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null }, byTopic, decode);
      if (parsed.kind === "change" && parsed.change.doc) {
        await collection.replaceOne({ _id: parsed.change.id as never }, { ...parsed.change.doc, _synced_at: new Date(), _source: "postgresql" }, { upsert: true });
        w.applied(1);
      }
      if (++seen >= c.rows) break;
    }
  } finally {
    await stream.close();
    await consumer.close(true);
    await mongo.close();
  }
  return w.result();
}

async function memory(c: ChildConfig): Promise<ChildResult> {
  const metrics = new SyncMetrics();
  const memoryStore = new VersionedMemoryStore();
  const w = new Window();
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const store: ChangeStore = {
    write: async (collection, changes) => {
      const out = await memoryStore.write(collection, changes);
      w.applied(changes.length);
      if (memoryStore.docs.size >= c.rows) done();
      return out;
    },
    truncate: async () => memoryStore.truncate(),
  };
  const source = new LibrdkafkaSource({ brokers: c.brokers, sasl: c.sasl, clientId: "coexist-bench-memory", groupId: c.groupId, bufferRecords: 2000 });
  const processor = new BatchProcessor({ captures: c.captures, store, dlq: new MemoryDeadLetters(), metrics, decode: decodeOptionsFor("mongodb") });
  const worker = new SyncWorker({ source, processor, topics: [c.topic], batch: { maxRecords: 1000, maxWaitMs: 50 }, metrics, log: quiet });
  const running = worker.run();
  await finished;
  worker.stop();
  await running;
  await source.close();
  return w.result();
}

/** Reads the topic and builds the changes coexist would write, per partition, compacted as the worker does. */
async function changesOf(c: ChildConfig): Promise<Change[]> {
  const source = new LibrdkafkaSource({ brokers: c.brokers, sasl: c.sasl, clientId: "coexist-bench-limit", groupId: c.groupId, bufferRecords: 5000 });
  await source.start([c.topic]);
  const records: RawRecord[] = [];
  while (records.length < c.rows) records.push(...(await source.next(5000, 200)));
  await source.close();
  const byTopic = new Map(c.captures.map((x) => [x.topic, x]));
  const byPartition = new Map<number, Change[]>();
  for (const r of records) {
    const p = parseRecord(r, byTopic, decodeOptionsFor(FLAVOR));
    if (p.kind !== "change") continue;
    const list = byPartition.get(r.partition) ?? [];
    list.push(p.change);
    byPartition.set(r.partition, list);
  }
  return [...byPartition.values()].flatMap((list) => compactByKey(list));
}

/** Runs `commands` with `inFlight` at once, stopping early after `seconds` if given. */
async function drive(w: Window, commands: Array<{ n: number; run: () => Promise<unknown> }>, inFlight: number, seconds?: number): Promise<void> {
  let next = 0;
  const deadline = seconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < commands.length && Date.now() < deadline) {
        const cmd = commands[next++] as { n: number; run: () => Promise<unknown> };
        await cmd.run();
        w.applied(cmd.n);
      }
    }),
  );
}

async function storeLimit(c: ChildConfig, shape: "insert" | "upsert"): Promise<ChildResult> {
  const changes = await changesOf(c);
  const mongo = new MongoClient(c.mongoUrl as string, { maxPoolSize: 20 });
  await mongo.connect();
  const collection = mongo.db(c.database as string).collection((c.captures[0] as Capture).collection);
  const now = new Date();
  const size = shape === "insert" ? 100 : 8;
  const commands: Array<{ n: number; run: () => Promise<unknown> }> = [];
  for (let i = 0; i < changes.length; i += size) {
    const chunk = changes.slice(i, i + size);
    commands.push(
      shape === "insert"
        ? { n: chunk.length, run: () => collection.insertMany(chunk.map((x) => ({ _id: x.id, ...x.doc, _v: x.v, _lsn: x.lsn, _source: sourceOf(x.capture.table), _synced_at: now }) as Document), { ordered: false }) }
        : { n: chunk.length, run: () => collection.bulkWrite(buildWriteOps(chunk, now), { ordered: false }) },
    );
  }
  const w = new Window();
  try {
    await drive(w, commands, 8, shape === "upsert" ? c.seconds : undefined);
  } finally {
    await mongo.close();
  }
  return w.result();
}

async function main(): Promise<void> {
  const mode = process.env.BENCH_CHILD;
  const config = JSON.parse(process.env.BENCH_CHILD_CONFIG ?? "null") as ChildConfig | null;
  if (!config) throw new Error("BENCH_CHILD_CONFIG is not set; this file is run by test/support/bench.ts");
  let r: ChildResult;
  if (mode === "baseline") r = await baseline(config);
  else if (mode === "memory") r = await memory(config);
  else if (mode === "store-limit") r = await storeLimit(config, "insert");
  else if (mode === "store-limit-upsert") r = await storeLimit(config, "upsert");
  else throw new Error(`BENCH_CHILD is ${JSON.stringify(mode)}; expected baseline, memory, store-limit or store-limit-upsert`);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench child ${process.env.BENCH_CHILD} failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
