import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Decimal128, Long } from "mongodb";
import { changeEvent, CUSTOMERS, ORDERS, orderRecord, orderSchema, raw, tombstone, truncateRecord } from "../testing/records.js";
import { parseRecord, type Change } from "./change.js";
import { idKey } from "./compact.js";
import { encodeVersion, SNAPSHOT, STREAM, version } from "./version.js";

const captures = new Map([ORDERS, CUSTOMERS].map((c) => [c.topic, c]));
const opts = { decimals: "decimal128" as const };

function change(p: ReturnType<typeof parseRecord>): Change {
  assert.equal(p.kind, "change", p.kind === "poison" ? p.message : "");
  return (p as { change: Change }).change;
}

describe("parseRecord", () => {
  it("builds the order document from the after image of an insert", () => {
    const c = change(
      parseRecord(
        orderRecord(
          { order_id: 42, customer_id: 7, status: "payée", total: 12345n * 10n ** 16n, items: '[{"sku":"A"}]', notes: null, created_at: "2024-11-23T10:00:00.000001Z" },
          { lsn: 1000, offset: 0n, tsMs: 1_732_400_000_123 },
        ),
        captures,
        opts,
      ),
    );
    assert.equal(c.id, 42);
    assert.equal(c.lsn, 1000);
    assert.deepEqual(c.version, version(0, STREAM, 1000));
    assert.equal(c.op, "c");
    assert.equal(c.deleted, false);
    assert.equal(c.sourceTsMs, 1_732_400_000_123);
    const { total, ...rest } = c.doc as Record<string, unknown>;
    assert.ok(total instanceof Decimal128);
    assert.equal(total.toString(), "123.450000000000000000");
    assert.deepEqual(rest, {
      order_id: 42,
      customer_id: "7",
      status: "payée",
      items: [{ sku: "A" }],
      notes: null,
      created_at: new Date("2024-11-23T10:00:00.000Z"),
      updated_at: null,
    });
  });

  it("orders a snapshot read before streamed changes and stamps the connector's epoch", () => {
    const c = change(parseRecord(orderRecord({ order_id: 1 }, { op: "r", lsn: 7000, offset: 0n, epoch: 3 }), captures, opts));
    assert.deepEqual(c.version, version(3, SNAPSHOT, 7000));
    assert.equal(c.v, encodeVersion(version(3, SNAPSHOT, 7000)));
    const withoutEpoch = change(parseRecord(orderRecord({ order_id: 1 }, { lsn: 5, offset: 0n, epoch: null }), captures, opts));
    assert.equal(withoutEpoch.version.epoch, 0, "a connector without the epoch field is epoch 0");
  });

  it("turns a TRUNCATE (no key, no row) into a collection-wide truncate", () => {
    const p = parseRecord(truncateRecord({ lsn: 9000, offset: 5n, partition: 2, epoch: 1 }), captures, opts);
    assert.equal(p.kind, "truncate");
    const t = (p as { truncate: { capture: unknown; v: string } }).truncate;
    assert.equal(t.capture, ORDERS);
    assert.equal(t.v, encodeVersion(version(1, STREAM, 9000)));
  });

  it("turns a delete (op d, before image with only the key) into a delete", () => {
    const c = change(parseRecord(orderRecord({ order_id: 42 }, { op: "d", lsn: 2000, offset: 3n }), captures, opts));
    assert.equal(c.deleted, true);
    assert.equal(c.doc, null);
    assert.equal(c.lsn, 2000);
  });

  it("skips the tombstone that follows a delete", () => {
    assert.deepEqual(parseRecord(tombstone(ORDERS.topic, { order_id: 42 }, 4n), captures, opts), { kind: "tombstone" });
  });

  it("keeps a bigint primary key exact as a Long _id", () => {
    const r = orderRecord({ order_id: 1 }, { lsn: 5, offset: 0n });
    const big = { ...r, key: Buffer.from('{"order_id":9223372036854775807}') };
    const c = change(parseRecord(big, captures, opts));
    assert.ok(c.id instanceof Long);
    assert.equal(c.id.toString(), "9223372036854775807");
  });

  const poisons: Array<[string, Parameters<typeof parseRecord>[0], string]> = [
    ["garbage value", raw(ORDERS.topic, { order_id: 1 }, "not json {", 0n), "invalid-json"],
    ["no key", raw(ORDERS.topic, null, changeEvent("c", { order_id: 1 }, { lsn: 1, offset: 0n }), 0n), "missing-key"],
    ["key without the key column", raw(ORDERS.topic, {}, changeEvent("c", { order_id: 1 }, { lsn: 1, offset: 0n }), 0n), "missing-key"],
    ["key with another column than the key", raw(ORDERS.topic, { id: 1 }, changeEvent("c", { order_id: 1 }, { lsn: 1, offset: 0n }), 0n), "invalid-key"],
    ["unknown topic", raw("coexist.public.nope", { id: 1 }, "{}", 0n), "unknown-topic"],
    ["no Connect envelope", raw(ORDERS.topic, { order_id: 1 }, { order_id: 1 }, 0n), "invalid-envelope"],
    ["a flattened record (the unwrap SMT still configured)", raw(ORDERS.topic, { order_id: 1 }, { schema: { type: "struct", fields: [] }, payload: { order_id: 1, __op: "c", __lsn: 5 } }, 0n), "invalid-envelope"],
    ["an event without source.lsn", raw(ORDERS.topic, { order_id: 1 }, { schema: orderSchema, payload: { op: "c", after: { order_id: 1 }, source: {} } }, 0n), "invalid-envelope"],
    ["a malformed epoch", raw(ORDERS.topic, { order_id: 1 }, { schema: orderSchema, payload: { op: "c", after: { order_id: 1 }, source: { lsn: 5 }, __epoch: "two" } }, 0n), "invalid-envelope"],
  ];
  for (const [name, record, reason] of poisons) {
    it(`reports ${name} as poison "${reason}" instead of throwing`, () => {
      const p = parseRecord(record, captures, opts);
      assert.equal(p.kind, "poison");
      assert.equal((p as { reason: string }).reason, reason);
    });
  }

  it("reports a NUMERIC too wide for Decimal128 as unrepresentable, naming the column", () => {
    const p = parseRecord(orderRecord({ order_id: 1, total: 99999999999999999999999999999999999999n }, { lsn: 1, offset: 0n }), captures, opts);
    assert.equal(p.kind, "poison");
    assert.equal((p as { reason: string }).reason, "unrepresentable-value");
    assert.match((p as { message: string }).message, /"total"/);
  });

  it("reports a transform failure as poison naming the transform", () => {
    const p = parseRecord(orderRecord({ order_id: 1, items: '{"not":"an array"}' }, { lsn: 1, offset: 0n }), captures, opts);
    assert.equal(p.kind, "poison");
    assert.match((p as { message: string }).message, /transform "order".*items/);
  });
});

describe("composite primary keys (issue 14 §1.7)", () => {
  const opts2 = { decimals: "decimal128" } as const;
  const composite = { ...ORDERS, key: "tenant_id,order_id" };
  const event = changeEvent("c", { order_id: 7 }, { lsn: 1, offset: 0n });

  it("makes _id a document of the key columns in the configured order", () => {
    const p = parseRecord(raw(ORDERS.topic, { order_id: 7, tenant_id: "t1" }, event, 0n), new Map([[ORDERS.topic, composite]]), opts2);
    assert.equal(p.kind, "change");
    const id = (p as { change: Change }).change.id as Record<string, unknown>;
    assert.deepEqual(Object.entries(id), [["tenant_id", "t1"], ["order_id", 7]]);
  });

  it("keeps rows that share one key column apart", () => {
    const ids = ["t1", "t2"].map((t) => (parseRecord(raw(ORDERS.topic, { tenant_id: t, order_id: 7 }, event, 0n), new Map([[ORDERS.topic, composite]]), opts2) as { change: Change }).change.id);
    assert.notEqual(idKey(ids[0] as Change["id"]), idKey(ids[1] as Change["id"]));
  });

  it("dead-letters a key with a column the capture does not name, never collapsing rows into one document", () => {
    const p = parseRecord(raw(ORDERS.topic, { tenant_id: "t1", order_id: 7 }, event, 0n), new Map([[ORDERS.topic, ORDERS]]), opts2);
    assert.equal(p.kind, "poison");
    assert.equal((p as { reason: string }).reason, "invalid-key");
    assert.match((p as { message: string }).message, /tenant_id.*set captures\[\]\.key to "tenant_id,order_id"/);
  });

  it("reports a composite key missing one of its columns", () => {
    const p = parseRecord(raw(ORDERS.topic, { order_id: 7 }, event, 0n), new Map([[ORDERS.topic, composite]]), opts2);
    assert.equal((p as { reason: string }).reason, "missing-key");
  });
});
