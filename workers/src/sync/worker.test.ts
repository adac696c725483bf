import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Logger } from "../runtime/log.js";
import { SyncMetrics } from "../runtime/metrics.js";
import { Liveness } from "../runtime/liveness.js";
import { FakeSource, MemoryDeadLetters, RecordingStore } from "../testing/fakes.js";
import { ORDERS, orderRecord, raw } from "../testing/records.js";
import type { RawRecord } from "./change.js";
import { BatchProcessor } from "./processor.js";
import { SyncWorker } from "./worker.js";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * The worker fetches ahead while a batch is written (and retried), so the source runs dry
 * before the last batch is written: the tests stop it once every record is committed.
 */
function stopOnceAllCommitted(source: FakeSource, worker: SyncWorker, records: readonly RawRecord[]): void {
  const last = records[records.length - 1];
  source.onDrained = () => {
    if (!last || source.committed.get(`${last.topic}:${last.partition}`) === last.offset + 1n) worker.stop();
  };
}

function setup(records = [orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n }), orderRecord({ order_id: 2 }, { lsn: 11, offset: 1n })]) {
  const source = new FakeSource(records);
  const store = new RecordingStore();
  const metrics = new SyncMetrics();
  const processor = new BatchProcessor({ captures: [ORDERS], store, dlq: new MemoryDeadLetters(), metrics, decode: { decimals: "decimal128" } });
  const worker = new SyncWorker({ source, processor, topics: [ORDERS.topic], batch: { maxRecords: 1, maxWaitMs: 0 }, metrics, log: quiet, retry: { initialMs: 1, maxMs: 1 } });
  stopOnceAllCommitted(source, worker, records);
  return { source, store, worker };
}

describe("SyncWorker", () => {
  it("commits each batch's offsets after its write", async () => {
    const { source, store, worker } = setup();
    assert.equal(await worker.run(), true);
    assert.equal(store.calls.length, 2);
    assert.equal(source.committed.get(`${ORDERS.topic}:0`), 2n);
  });

  it("fetches the next batch while one is written, yet writes and commits strictly in batch order", async () => {
    const records = [0, 1, 2].map((i) => orderRecord({ order_id: i + 1 }, { lsn: 10 + i, offset: BigInt(i) }));
    const { source, store, worker } = setup(records);
    const events: string[] = [];
    const next = source.next.bind(source);
    source.next = async (max: number) => {
      const out = await next(max);
      if (out.length > 0) events.push(`fetch ${out[0]?.offset}`);
      return out;
    };
    const commit = source.commit.bind(source);
    source.commit = async (rs) => {
      events.push(`commit ${rs[0]?.offset}`);
      await commit(rs);
    };
    // Each write stays pending until the test has seen the worker fetch ahead of it.
    const write = store.write.bind(store);
    store.write = async (collection, changes) => {
      events.push(`write ${changes[0]?.record.offset}`);
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      events.push(`written ${changes[0]?.record.offset}`);
      return write(collection, changes);
    };
    assert.equal(await worker.run(), true);
    const at = (e: string) => events.indexOf(e);
    assert.ok(at("fetch 1") < at("written 0"), `batch 1 is fetched while batch 0 is written: ${events.join(", ")}`);
    for (const i of [0, 1]) {
      assert.ok(at(`written ${i}`) < at(`commit ${i}`), `batch ${i} is committed after its write: ${events.join(", ")}`);
      assert.ok(at(`commit ${i}`) < at(`write ${i + 1}`), `batch ${i + 1} is written only after batch ${i} is committed: ${events.join(", ")}`);
    }
    assert.equal(source.committed.get(`${ORDERS.topic}:0`), 3n);
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
    const records = [orderRecord({ order_id: 1 }, { lsn: 10, offset: 0n })];
    const source = new FakeSource(records);
    const store = new RecordingStore();
    store.failuresLeft = Number.POSITIVE_INFINITY;
    const metrics = new SyncMetrics();
    const processor = new BatchProcessor({ captures: [ORDERS], store, dlq: new MemoryDeadLetters(), metrics, decode: { decimals: "decimal128" } });
    const worker = new SyncWorker({ source, processor, topics: [ORDERS.topic], batch: { maxRecords: 10, maxWaitMs: 0 }, metrics, log: quiet, retry: { initialMs: 1, maxMs: 1 }, liveness });
    stopOnceAllCommitted(source, worker, records);
    const run = worker.run();
    while (store.calls.length < 2) await new Promise((r) => setImmediate(r));
    assert.equal(worker.live(), true);
    t += 1_001;
    assert.equal(worker.live(), false, "a batch in hand for longer than the bound");
    store.failuresLeft = 0;
    assert.equal(await run, true);
    assert.equal(worker.live(), true);
  });

  it("retries a failed batch with what it already did: one dead letter for one poison record (issue 14 §1.9)", async () => {
    const records = [raw(ORDERS.topic, { order_id: 9 }, "garbage{", 0n), orderRecord({ order_id: 1 }, { lsn: 10, offset: 1n })];
    const source = new FakeSource(records);
    const store = new RecordingStore();
    const dlq = new MemoryDeadLetters();
    const metrics = new SyncMetrics();
    const processor = new BatchProcessor({ captures: [ORDERS], store, dlq, metrics, decode: { decimals: "decimal128" } });
    const worker = new SyncWorker({ source, processor, topics: [ORDERS.topic], batch: { maxRecords: 2, maxWaitMs: 0 }, metrics, log: quiet, retry: { initialMs: 1, maxMs: 1 } });
    stopOnceAllCommitted(source, worker, records);
    store.failuresLeft = 3;
    assert.equal(await worker.run(), true);
    assert.equal(store.calls.length, 4, "three failed writes, then the one that went through");
    assert.equal(dlq.sent.length, 1, "a retry must not send the batch's dead letters again");
  });
});
