import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SyncMetrics } from "../runtime/metrics.js";
import { MemoryDeadLetters, RecordingStore } from "../testing/fakes.js";
import { ORDERS, orderRecord, raw, tombstone, truncateRecord } from "../testing/records.js";
import { BatchProcessor } from "./processor.js";
import { applyTruncate } from "../mongo/truncate.js";
import { writeChanges } from "../mongo/writer.js";
import { keyOf, MemDb } from "../testing/memdb.js";

function setup(conflictAttempts?: number) {
  const store = new RecordingStore();
  const dlq = new MemoryDeadLetters();
  const metrics = new SyncMetrics();
  const processor = new BatchProcessor({ captures: [ORDERS], store, dlq, metrics, decode: { decimals: "decimal128" }, now: () => 1_732_400_001_000, conflictAttempts });
  return { store, dlq, metrics, processor };
}

describe("BatchProcessor", () => {
  it("dead-letters poison with its reason and still writes the good records of the batch", async () => {
    const { store, dlq, processor } = setup();
    const garbage = raw(ORDERS.topic, { order_id: 9 }, "garbage{", 1n);
    const out = await processor.process([orderRecord({ order_id: 1, status: "a" }, { lsn: 10, offset: 0n }), garbage, orderRecord({ order_id: 2 }, { lsn: 11, offset: 2n })]);
    assert.deepEqual(out, { applied: 2, stale: 0, deadLettered: 1, tombstones: 0, truncated: 0 });
    assert.equal(dlq.sent.length, 1);
    assert.equal(dlq.sent[0]?.reason, "invalid-json");
    assert.equal(dlq.sent[0]?.record, garbage);
    assert.deepEqual(store.calls.flatMap((c) => c.changes.map((x) => x.id)).sort(), [1, 2]);
  });

  it("fails the batch when the DLQ cannot take a poison record, so nothing is committed", async () => {
    const { dlq, processor } = setup();
    dlq.fail = true;
    await assert.rejects(processor.process([raw(ORDERS.topic, { order_id: 9 }, "garbage{", 0n)]), /DLQ topic unavailable/);
  });

  it("sends a dead letter once per record however often the batch's write is retried", async () => {
    const { store, dlq, processor } = setup();
    const batch = processor.prepare([raw(ORDERS.topic, { order_id: 9 }, "garbage{", 0n), orderRecord({ order_id: 1 }, { lsn: 10, offset: 1n })]);
    store.failuresLeft = 3;
    for (let i = 0; i < 3; i++) await assert.rejects(processor.process(batch), /MongoDB unavailable/);
    const out = await processor.process(batch);
    assert.equal(dlq.sent.length, 1, "one poison record, three failed writes: one dead letter");
    assert.equal(out.deadLettered, 1);
  });

  it("sends a store rejection once even when a later attempt of the batch fails and is retried", async () => {
    const { store, dlq, processor } = setup(3);
    store.refuse.add(2);
    store.collide.add(3);
    const batch = processor.prepare([orderRecord({ order_id: 2 }, { lsn: 11, offset: 0n }), orderRecord({ order_id: 3 }, { lsn: 12, offset: 1n })]);
    await assert.rejects(processor.process(batch), /collide on a unique index other than _id/);
    await assert.rejects(processor.process(batch), /collide/);
    await processor.process(batch);
    assert.deepEqual(
      dlq.sent.map((l) => l.reason),
      ["rejected-by-store", "unique-index-conflict"],
    );
  });

  it("retries a unique-index conflict, then dead-letters it instead of counting it as stale", async () => {
    const { store, dlq, processor, metrics } = setup(2);
    store.collide.add(1);
    const batch = processor.prepare([orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n })]);
    await assert.rejects(processor.process(batch), /collide/);
    assert.equal(dlq.sent.length, 0, "the first attempt is retried, not dead-lettered");
    const out = await processor.process(batch);
    assert.equal(dlq.sent[0]?.reason, "unique-index-conflict");
    assert.match(dlq.sent[0]?.message ?? "", /email_1.*drop or relax that index/);
    assert.equal(out.stale, 0);
    assert.match(await metrics.registry.metrics(), /coexist_sync_errors_total\{stage="conflict"\} 2/);
  });

  it("counts only attempts that met the conflict: store failures do not spend its retries (issue 14 §1.8)", async () => {
    const { store, dlq, processor } = setup(2);
    const batch = processor.prepare([orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n })]);
    store.failuresLeft = 3;
    for (let i = 0; i < 3; i++) await assert.rejects(processor.process(batch), /MongoDB unavailable/);
    store.collide.add(1);
    await assert.rejects(processor.process(batch), /collide/, "the first conflicting attempt is retried, after three failed ones");
    assert.equal(dlq.sent.length, 0);
    store.collide.clear();
    const out = await processor.process(batch);
    assert.equal(out.applied, 1);
    assert.equal(dlq.sent.length, 0);
  });

  it("the L1/L2/L3 schedule of issue 14 §1.1: a partial change re-fetched beside an older image does not revert a column", async () => {
    const db = new MemDb();
    const dlq = new MemoryDeadLetters();
    const processor = new BatchProcessor({
      captures: [ORDERS],
      store: { write: (c, changes) => writeChanges(db as never, c, changes, "mongodb"), truncate: (t) => applyTruncate(db as never, t) },
      dlq,
      metrics: new SyncMetrics(),
      decode: { decimals: "decimal128" },
    });
    const l1 = orderRecord({ order_id: 1, status: "new", notes: "A" }, { op: "c", lsn: 10, offset: 0n });
    const l2 = orderRecord({ order_id: 1, status: "new", notes: "B" }, { op: "u", lsn: 20, offset: 1n });
    const l3 = orderRecord({ order_id: 1, status: "paid", notes: "__debezium_unavailable_value" }, { op: "u", lsn: 30, offset: 2n });
    await processor.process([l1, l2]); // written, not committed: a rebalance lands
    await processor.process([l3, l1]); // L3 from the old fetch, L1 re-fetched; L2 not yet
    const doc = db.collection(ORDERS.collection).docs.get(keyOf(1));
    assert.equal(doc?.notes, "B");
    assert.equal(doc?.status, "paid");
  });

  it("writes one compacted bulk per partition: the newest change per key", async () => {
    const { store, processor, metrics } = setup();
    await processor.process([
      orderRecord({ order_id: 1, status: "new" }, { lsn: 10, offset: 0n, partition: 0 }),
      orderRecord({ order_id: 2, status: "new" }, { lsn: 11, offset: 0n, partition: 1 }),
      orderRecord({ order_id: 1, status: "paid" }, { op: "u", lsn: 12, offset: 1n, partition: 0 }),
      orderRecord({ order_id: 1 }, { op: "d", lsn: 13, offset: 2n, partition: 0 }),
      tombstone(ORDERS.topic, { order_id: 1 }, 3n, 0),
    ]);
    assert.equal(store.calls.length, 2);
    const p0 = store.calls.find((c) => c.changes.some((x) => x.id === 1));
    assert.deepEqual(
      p0?.changes.map((c) => [c.id, c.lsn, c.deleted]),
      [[1, 13, true]],
    );
    assert.match(await metrics.registry.metrics(), /coexist_sync_events_compacted_total\{collection="orders"\} 2/);
  });

  it("hands each collection's newest truncate to the store before the batch's row writes", async () => {
    const { store, processor } = setup();
    const order: string[] = [];
    const write = store.write.bind(store);
    store.write = async (c, ch) => (order.push("write"), write(c, ch));
    const truncate = store.truncate.bind(store);
    store.truncate = async (t) => (order.push("truncate"), truncate(t));
    await processor.process([
      truncateRecord({ lsn: 50, offset: 0n, partition: 1 }),
      orderRecord({ order_id: 1 }, { lsn: 60, offset: 0n, partition: 0 }),
      truncateRecord({ lsn: 70, offset: 1n, partition: 1 }),
    ]);
    assert.deepEqual(order, ["truncate", "write"]);
    assert.deepEqual(
      store.truncates.map((t) => t.lsn),
      [70],
    );
  });

  it("observes end-to-end lag from the source commit time, but not for snapshot reads", async () => {
    const { processor, metrics } = setup();
    await processor.process([
      orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n, tsMs: 1_732_400_000_750 }),
      orderRecord({ order_id: 2 }, { op: "r", lsn: 5, offset: 1n, tsMs: 1 }),
    ]);
    const text = await metrics.registry.metrics();
    assert.match(text, /coexist_sync_end_to_end_lag_seconds_count 1\n/);
    assert.match(text, /coexist_sync_end_to_end_lag_seconds_sum 0.25\n/);
  });

  it("dead-letters a change MongoDB refuses for good, with the original record", async () => {
    const { store, dlq, processor } = setup();
    store.refuse.add(2);
    const refused = orderRecord({ order_id: 2 }, { lsn: 11, offset: 1n });
    const out = await processor.process([orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n }), refused]);
    assert.equal(out.deadLettered, 1);
    assert.equal(dlq.sent[0]?.reason, "rejected-by-store");
    assert.equal(dlq.sent[0]?.record, refused);
  });
});
