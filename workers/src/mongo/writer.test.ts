import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MongoBulkWriteError, MongoNetworkTimeoutError, type Db, type Document } from "mongodb";
import type { Change } from "../sync/change.js";
import { encodeVersion, STREAM, version } from "../sync/version.js";
import { ORDERS } from "../testing/records.js";
import { buildWriteOps, expandDotted, writeChanges } from "./writer.js";

const now = new Date("2024-01-01T00:00:00Z");
const record = { topic: ORDERS.topic, partition: 0, offset: 0n, key: null, value: null };
const v = version(2, STREAM, 100);
const base = { record, capture: ORDERS, id: 42, op: "u" as const, version: v, v: encodeVersion(v), lsn: 100, sourceTsMs: null };
const guard = { _id: 42, $or: [{ _v: { $lt: "00000002-1-0000000000000064" } }, { _v: { $exists: false } }] };

describe("buildWriteOps", () => {
  it("guards a full image with an older _v and replaces the document with sync metadata", () => {
    const [op] = buildWriteOps([{ ...base, deleted: false, doc: { status: "paid" }, partial: false }], now);
    assert.deepEqual(op, {
      replaceOne: {
        filter: guard,
        replacement: { status: "paid", _v: "00000002-1-0000000000000064", _lsn: 100, _source: "postgresql:public.orders", _synced_at: now },
        upsert: true,
      },
    });
  });

  it("writes a delete as a guarded soft tombstone that drops the row's fields", () => {
    const [op] = buildWriteOps([{ ...base, op: "d", deleted: true, doc: null, partial: false }], now);
    assert.deepEqual((op as { replaceOne: Document }).replaceOne.replacement, { _deleted: true, _v: base.v, _lsn: 100, _source: "postgresql:public.orders", _synced_at: now });
    assert.deepEqual((op as { replaceOne: Document }).replaceOne.filter, guard);
  });

  it("uses $set for a partial image, never over a tombstone, and flags a document it has to create", () => {
    const [op] = buildWriteOps([{ ...base, deleted: false, doc: { status: "paid" }, partial: true }], now);
    const u = (op as { updateOne: Document }).updateOne;
    assert.deepEqual(u.filter, { ...guard, _deleted: { $ne: true } });
    assert.deepEqual(u.update, { $set: { status: "paid", _v: base.v, _lsn: 100, _source: "postgresql:public.orders", _synced_at: now }, $setOnInsert: { _partial: true } });
    assert.equal(u.upsert, true);
  });
});

describe("expandDotted", () => {
  it("nests dotted paths for a replacement document", () => {
    assert.deepEqual(expandDotted({ "address.city": "Lyon", "address.zip": "1", name: "a" }), { address: { city: "Lyon", zip: "1" }, name: "a" });
  });
});

/**
 * A database whose bulkWrite answers from a script (per call: which op indexes fail, with what
 * code, how many ops the server processed), for the server behaviours the local store cannot
 * show: MongoDB carrying on after an error, transient error codes. The guard itself is tested
 * against a real store in test/guard.test.ts.
 */
/** What a replica set answers when the primary steps down before the writes replicate (BulkWriteResult.getWriteConcernError()). */
const STEP_DOWN = { code: 64, errmsg: "waiting for replication timed out" };

function scriptedDb(
  script: Array<{ errors: Array<[index: number, code: number, keyPattern?: Document]>; processed?: number; network?: boolean; writeConcern?: boolean }>,
  stored: Document[] = [],
  inserts: Array<{ errors: Array<[index: number, code: number]>; processed?: number; writeConcern?: boolean }> = [],
) {
  const calls: number[] = [];
  const inserted: unknown[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const db = {
    collection: () => ({
      findOne: async () => null,
      find: () => ({ toArray: async () => stored }),
      insertMany: async (docs: unknown[]) => {
        inserted.push(docs);
        const step = inserts.shift() ?? { errors: [] };
        const processed = step.processed ?? docs.length;
        const result = { insertedCount: processed - step.errors.length, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {}, getWriteConcernError: () => (step.writeConcern ? STEP_DOWN : undefined) };
        if (step.errors.length === 0) return result;
        throw new MongoBulkWriteError(
          { message: "bulk", code: step.errors[0]?.[1] ?? 0, writeErrors: step.errors.map(([index, code]) => ({ index, code, errmsg: `E${code}` })) } as never,
          result as never,
        );
      },
      bulkWrite: async (ops: unknown[]) => {
        calls.push(ops.length);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        const step = script.shift() ?? { errors: [] };
        // What the driver throws when the connection times out mid-bulk: no write errors at all.
        if (step.network) throw new MongoBulkWriteError(new MongoNetworkTimeoutError("connection 5 to 127.0.0.1:27017 timed out") as never, { insertedCount: 0, matchedCount: 0, modifiedCount: 0, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} } as never);
        const processed = step.processed ?? ops.length;
        const ok = processed - step.errors.length;
        const result = { insertedCount: 0, matchedCount: ok, modifiedCount: ok, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {}, getWriteConcernError: () => (step.writeConcern ? STEP_DOWN : undefined) };
        if (step.errors.length === 0) return result;
        // As the driver's WriteError: the server's raw error (with MongoDB's keyPattern) under `err`.
        const writeErrors = step.errors.map(([index, code, keyPattern]) => ({ index, code, errmsg: `E${code}`, err: { index, code, errmsg: `E${code}`, ...(keyPattern ? { keyPattern } : {}) } }));
        throw new MongoBulkWriteError({ message: "bulk", code: step.errors[0]?.[1] ?? 0, writeErrors } as never, result as never);
      },
    }),
  } as unknown as Db;
  return { db, calls, inserted, maxInFlight: () => maxInFlight };
}

const change = (id: number): Change => ({ ...base, id, deleted: false, doc: { v: id }, partial: false });
const created = (id: number): Change => ({ ...change(id), op: "c" });

describe("writeChanges against scripted server answers", () => {
  it("fails the batch on a transient or unknown write error", async () => {
    const { db } = scriptedDb([{ errors: [[0, 91]] }]);
    await assert.rejects(writeChanges(db, "orders", [change(1)]), /_id 1 failed.*code 91/);
  });

  it("refuses to report success when MongoDB acknowledges fewer writes than sent", async () => {
    const { db } = scriptedDb([{ errors: [[0, 11000]], processed: 1 }], [{ _id: 1, _v: base.v }]);
    await assert.rejects(writeChanges(db, "orders", [change(1), change(2), change(3)]), /acknowledged 1 of 3/);
  });

  it("fails the batch when the connection breaks mid-bulk, on either flavor, instead of resubmitting forever", async () => {
    for (const flavor of ["mongodb", "ferretdb-v1"] as const) {
      const { db, calls } = scriptedDb([{ errors: [], network: true }, { errors: [], network: true }]);
      await assert.rejects(writeChanges(db, "orders", [change(1), change(2)], flavor), /bulk write failed: connection 5 .* timed out/);
      assert.equal(calls.length, 1, flavor);
    }
  });

  it("sends FerretDB v1 at most 8 statements per command, whose update handler holds a connection per statement", async () => {
    const { db, calls } = scriptedDb([]);
    const r = await writeChanges(db, "orders", Array.from({ length: 20 }, (_, i) => change(i + 1)), "ferretdb-v1");
    assert.deepEqual(calls, [8, 8, 4]);
    assert.equal(r.applied, 20);
    const mongo = scriptedDb([]);
    await writeChanges(mongo.db, "orders", Array.from({ length: 20 }, (_, i) => change(i + 1)));
    assert.deepEqual(mongo.calls, [20]);
  });

  it("never holds more than 8 FerretDB commands at once, however many statements a batch has", async () => {
    const { db, calls, maxInFlight } = scriptedDb([]);
    const r = await writeChanges(db, "orders", Array.from({ length: 200 }, (_, i) => change(i + 1)), "ferretdb-v1");
    assert.equal(calls.length, 25);
    assert.equal(maxInFlight(), 8);
    assert.equal(r.applied, 200);
  });

  it("inserts created rows first and sends only the others as guarded upserts", async () => {
    const { db, calls, inserted } = scriptedDb([]);
    const r = await writeChanges(db, "orders", [created(1), change(2), created(3), { ...created(4), partial: true }]);
    assert.deepEqual(
      inserted.map((docs) => docs.map((d) => (d as Document)._id)),
      [[1, 3]],
    );
    assert.deepEqual(calls, [2]);
    assert.equal(r.applied, 4);
  });

  it("sends a created row the store already holds (a replay, a re-insert after a delete) through the guarded upsert", async () => {
    const { db, calls } = scriptedDb([{ errors: [[0, 11000]] }], [{ _id: 3, _v: base.v }], [{ errors: [[1, 11000]] }]);
    const r = await writeChanges(db, "orders", [created(1), created(3)]);
    assert.deepEqual(calls, [1]);
    assert.equal(r.applied, 1);
    assert.equal(r.stale, 1);
  });

  it("sends every created row through the guarded upsert when an insert acknowledgement does not add up", async () => {
    const { db, calls } = scriptedDb([], [], [{ errors: [[0, 11000]], processed: 1 }]);
    await writeChanges(db, "orders", [created(1), created(2), created(3)]);
    assert.deepEqual(calls, [3]);
  });

  it("inserts into FerretDB v1 in commands of 100 documents", async () => {
    const { db, inserted } = scriptedDb([]);
    await writeChanges(db, "orders", Array.from({ length: 250 }, (_, i) => created(i + 1)), "ferretdb-v1");
    assert.deepEqual(
      inserted.map((d) => d.length),
      [100, 100, 50],
    );
  });

  it("fails the batch when a bulk with a duplicate key also carries a write-concern error (MongoBulkWriteError.result)", async () => {
    const { db } = scriptedDb([{ errors: [[0, 11000]], writeConcern: true }], [{ _id: 1, _v: base.v }]);
    await assert.rejects(writeChanges(db, "orders", [change(1), change(2)]), /write concern not satisfied: waiting for replication timed out \(code 64\)/);
  });

  it("fails the batch when an insert with a duplicate key also carries a write-concern error", async () => {
    const { db, calls } = scriptedDb([], [{ _id: 1, _v: base.v }], [{ errors: [[0, 11000]], writeConcern: true }]);
    await assert.rejects(writeChanges(db, "orders", [created(1), created(2)]), /write concern not satisfied/);
    assert.deepEqual(calls, [], "nothing more is sent once the concern failed");
  });

  it("MongoDB: a duplicate key whose keyPattern names another unique index is a conflict, even when the stored _v looks stale", async () => {
    // The stored document has the same _v: read back, it would count as stale and be skipped silently.
    const { db } = scriptedDb([{ errors: [[0, 11000, { email: 1 }]] }], [{ _id: 1, _v: base.v }]);
    const r = await writeChanges(db, "orders", [change(1), change(2)], "mongodb");
    assert.equal(r.stale, 0);
    assert.deepEqual(
      r.conflicts.map((c) => [c.change.id, c.message]),
      [[1, "unique index on email: E11000"]],
    );
  });

  it("MongoDB: a duplicate key on _id (keyPattern {_id: 1}) against an equal stored _v is stale, not a conflict", async () => {
    const { db } = scriptedDb([{ errors: [[0, 11000, { _id: 1 }]] }], [{ _id: 1, _v: base.v }]);
    const r = await writeChanges(db, "orders", [change(1), change(2)], "mongodb");
    assert.deepEqual([r.stale, r.conflicts.length], [1, 0]);
  });

  it("FerretDB v1 (no keyPattern): reads the stored version back; older stored _v means another unique index collided", async () => {
    const older = encodeVersion(version(1, STREAM, 50));
    const { db } = scriptedDb([{ errors: [[0, 11000], [1, 11000]] }], [{ _id: 1, _v: base.v }, { _id: 2, _v: older }]);
    const r = await writeChanges(db, "orders", [change(1), change(2)], "ferretdb-v1");
    assert.equal(r.stale, 1);
    assert.deepEqual(
      r.conflicts.map((c) => c.change.id),
      [2],
    );
  });

  it("hands back documents the server refuses for good, to be dead-lettered", async () => {
    const { db } = scriptedDb([{ errors: [[0, 2]] }]);
    const r = await writeChanges(db, "orders", [change(1), change(2)]);
    assert.equal(r.rejected[0]?.change.id, 1);
    assert.equal(r.applied, 1);
  });
});
