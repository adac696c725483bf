import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db, type Document } from "mongodb";
import { ORDERS } from "../testing/records.js";
import type { Change } from "../sync/change.js";
import { buildWriteOps, writeChanges } from "./writer.js";

const now = new Date("2024-01-01T00:00:00Z");
const record = { topic: ORDERS.topic, partition: 0, offset: 0n, key: null, value: null };
const base = { record, capture: ORDERS, id: 42, op: "u" as const, lsn: 100, sourceTsMs: null };
const change = (id: number): Change => ({ ...base, id, deleted: false, doc: { v: id }, partial: false });

describe("buildWriteOps", () => {
  it("guards a full image with _lsn < lsn and replaces the document with sync metadata", () => {
    const [op] = buildWriteOps([{ ...base, deleted: false, doc: { status: "paid" }, partial: false }], now);
    assert.deepEqual(op, {
      replaceOne: {
        filter: { _id: 42, _lsn: { $lt: 100 } },
        replacement: { status: "paid", _lsn: 100, _source: "postgresql:public.orders", _synced_at: now },
        upsert: true,
      },
    });
  });

  it("writes a delete as a guarded soft tombstone that drops the row's fields", () => {
    const [op] = buildWriteOps([{ ...base, op: "d", deleted: true, doc: null, partial: false }], now);
    assert.deepEqual((op as { replaceOne: Document }).replaceOne.replacement, { _deleted: true, _lsn: 100, _source: "postgresql:public.orders", _synced_at: now });
    assert.deepEqual((op as { replaceOne: Document }).replaceOne.filter, { _id: 42, _lsn: { $lt: 100 } });
  });

  it("uses $set for a partial image so unchanged TOAST columns keep their stored values, and clears _deleted", () => {
    const [op] = buildWriteOps([{ ...base, deleted: false, doc: { status: "paid" }, partial: true }], now);
    const u = (op as { updateOne: Document }).updateOne;
    assert.deepEqual(u.update, { $set: { status: "paid", _lsn: 100, _source: "postgresql:public.orders", _synced_at: now }, $unset: { _deleted: "" } });
    assert.equal(u.upsert, true);
  });
});

/** A collection whose bulkWrite answers from a script: per call, which op indexes fail and with what code. */
function scriptedDb(script: Array<{ errors: Array<[index: number, code: number]>; processed?: number }>) {
  const calls: number[] = [];
  const db = {
    collection: () => ({
      bulkWrite: async (ops: AnyBulkWriteOperation<Document>[]) => {
        calls.push(ops.length);
        const step = script.shift() ?? { errors: [] };
        const processed = step.processed ?? ops.length;
        const ok = processed - step.errors.length;
        const result = { insertedCount: 0, matchedCount: ok, modifiedCount: ok, deletedCount: 0, upsertedCount: 0, upsertedIds: {}, insertedIds: {} };
        if (step.errors.length === 0) return result;
        throw new MongoBulkWriteError(
          { message: "bulk", code: step.errors[0]?.[1] ?? 0, writeErrors: step.errors.map(([index, code]) => ({ index, code, errmsg: `E${code}` })) } as never,
          result as never,
        );
      },
    }),
  } as unknown as Db;
  return { db, calls };
}

describe("writeChanges", () => {
  it("counts duplicate-key errors as stale: the stored version is newer", async () => {
    const { db } = scriptedDb([{ errors: [[1, 11000]] }]);
    const r = await writeChanges(db, "orders", [change(1), change(2), change(3)]);
    assert.deepEqual([r.applied, r.stale, r.rejected.length], [2, 1, 0]);
  });

  it("hands back documents the server refuses for good, to be dead-lettered", async () => {
    const { db } = scriptedDb([{ errors: [[0, 2]] }]);
    const r = await writeChanges(db, "orders", [change(1), change(2)]);
    assert.equal(r.rejected[0]?.change.id, 1);
    assert.equal(r.applied, 1);
  });

  it("fails the batch on a transient or unknown write error", async () => {
    const { db } = scriptedDb([{ errors: [[0, 91]] }]);
    await assert.rejects(writeChanges(db, "orders", [change(1)]), /_id 1 failed.*code 91/);
  });

  it("refuses to report success when MongoDB acknowledges fewer writes than sent", async () => {
    const { db } = scriptedDb([{ errors: [[0, 11000]], processed: 1 }]);
    await assert.rejects(writeChanges(db, "orders", [change(1), change(2), change(3)]), /acknowledged 1 of 3/);
  });

  it("with ferretdb-v1, resubmits the writes after the one that stopped the bulk", async () => {
    const { db, calls } = scriptedDb([{ errors: [[0, 11000]], processed: 1 }, { errors: [] }]);
    const r = await writeChanges(db, "orders", [change(1), change(2), change(3)], "ferretdb-v1");
    assert.deepEqual(calls, [3, 2]);
    assert.deepEqual([r.applied, r.stale], [2, 1]);
  });
});
