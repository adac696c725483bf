import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Long } from "mongodb";
import { parseRecord, type Change } from "../sync/change.js";
import { ORDERS, orderRecord } from "../testing/records.js";
import { transforms } from "../transform/transforms.js";
import { contentHash } from "./hash.js";
import { pgTimestampToIso, typeRow, typeValue, UnsupportedColumnError, type PgField } from "./pg-typing.js";

// pg's FieldDef for public.orders: int8, int8, text, numeric, jsonb, text, timestamptz, timestamptz
const orderFields: PgField[] = [
  ["order_id", 20],
  ["customer_id", 20],
  ["status", 25],
  ["total", 1700],
  ["items", 3802],
  ["notes", 25],
  ["created_at", 1184],
  ["updated_at", 1184],
].map(([name, dataTypeID]) => ({ name: name as string, dataTypeID: dataTypeID as number }));

for (const decimals of ["decimal128", "string"] as const) {
  describe(`worker and reconciler type a row alike (${decimals})`, () => {
    it("hashes the Debezium record and the PostgreSQL text row of the same order identically", () => {
      const fromKafka = parseRecord(
        orderRecord(
          {
            order_id: 42,
            customer_id: 7,
            status: "expédiée ✓",
            total: -1n,
            items: '[{"sku": "A-1", "qty": 2, "price": 9.5}]',
            notes: null,
            created_at: "2024-11-23T10:15:30.123456Z",
            updated_at: "2024-11-23T11:00:00Z",
          },
          { lsn: 1, offset: 0n },
        ),
        new Map([[ORDERS.topic, ORDERS]]),
        { decimals },
      );
      assert.equal(fromKafka.kind, "change");
      const workerDoc = (fromKafka as { change: Change }).change.doc as Record<string, unknown>;

      const pgRow = {
        order_id: "42",
        customer_id: "7",
        status: "expédiée ✓",
        total: "-0.000000000000000001",
        items: '[{"qty": 2, "sku": "A-1", "price": 9.5}]',
        notes: null,
        created_at: "2024-11-23 10:15:30.123456+00",
        updated_at: "2024-11-23 11:00:00+00",
      };
      const reconcilerDoc = transforms.order(typeRow(orderFields, pgRow, { decimals }));
      assert.equal(contentHash(reconcilerDoc), contentHash(workerDoc));
      assert.notEqual(contentHash({ ...reconcilerDoc, status: "x" }), contentHash(workerDoc));
    });
  });
}

describe("typeValue", () => {
  it("keeps bigint columns exact", () => {
    assert.equal(typeValue({ name: "id", dataTypeID: 20 }, "42", { decimals: "decimal128" }), 42);
    assert.ok(typeValue({ name: "id", dataTypeID: 20 }, "9223372036854775807", { decimals: "decimal128" }) instanceof Long);
  });

  it("refuses column types it cannot type like the worker, naming the column", () => {
    assert.throws(() => typeValue({ name: "tags", dataTypeID: 1009 }, "{a,b}", { decimals: "decimal128" }), (e: Error) => e instanceof UnsupportedColumnError && /"tags"/.test(e.message));
  });

  it("reads PostgreSQL timestamps in UTC with their offset", () => {
    assert.equal(pgTimestampToIso("2024-01-02 03:04:05.678901+00"), "2024-01-02T03:04:05.678901Z");
    assert.equal(pgTimestampToIso("2024-01-02 03:04:05+05:30"), "2024-01-02T03:04:05+05:30");
    assert.equal(pgTimestampToIso("2024-01-02 03:04:05-08"), "2024-01-02T03:04:05-08:00");
  });
});
