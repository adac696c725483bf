/**
 * scripts/bench: a benchmark, not a test. On the local data plane it measures
 *  1. rows/s applied from a backlog of N Debezium records by the sync worker (batched,
 *     per-partition guarded bulk writes) and by the source document's per-record design
 *     (one upsert per message, autocommit; written here only, as the baseline);
 *  2. end-to-end lag (PostgreSQL commit ts → MongoDB write acknowledged, the worker's
 *     coexist_sync_end_to_end_lag_seconds histogram) while PostgreSQL inserts 1,000 rows/s.
 * Both run against FerretDB v1 (the local store) and, to separate the worker from the
 * store, the same worker code with an in-memory store behind the same ChangeStore interface.
 * Prints one JSON document on stdout. Knobs: BENCH_ROWS (2000), BENCH_LAG_SECONDS (10),
 * BENCH_FERRETDB_LAG_SECONDS (3), BENCH_CONNECTOR_OVERRIDES (JSON of connector settings layered
 * over renderConnectorConfig, for what-if runs; reported in the output).
 */
import { cpus } from "node:os";
import { decodeOptionsFor } from "../../workers/src/mongo/compat.js";
import { PlatformaticSource } from "../../workers/src/kafka/platformatic.js";
import type { Logger } from "../../workers/src/runtime/log.js";
import { SyncMetrics } from "../../workers/src/runtime/metrics.js";
import { parseRecord } from "../../workers/src/sync/change.js";
import { BatchProcessor } from "../../workers/src/sync/processor.js";
import { SyncWorker } from "../../workers/src/sync/worker.js";
import { Consumer, MessagesStreamModes } from "../../workers/src/testing/deps.js";
import { VersionedMemoryStore, MemoryDeadLetters } from "../../workers/src/testing/fakes.js";
import { topicFor } from "../../components/connect/connector-config";
import { eventually, newAdmin } from "./dataplane";
import { DEMO_CAPTURES, Pipeline, STORE_ENV } from "./pipeline";

const ROWS = Number(process.env.BENCH_ROWS ?? 2000);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 10);
const FERRET_LAG_SECONDS = Number(process.env.BENCH_FERRETDB_LAG_SECONDS ?? 3);
const RATE = 1000;
const HISTOGRAM = "coexist_sync_end_to_end_lag_seconds";
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const orders = DEMO_CAPTURES.filter((c) => c.table === "public.orders");
const CONNECTOR_OVERRIDES = JSON.parse(process.env.BENCH_CONNECTOR_OVERRIDES ?? "{}") as Record<string, string>;
const p = new Pipeline(orders, { maxRecords: 1000, maxWaitMs: 20 }, CONNECTOR_OVERRIDES);
const topic = topicFor(p.topicPrefix, "public.orders");
let nextId = 1;

async function insertRows(n: number): Promise<void> {
  const from = nextId;
  nextId += n;
  await p.pool.query(
    `INSERT INTO public.orders (order_id, customer_id, status, total, items, created_at)
     SELECT g, g % 1000, 'new', g / 100.0, jsonb_build_array(jsonb_build_object('sku', 'S' || g, 'qty', 1)), now() FROM generate_series($1::bigint, $2::bigint) g`,
    [from, from + n - 1],
  );
}

/** Inserts at RATE rows/s in 20 ms ticks, on an absolute schedule so slow ticks are caught up. */
async function drive(seconds: number): Promise<number> {
  const total = RATE * seconds;
  const t0 = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * RATE));
    if (due > sent) {
      await insertRows(due - sent);
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return total;
}

async function topicRecords(): Promise<bigint> {
  const admin = newAdmin(p.env);
  try {
    const [t] = await admin.listOffsets({ topics: [{ name: topic, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] });
    return (t?.partitions ?? []).reduce((s, x) => s + x.offset, 0n);
  } finally {
    await admin.close();
  }
}

/** Seconds until `until` holds, polled every `everyMs` (so never less than one period). */
async function timed(what: string, until: () => Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<number> {
  const t0 = Date.now();
  await eventually(what, async () => ((await until()) ? true : undefined), timeoutMs, everyMs);
  return Math.max(everyMs, Date.now() - t0) / 1000;
}

/** Cumulative bucket counts by upper bound, from Prometheus exposition text. */
function buckets(text: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${HISTOGRAM}_bucket\\{le="([^"]+)"\\} (\\d+)$`, "gm"))) {
    out.set(m[1] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2]));
  }
  return out;
}

/** histogram_quantile over the difference of two snapshots, in ms (linear within a bucket). */
function percentiles(before: Map<number, number>, after: Map<number, number>): Record<string, number | string> {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  const q = (quantile: number): number | string => {
    const rank = quantile * total;
    for (let i = 0; i < bounds.length; i++) {
      if ((counts[i] ?? 0) >= rank) {
        const hi = bounds[i] as number;
        const lo = i === 0 ? 0 : (bounds[i - 1] as number);
        if (!Number.isFinite(hi)) return `>${lo * 1000}`;
        const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
        const inBucket = (counts[i] ?? 0) - below;
        return Math.round((lo + (inBucket === 0 ? 0 : (rank - below) / inBucket) * (hi - lo)) * 1000);
      }
    }
    return "n/a";
  };
  return { events: total, p50Ms: q(0.5), p95Ms: q(0.95), p99Ms: q(0.99) };
}

function inMemoryWorker(groupSuffix: string) {
  const metrics = new SyncMetrics();
  const store = new VersionedMemoryStore();
  const source = new PlatformaticSource({ brokers: p.env.KAFKA_BROKERS.split(","), clientId: "coexist-bench", groupId: `${p.groupId}-${groupSuffix}`, bufferRecords: 2000 });
  const processor = new BatchProcessor({ captures: p.workerConfig.captures, store, dlq: new MemoryDeadLetters(), metrics, decode: decodeOptionsFor("mongodb") });
  const worker = new SyncWorker({ source, processor, topics: [topic], batch: p.workerConfig.batch, metrics, log: quiet });
  const running = worker.run();
  return { metrics, store, stop: async () => (worker.stop(), await running, await source.close()) };
}

/** The source document's design: one consumer, one upsert per message, offsets autocommitted. */
async function perRecordBaseline(database: string, count: number): Promise<number> {
  const consumer = new Consumer({ clientId: "coexist-bench-baseline", groupId: `${p.groupId}-baseline`, bootstrapBrokers: p.env.KAFKA_BROKERS.split(","), maxWaitTime: 100 });
  const collection = p.mongo.db(database).collection("orders");
  const byTopic = new Map(p.workerConfig.captures.map((c) => [c.topic, c]));
  const decode = decodeOptionsFor(STORE_ENV.COEXIST_MONGODB_COMPAT);
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: 1000 });
  let applied = 0;
  let t0 = 0;
  try {
    for await (const m of stream) {
      if (t0 === 0) t0 = Date.now();
      const parsed = parseRecord({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key ?? null, value: m.value ?? null }, byTopic, decode);
      if (parsed.kind === "change" && parsed.change.doc) {
        await collection.replaceOne({ _id: parsed.change.id as never }, { ...parsed.change.doc, _synced_at: new Date(), _source: "postgresql" }, { upsert: true });
      }
      if (++applied >= count) break;
    }
  } finally {
    await stream.close();
    await consumer.close(true);
  }
  return (Date.now() - t0) / 1000;
}

async function main(): Promise<void> {
  await p.start();
  const result: Record<string, unknown> = { rows: ROWS, host: { cores: cpus().length }, store: "FerretDB v1.24 (SQLite backend), COEXIST_MONGODB_COMPAT=ferretdb-v1", connectorOverrides: CONNECTOR_OVERRIDES };
  try {
    await insertRows(ROWS);
    await timed("backlog in Kafka", async () => (await topicRecords()) >= BigInt(ROWS), 120_000);

    // 1. FerretDB, batched worker (the real entrypoint): throughput from the backlog, then lag at 1,000 rows/s.
    // FerretDB runs first: its cost per write grows with the collection, so it must not inherit a backlog.
    const worker = await p.startWorker();
    await timed("batched worker joined", async () => (await p.db.collection("orders").estimatedDocumentCount()) > 0, 120_000);
    const batchedSeconds = await timed("batched worker applied the backlog", async () => (await p.db.collection("orders").countDocuments()) >= ROWS, 900_000);
    let before = buckets(await worker.metrics());
    const ferretRows = await drive(FERRET_LAG_SECONDS);
    const caughtUp = await timed("FerretDB worker caught up", async () => (await p.db.collection("orders").countDocuments()) >= nextId - 1, 120_000).then(
      () => true,
      () => false,
    );
    const ferretLag = percentiles(before, buckets(await worker.metrics()));
    await worker.stop(caughtUp ? "SIGTERM" : "SIGKILL");

    // 2. FerretDB, the source document's per-record design on the same first ROWS records.
    const baselineSeconds = await perRecordBaseline(`${p.database}_baseline`, ROWS);
    await p.mongo.db(`${p.database}_baseline`).dropDatabase();

    // 3. The same worker code with an in-memory store: the worker's own throughput and latency.
    const memory = inMemoryWorker("memory");
    // Timed from the first applied record: group join time is not apply throughput.
    await timed("in-memory worker joined", async () => memory.store.docs.size > 0, 120_000, 2);
    const memorySeconds = await timed("in-memory worker applied the backlog", async () => memory.store.docs.size >= ROWS, 120_000, 2);
    await timed("in-memory worker caught up", async () => memory.store.docs.size >= nextId - 1, 120_000);
    before = buckets(await memory.metrics.registry.metrics());
    const memoryRows = await drive(LAG_SECONDS);
    await timed("in-memory worker caught up after the lag run", async () => memory.store.docs.size >= nextId - 1, 120_000);
    const memoryLag = percentiles(before, buckets(await memory.metrics.registry.metrics()));
    await memory.stop();

    result.throughputRowsPerSecond = {
      ferretdb: { batched: Math.round(ROWS / batchedSeconds), perRecordBaseline: Math.round(ROWS / baselineSeconds), ratio: Number((baselineSeconds / batchedSeconds).toFixed(2)) },
      inMemoryStore: { batched: Math.round(ROWS / memorySeconds) },
    };
    result.endToEndLagAt1000RowsPerSecond = {
      inMemoryStore: { seconds: LAG_SECONDS, rows: memoryRows, ...memoryLag },
      ferretdb: { seconds: FERRET_LAG_SECONDS, rows: ferretRows, caughtUpWithin120s: caughtUp, ...ferretLag },
      measuredAs: `${HISTOGRAM}: PostgreSQL commit (source.ts_ms) to MongoDB write acknowledged`,
    };
    const t = result.throughputRowsPerSecond as { ferretdb: { ratio: number } };
    result.targets = {
      batchedAtLeast10xBaseline: t.ferretdb.ratio >= 10,
      p95Under500msInMemory: typeof memoryLag.p95Ms === "number" && memoryLag.p95Ms < 500,
      p95Under500msFerretDB: typeof ferretLag.p95Ms === "number" && ferretLag.p95Ms < 500,
    };
  } finally {
    await p.teardown();
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
