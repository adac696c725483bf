import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SyncMetrics } from "../runtime/metrics.js";
import { GuardedMemoryStore, MemoryDeadLetters } from "../testing/fakes.js";
import { ORDERS, orderRecord, raw, tombstone } from "../testing/records.js";
import { BatchProcessor } from "./processor.js";

function setup() {
  const store = new GuardedMemoryStore();
  const dlq = new MemoryDeadLetters();
  const metrics = new SyncMetrics();
  const processor = new BatchProcessor({ captures: [ORDERS], store, dlq, metrics, decode: { decimals: "decimal128" }, now: () => 1_732_400_001_000 });
  return { store, dlq, metrics, processor };
}

describe("BatchProcessor", () => {
  it("dead-letters poison with its reason and still writes the good records of the batch", async () => {
    const { store, dlq, processor } = setup();
    const garbage = raw(ORDERS.topic, { order_id: 9 }, "garbage{", 1n);
    const out = await processor.process([orderRecord({ order_id: 1, status: "a" }, { lsn: 10, offset: 0n }), garbage, orderRecord({ order_id: 2 }, { lsn: 11, offset: 2n })]);
    assert.deepEqual(out, { applied: 2, stale: 0, deadLettered: 1, tombstones: 0 });
    assert.equal(dlq.sent.length, 1);
    assert.equal(dlq.sent[0]?.reason, "invalid-json");
    assert.equal(dlq.sent[0]?.record, garbage);
    assert.deepEqual([...store.docs.keys()].sort(), ["orders/n:1", "orders/n:2"]);
  });

  it("fails the batch when the DLQ cannot take a poison record, so nothing is committed", async () => {
    const { dlq, processor } = setup();
    dlq.fail = true;
    await assert.rejects(processor.process([raw(ORDERS.topic, { order_id: 9 }, "garbage{", 0n)]), /DLQ topic unavailable/);
  });

  it("writes one compacted bulk per partition: the last change per key", async () => {
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

  it("makes a replay of already-applied records change nothing", async () => {
    const { store, processor } = setup();
    const batch = [orderRecord({ order_id: 1, status: "new" }, { lsn: 10, offset: 0n }), orderRecord({ order_id: 1 }, { op: "d", lsn: 20, offset: 1n })];
    await processor.process(batch);
    const before = structuredClone([...store.docs]);
    const out = await processor.process([batch[0]!]);
    assert.deepEqual(out.stale, 1);
    assert.deepEqual([...store.docs], before);
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
});

describe("BatchProcessor with a refusing store", () => {
  it("dead-letters a change MongoDB refuses for good, with the original record", async () => {
    const { store, dlq, processor } = setup();
    store.refuse.add(2);
    const refused = orderRecord({ order_id: 2 }, { lsn: 11, offset: 1n });
    const out = await processor.process([orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n }), refused]);
    assert.equal(out.deadLettered, 1);
    assert.equal(dlq.sent[0]?.reason, "rejected-by-store");
    assert.equal(dlq.sent[0]?.record, refused);
    assert.ok(store.docs.has("orders/n:1"));
  });
});
