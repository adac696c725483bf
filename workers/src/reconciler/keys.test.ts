import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Long } from "mongodb";
import { parseRecord, type Change } from "../sync/change.js";
import { idKey } from "../sync/compact.js";
import { ORDERS, orderSchema, raw } from "../testing/records.js";
import { compareRows } from "./compare.js";
import { failedReport, idText, keyTexts, rowId, rowsWithKeys, toExpected, type TableKey } from "./reconcile.js";

/** Issue 14 §1.7: the reconciler reads composite keys the way the worker writes them. */
describe("reconciler keys", () => {
  const composite = { ...ORDERS, key: "tenant_id,order_id" };
  const key: TableKey = { columns: ["tenant_id", "order_id"], list: '"tenant_id", "order_id"', types: ["text", "bigint"] };
  const fields = [
    { name: "tenant_id", dataTypeID: 25 },
    { name: "order_id", dataTypeID: 20 },
    { name: "status", dataTypeID: 25 },
  ];

  it("types a row's _id as the worker writes it: the key columns in the configured order", () => {
    const report = failedReport(composite, "unused");
    const [e] = toExpected(fields, [{ order_id: "7", tenant_id: "t1", status: "new" }], composite, { decimals: "decimal128" }, report);
    assert.deepEqual(Object.entries(e!.id), [["tenant_id", "t1"], ["order_id", 7]]);
    // The worker's _id for the same row, from Debezium's key (whose field order is the table's, not the config's).
    const event = { schema: orderSchema, payload: { before: null, after: { order_id: 7, status: "new" }, source: { lsn: 1, ts_ms: 0 }, op: "c" } };
    const parsed = parseRecord(raw(ORDERS.topic, { order_id: 7, tenant_id: "t1" }, event, 0n), new Map([[ORDERS.topic, composite]]), { decimals: "decimal128" });
    assert.equal(parsed.kind, "change");
    const worker = (parsed as { change: Change }).change.id;
    assert.equal(JSON.stringify(e!.id), JSON.stringify(worker), "same fields, same order");
    assert.equal(idKey(e!.id), idKey(worker));
  });

  it("matches documents by the whole key: a row of another tenant with the same order_id is missing", () => {
    const report = failedReport(composite, "unused");
    const rows = [
      { tenant_id: "t1", order_id: "7", status: "new" },
      { tenant_id: "t2", order_id: "7", status: "new" },
    ];
    const expected = toExpected(fields, rows, composite, { decimals: "decimal128" }, report);
    const found = [{ _id: { tenant_id: "t1", order_id: 7 }, tenant_id: "t1", order_id: 7, status: "new" }];
    const d = compareRows(expected, found);
    assert.deepEqual(
      d.map((x) => [x.kind, idText(x.id)]),
      [["missing", "tenant_id=t2,order_id=7"]],
    );
  });

  it("reads a document _id back into key column texts, only when it has the key's shape", () => {
    assert.deepEqual(keyTexts({ tenant_id: "t1", order_id: 7 }, key.columns), ["t1", "7"]);
    assert.deepEqual(keyTexts({ tenant_id: "t1", order_id: Long.fromString("9007199254740993") }, key.columns), ["t1", "9007199254740993"]);
    assert.equal(keyTexts({ order_id: 7, tenant_id: "t1" }, key.columns), undefined, "another column order is another _id");
    assert.equal(keyTexts({ tenant_id: "t1" } as never, key.columns), undefined);
    assert.equal(keyTexts({ tenant_id: "t1", order_id: 7, x: 1 } as never, key.columns), undefined);
    assert.equal(keyTexts(7, key.columns), undefined);
    assert.deepEqual(keyTexts(7, ["order_id"]), ["7"]);
    assert.equal(keyTexts({ order_id: 7 } as never, ["order_id"]), undefined);
  });

  it("selects rows by the whole key, one array per column, leaving out _ids of another shape", () => {
    const q = rowsWithKeys(composite, key, key.list, [{ tenant_id: "t1", order_id: 7 }, { order_id: 8, tenant_id: "t2" }, { tenant_id: "t3", order_id: 9 }]);
    assert.equal(q.text, 'SELECT "tenant_id", "order_id" FROM "public"."orders" WHERE ("tenant_id", "order_id") IN (SELECT * FROM unnest($1::text[], $2::bigint[]))');
    assert.deepEqual(q.values, [["t1", "t3"], ["7", "9"]]);
  });

  it("keeps one-column keys as the value itself", () => {
    assert.equal(rowId({ order_id: 7 }, ["order_id"]), 7);
    const big = Long.fromString("9007199254740993");
    assert.equal(rowId({ order_id: big }, ["order_id"]), big);
    assert.equal(idText(7), "7");
  });
});
