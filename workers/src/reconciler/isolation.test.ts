import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MongoServerError, type Document } from "mongodb";
import { ORDERS } from "../testing/records.js";
import { version, SNAPSHOT } from "../sync/version.js";
import type { Divergence } from "./compare.js";
import { failedReport, toExpected, type TableReport } from "./reconcile.js";
import { applyRepairs } from "./repair.js";
import { summarize } from "./report.js";

/** Issue 14 §1.8: one bad value or one rejected repair stays that row's problem. */
describe("reconciler isolation", () => {
  const fields = [
    { name: "order_id", dataTypeID: 20 },
    { name: "created_at", dataTypeID: 1184 },
  ];

  it("counts a row with an undecodable timestamp ('infinity', a BC date) as unrepresentable and types the others", () => {
    const report = failedReport(ORDERS, "unused");
    delete report.error;
    const rows = [
      { order_id: "1", created_at: "infinity" },
      { order_id: "2", created_at: "2024-01-01 00:00:00+00" },
      { order_id: "3", created_at: "0044-03-15 00:00:00+00 BC" },
    ];
    const out = toExpected(fields, rows, ORDERS, { decimals: "decimal128" }, report);
    assert.deepEqual(
      out.map((e) => e.id),
      [2],
    );
    assert.equal(report.unrepresentable, 2);
    assert.deepEqual(report.samples.unrepresentable, ["1", "3"]);
  });

  it("goes on after a repair the store rejects for good, and reports it", async () => {
    const written: unknown[] = [];
    const collection = {
      async insertOne(doc: Document) {
        if (doc._id === 1) throw new MongoServerError({ message: "Document failed validation", code: 121, errmsg: "Document failed validation" });
        written.push(doc._id);
        return { acknowledged: true, insertedId: doc._id };
      },
      async replaceOne() {
        return { acknowledged: true, matchedCount: 1, modifiedCount: 1, upsertedCount: 0, upsertedId: null };
      },
    };
    const missing = (id: number): Divergence => ({ kind: "missing", id, expected: { id, doc: { status: "x" }, hash: "h" }, observed: null });
    const out = await applyRepairs(collection as never, [missing(1), missing(2)], ORDERS.table, version(0, SNAPSHOT, 5n));
    assert.equal(out.applied, 1);
    assert.deepEqual(written, [2]);
    assert.equal(out.rejected.length, 1);
    assert.match(out.rejected[0]?.message ?? "", /code 121/);
  });

  it("reports a failed table in the run's totals without dropping the others", () => {
    const ok: TableReport = { ...failedReport(ORDERS, ""), rows: 3 };
    delete ok.error;
    const run = summarize([failedReport({ ...ORDERS, table: "public.bad" }, new Error("column type xml is not supported")), ok], new Date(0), false, new Date(1));
    assert.equal(run.totals.failedTables, 1);
    assert.equal(run.totals.rows, 3);
    assert.equal(run.tables[0]?.error, "column type xml is not supported");
  });
});
