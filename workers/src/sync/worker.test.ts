import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Logger } from "../runtime/log.js";
import { SyncMetrics } from "../runtime/metrics.js";
import { Liveness } from "../runtime/liveness.js";
import { FakeSource, MemoryDeadLetters, RecordingStore } from "../testing/fakes.js";
import { ORDERS, orderRecord } from "../testing/records.js";
import { BatchProcessor } from "./processor.js";
import { SyncWorker } from "./worker.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function setup(records = [orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n }), orderRecord({ order_id: 2 }, { lsn: 11, offset: 1n })]) {
  const source = new FakeSource(records);
  const store = new RecordingStore();
  const metrics = new SyncMetrics();
  const processor = new BatchProcessor({ captures: [ORDERS], store, dlq: new MemoryDeadLetters(), metrics, decode: { decimals: "decimal128" } });
  const worker = new SyncWorker({ source, processor, topics: [ORDERS.topic], batch: { maxRecords: 1, maxWaitMs: 0 }, metrics, log: quiet, retry: { initialMs: 1, maxMs: 1 } });
  source.onDrained = () => worker.stop();
  return { source, store, worker };
}

describe("SyncWorker", () => {
  it("commits each batch's offsets after its write", async () => {
    const { source, store, worker } = setup();
    assert.equal(await worker.run(), true);
    assert.equal(store.calls.length, 2);
    assert.equal(source.committed.get(`${ORDERS.topic}:0`), 2n);
  });

  it("retries a failed write without committing, then commits once it succeeds", async () => {
    const { source, store, worker } = setup([orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n })]);
    store.failuresLeft = 2;
    const commits: bigint[] = [];
    const commit = source.commit.bind(source);
    source.commit = async (records) => {
      commits.push(...records.map((r) => r.offset));
      await commit(records);
    };
    assert.equal(await worker.run(), true);
    assert.equal(store.calls.length, 3);
    assert.deepEqual(commits, [0n]);
  });

  it("stops without committing when asked to stop while a batch keeps failing", async () => {
    const { source, store, worker } = setup([orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n })]);
    store.failuresLeft = Number.POSITIVE_INFINITY;
    const run = worker.run();
    while (store.calls.length < 2) await new Promise((r) => setImmediate(r));
    assert.equal(worker.ready(), false);
    worker.stop();
    assert.equal(await run, false);
    assert.equal(source.committed.size, 0);
  });

  it("fails liveness while a batch stays unwritten past the bound, and recovers once it is written", async () => {
    let t = 0;
    const liveness = new Liveness(1_000, () => t);
    const source = new FakeSource([orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n })]);
    const store = new RecordingStore();
    store.failuresLeft = Number.POSITIVE_INFINITY;
    const metrics = new SyncMetrics();
    const processor = new BatchProcessor({ captures: [ORDERS], store, dlq: new MemoryDeadLetters(), metrics, decode: { decimals: "decimal128" } });
    const worker = new SyncWorker({ source, processor, topics: [ORDERS.topic], batch: { maxRecords: 10, maxWaitMs: 0 }, metrics, log: quiet, retry: { initialMs: 1, maxMs: 1 }, liveness });
    source.onDrained = () => worker.stop();
    const run = worker.run();
    while (store.calls.length < 2) await new Promise((r) => setImmediate(r));
    assert.equal(worker.live(), true);
    t += 1_001;
    assert.equal(worker.live(), false, "a batch in hand for longer than the bound");
    store.failuresLeft = 0;
    assert.equal(await run, true);
    assert.equal(worker.live(), true);
  });
});
