/**
 * The real writer's version guard against the real store (FerretDB, the data plane's
 * MongoDB-wire store), not a fake that re-implements it: ordering by (epoch, phase, LSN),
 * tombstones, duplicate keys, partial images, truncates and their fence.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { applyTruncate, TRUNCATIONS } from "../workers/src/mongo/truncate.js";
import { writeChanges } from "../workers/src/mongo/writer.js";
import { SyncMetrics } from "../workers/src/runtime/metrics.js";
import type { Change, Truncate } from "../workers/src/sync/change.js";
import { BatchProcessor } from "../workers/src/sync/processor.js";
import { encodeVersion, SNAPSHOT, STREAM, version, type Phase } from "../workers/src/sync/version.js";
import type { Db, MongoClient } from "../workers/src/testing/deps.js";
import { MemoryDeadLetters } from "../workers/src/testing/fakes.js";
import { ORDERS, orderRecord } from "../workers/src/testing/records.js";
import { loadDataplaneEnv, newMongo } from "./support/dataplane";

const FLAVOR = "ferretdb-v1" as const;
let mongo: InstanceType<typeof MongoClient>;
let db: Db;
let n = 0;
/** A fresh collection per test: FerretDB's cost per write grows with the collection. */
const fresh = () => `orders_${++n}`;

function change(id: number, lsn: number, doc: Record<string, unknown> | null, o: { phase?: Phase; epoch?: number; partial?: boolean; collection?: string } = {}): Change {
  const v = version(o.epoch ?? 0, o.phase ?? STREAM, lsn);
  return {
    record: { topic: ORDERS.topic, partition: 0, offset: BigInt(lsn), key: null, value: null },
    capture: o.collection ? { ...ORDERS, collection: o.collection } : ORDERS,
    id,
    op: doc === null ? "d" : o.phase === SNAPSHOT ? "r" : "u",
    version: v,
    v: encodeVersion(v),
    lsn,
    sourceTsMs: null,
    deleted: doc === null,
    doc,
    partial: o.partial ?? false,
  };
}

function truncate(collection: string, lsn: number, epoch = 0): Truncate {
  const v = version(epoch, STREAM, lsn);
  return { record: { topic: ORDERS.topic, partition: 1, offset: 0n, key: null, value: null }, capture: { ...ORDERS, collection }, version: v, v: encodeVersion(v), lsn };
}

const write = (collection: string, changes: Change[]) => writeChanges(db, collection, changes, FLAVOR);
const get = (collection: string, id: number) => db.collection(collection).findOne({ _id: id as never });

before(async () => {
  mongo = await newMongo(loadDataplaneEnv());
  db = mongo.db(`coexist_it_guard_${randomBytes(4).toString("hex")}`);
});

after(async () => {
  await db?.dropDatabase();
  await mongo?.close();
});

describe("the version guard on the real store", { timeout: 120_000 }, () => {
  it("applies a newer change and skips an older or equal one as stale", async () => {
    const c = fresh();
    assert.deepEqual(await write(c, [change(1, 20, { status: "b" })]), { applied: 1, stale: 0, rejected: [], conflicts: [] });
    const r = await write(c, [change(1, 10, { status: "a" })]);
    assert.deepEqual([r.applied, r.stale, r.conflicts.length], [0, 1, 0]);
    assert.equal((await write(c, [change(1, 20, { status: "dup" })])).stale, 1);
    assert.equal((await get(c, 1))?.status, "b");
    assert.equal((await write(c, [change(1, 30, { status: "c" })])).applied, 1);
    assert.equal((await get(c, 1))?.status, "c");
  });

  it("lets a streamed change beat a snapshot image of the same row with a higher LSN", async () => {
    const c = fresh();
    await write(c, [change(1, 5_000, { status: "snapshot" }, { phase: SNAPSHOT })]);
    await write(c, [change(1, 4_000, { status: "committed after the snapshot" })]);
    assert.equal((await get(c, 1))?.status, "committed after the snapshot");
    assert.equal((await write(c, [change(1, 5_000, { status: "snapshot again" }, { phase: SNAPSHOT })])).stale, 1);
  });

  it("lets a new epoch's low LSN beat an old epoch's high LSN, and never the reverse", async () => {
    const c = fresh();
    await write(c, [change(1, 2 ** 40, { status: "old server" }, { epoch: 1 })]);
    assert.equal((await write(c, [change(1, 10, { status: "restored server" }, { epoch: 2, phase: SNAPSHOT })])).applied, 1);
    assert.equal((await write(c, [change(1, 2 ** 41, { status: "late event of the old server" }, { epoch: 1 })])).stale, 1);
    assert.equal((await get(c, 1))?.status, "restored server");
  });

  it("keeps a delete as a tombstone that an older replayed insert cannot resurrect", async () => {
    const c = fresh();
    await write(c, [change(1, 10, { status: "new" }), change(2, 11, { status: "x" })]);
    await write(c, [change(1, 20, null)]);
    assert.equal((await write(c, [change(1, 10, { status: "new" })])).stale, 1);
    assert.deepEqual(await get(c, 1), { _id: 1, _deleted: true, _v: encodeVersion(version(0, STREAM, 20)), _lsn: 20, _source: "postgresql:public.orders", _synced_at: (await get(c, 1))?._synced_at });
  });

  it("inserts created rows, skips them when replayed over newer documents, and re-creates a deleted row", async () => {
    const c = fresh();
    const created = (id: number, lsn: number, doc: Record<string, unknown>): Change => ({ ...change(id, lsn, doc), op: "c" });
    assert.deepEqual(await write(c, [created(1, 10, { status: "new" }), created(2, 11, { status: "new" })]), { applied: 2, stale: 0, rejected: [], conflicts: [] });
    await write(c, [change(1, 20, { status: "paid" }), change(2, 21, null)]);
    const replay = await write(c, [created(1, 10, { status: "new" }), created(2, 11, { status: "new" })]);
    assert.deepEqual([replay.applied, replay.stale, replay.conflicts.length], [0, 2, 0]);
    assert.equal((await get(c, 1))?.status, "paid");
    assert.equal((await get(c, 2))?._deleted, true, "a replayed insert does not resurrect the row");
    assert.equal((await write(c, [created(2, 30, { status: "inserted again" })])).applied, 1);
    const again = await get(c, 2);
    assert.deepEqual([again?.status, again?._deleted, again?._v], ["inserted again", undefined, encodeVersion(version(0, STREAM, 30))]);

    await db.collection(c).createIndex({ email: 1 }, { unique: true, name: "email_unique" });
    await write(c, [created(3, 40, { email: "a@example.com" })]);
    const clash = await write(c, [created(4, 41, { email: "a@example.com" })]);
    assert.deepEqual([clash.applied, clash.stale, clash.conflicts.map((x) => x.change.id)], [0, 0, [4]]);
  });

  it("upgrades a document written before versions existed instead of freezing it", async () => {
    const c = fresh();
    await db.collection(c).insertOne({ _id: 1 as never, status: "legacy", _lsn: 2 ** 50 });
    assert.equal((await write(c, [change(1, 10, { status: "current" })])).applied, 1);
    assert.equal((await get(c, 1))?.status, "current");
  });

  it("reports a collision on another unique index as a conflict, never as stale", async () => {
    const c = fresh();
    await db.collection(c).createIndex({ email: 1 }, { unique: true, name: "email_unique" });
    await write(c, [change(1, 10, { email: "a@example.com" })]);
    const r = await write(c, [change(2, 11, { email: "a@example.com" }), change(3, 12, { email: "b@example.com" })]);
    assert.equal(r.stale, 0);
    assert.equal(r.applied, 1, "the other write of the bulk went through");
    assert.deepEqual(
      r.conflicts.map((x) => x.change.id),
      [2],
    );
    // FerretDB v1 does not say which index collided (MongoDB does, in keyPattern): the writer
    // read the stored document back to tell. Documented in workers/README.md.
    assert.doesNotMatch(r.conflicts[0]?.message ?? "", /email_unique/);
    assert.equal(await get(c, 2), null);
  });

  it("flags a document that a partial image (unchanged TOAST) has to create, and keeps stored columns otherwise", async () => {
    const c = fresh();
    await write(c, [change(1, 10, { status: "new", notes: "big" })]);
    await write(c, [change(1, 11, { status: "paid" }, { partial: true })]);
    const kept = await get(c, 1);
    assert.deepEqual([kept?.status, kept?.notes, kept?._partial], ["paid", "big", undefined]);

    await write(c, [change(2, 12, { status: "paid" }, { partial: true })]);
    const created = await get(c, 2);
    assert.deepEqual([created?.status, created?.notes, created?._partial], ["paid", undefined, true]);

    await write(c, [change(3, 13, null)]);
    const r = await write(c, [change(3, 14, { status: "after a lost re-insert" }, { partial: true })]);
    assert.equal(r.applied, 1);
    const overTombstone = await get(c, 3);
    assert.deepEqual([overTombstone?.status, overTombstone?._deleted, overTombstone?._partial], ["after a lost re-insert", undefined, true]);

    await write(c, [change(2, 15, { status: "full", notes: "big" })]);
    assert.equal((await get(c, 2))?._partial, undefined, "a full image clears the flag");
  });

  it("tombstones every older document of a truncated table and keeps newer ones", async () => {
    const c = fresh();
    await write(c, [change(1, 10, { s: 1 }), change(2, 11, { s: 2 }), change(3, 30, { s: 3 })]);
    assert.equal(await applyTruncate(db, truncate(c, 20)), 2);
    assert.equal((await get(c, 1))?._deleted, true);
    assert.equal((await get(c, 2))?._deleted, true);
    assert.equal((await get(c, 3))?.s, 3);
    assert.equal(await applyTruncate(db, truncate(c, 20)), 0, "replaying the truncate finds nothing left");
    assert.equal((await db.collection(TRUNCATIONS).findOne({ _id: c as never }))?._v, encodeVersion(version(0, STREAM, 20)));
  });

  it("drops an older change that arrives after the truncate, even for a document the sweep never saw", async () => {
    const c = fresh();
    await applyTruncate(db, truncate(c, 100));
    const r = await write(c, [change(7, 50, { s: "inserted before the truncate, delivered after" }), change(8, 150, { s: "after" })]);
    assert.deepEqual([r.applied, r.stale], [1, 1]);
    assert.equal(await get(c, 7), null);
    assert.equal((await get(c, 8))?.s, "after");
  });

  it("tombstones what it wrote below a truncate that landed between its check and its write", async () => {
    const c = fresh();
    const coll = db.collection(c);
    // The truncate lands right after the writer read the (absent) watermark: another partition's worker.
    const racing = new Proxy(db, {
      get(target, prop) {
        if (prop !== "collection") return Reflect.get(target, prop);
        return (name: string) => {
          const real = target.collection(name);
          if (name !== c) return real;
          return new Proxy(real, {
            get(t, p) {
              if (p !== "bulkWrite") return Reflect.get(t, p);
              return async (...args: Parameters<typeof coll.bulkWrite>) => {
                await applyTruncate(target, truncate(c, 100));
                return t.bulkWrite(...args);
              };
            },
          });
        };
      },
    });
    await writeChanges(racing as Db, c, [change(9, 50, { s: "older than the truncate" })], FLAVOR);
    assert.equal((await get(c, 9))?._deleted, true);
  });
});

describe("the processor with the real writer and store", { timeout: 120_000 }, () => {
  it("retries a unique-index conflict, then dead-letters it once and carries on", async () => {
    const c = fresh();
    await db.collection(c).createIndex({ customer_id: 1 }, { unique: true, name: "one_order_per_customer" });
    const capture = { ...ORDERS, collection: c };
    const dlq = new MemoryDeadLetters();
    const processor = new BatchProcessor({
      captures: [capture],
      store: { write: (coll, changes) => writeChanges(db, coll, changes, FLAVOR), truncate: (t) => applyTruncate(db, t) },
      dlq,
      metrics: new SyncMetrics(),
      decode: { decimals: "string" },
      conflictAttempts: 3,
    });
    const batch = processor.prepare([
      orderRecord({ order_id: 1, customer_id: 7, status: "first" }, { lsn: 10, offset: 0n, partition: 0 }),
      orderRecord({ order_id: 2, customer_id: 7, status: "second order, same customer" }, { lsn: 11, offset: 0n, partition: 1 }),
    ]);
    // Two partitions written in parallel: whichever lands second collides.
    await assert.rejects(processor.process(batch), /collide on a unique index other than _id/);
    await assert.rejects(processor.process(batch), /collide/);
    const out = await processor.process(batch);
    assert.equal(dlq.sent.length, 1);
    assert.equal(dlq.sent[0]?.reason, "unique-index-conflict");
    // The first attempt wrote one of the two orders; the retry finds it stale. The other one
    // did not happen and is counted as a dead letter, not as stale.
    assert.deepEqual([out.applied, out.stale, out.deadLettered], [0, 1, 1]);
    const stored = await db.collection(c).find().toArray();
    assert.equal(stored.length, 1);
    assert.notEqual(JSON.parse(dlq.sent[0]?.record.key?.toString() ?? "{}").order_id, stored[0]?._id);
  });
});
