import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { changeEvent, orderSchema } from "../testing/records.js";
import { EnvelopeReader } from "./envelope.js";
import { parseJsonLossless } from "./json.js";

const event = (lsn: number, schema: object = orderSchema) => ({ ...(changeEvent("c", { order_id: lsn, status: `s${lsn}` }, { lsn, offset: 0n }) as object), schema });
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const full = (b: Buffer) => parseJsonLossless(b.toString("utf8"), ["ts_us", "ts_ns"]);

describe("EnvelopeReader", () => {
  it("gives every record exactly what a full parse gives, parsing the schema once per topic", () => {
    const r = new EnvelopeReader();
    const first = r.read("t", bytes(event(1))) as { schema: unknown };
    for (let lsn = 2; lsn < 50; lsn++) {
      const b = bytes(event(lsn));
      const got = r.read("t", b) as { schema: unknown; payload: unknown };
      assert.deepEqual(got, full(b));
      assert.equal(got.schema, first.schema, "the schema object is reused, not parsed again");
    }
  });

  it("reads a record with another schema (a column added) with its own schema, and learns it", () => {
    const r = new EnvelopeReader();
    r.read("t", bytes(event(1)));
    const altered = { ...orderSchema, name: "coexist.public.orders.Envelope2" };
    const b = bytes(event(2, altered));
    assert.deepEqual(r.read("t", b), full(b));
    const again = r.read("t", bytes(event(3, altered))) as { schema: { name: string } };
    assert.equal(again.schema.name, "coexist.public.orders.Envelope2");
    assert.equal((r.read("t", bytes(event(4))) as { schema: { name: string } }).schema.name, (orderSchema as { name: string }).name);
  });

  it("keeps 64-bit integers of the payload exact and a key after the payload, on the path that skips the schema", () => {
    const r = new EnvelopeReader();
    r.read("t", bytes(event(1)));
    const text = JSON.stringify(event(2)).replace('"lsn":2}', '"lsn":9223372036854775807}');
    assert.equal(((r.read("t", Buffer.from(text)) as { payload: { source: { lsn: unknown } } }).payload.source.lsn), 9223372036854775807n);
    const extra = Buffer.from(`${JSON.stringify(event(3)).slice(0, -1)},"extra":1}`);
    assert.deepEqual(r.read("t", extra), full(extra));
  });

  it("never trusts a schema whose text holds a payload key of its own", () => {
    const r = new EnvelopeReader();
    const tricky = { ...orderSchema, parameters: { a: "1", payload: "x" } };
    for (let lsn = 1; lsn < 4; lsn++) {
      const b = bytes(event(lsn, tricky));
      assert.deepEqual(r.read("t", b), full(b));
    }
  });

  it("rejects text that is not JSON, before and after learning a schema", () => {
    const r = new EnvelopeReader();
    assert.throws(() => r.read("t", Buffer.from("{not json")), SyntaxError);
    r.read("t", bytes(event(1)));
    const b = bytes(event(2));
    assert.throws(() => r.read("t", Buffer.concat([b.subarray(0, b.length - 5), Buffer.from("!!}")])), SyntaxError);
  });
});
