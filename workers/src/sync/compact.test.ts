import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Long } from "mongodb";
import { ORDERS } from "../testing/records.js";
import type { Change } from "./change.js";
import { compactByKey, idKey, mergeDocs } from "./compact.js";

const ch = (id: Change["id"], lsn: number, doc: Record<string, unknown> | null, partial = false): Change => ({
  record: { topic: ORDERS.topic, partition: 0, offset: BigInt(lsn), key: null, value: null },
  capture: ORDERS,
  id,
  op: doc ? "u" : "d",
  lsn,
  sourceTsMs: null,
  deleted: doc === null,
  doc,
  partial,
});

describe("compactByKey", () => {
  it("keeps only the last change of each key", () => {
    const out = compactByKey([ch(1, 10, { v: 1 }), ch(2, 11, { v: 2 }), ch(1, 12, { v: 3 }), ch(1, 13, null)]);
    assert.deepEqual(
      out.map((c) => [c.id, c.lsn, c.deleted]),
      [
        [1, 13, true],
        [2, 11, false],
      ],
    );
  });

  it("treats the number 5 and Long(5) as one key but the string '5' as another", () => {
    assert.equal(idKey(5), idKey(Long.fromNumber(5)));
    assert.notEqual(idKey(5), idKey("5"));
    assert.equal(compactByKey([ch(5, 1, { a: 1 }), ch(Long.fromNumber(5), 2, { a: 2 }), ch("5", 3, { a: 3 })]).length, 2);
  });

  it("fills a partial image from an earlier full image of the same batch", () => {
    const [only] = compactByKey([ch(1, 10, { notes: "big", status: "new" }), ch(1, 11, { status: "paid" }, true)]);
    assert.deepEqual(only?.doc, { notes: "big", status: "paid" });
    assert.equal(only?.partial, false);
    assert.equal(only?.lsn, 11);
  });
});

describe("mergeDocs", () => {
  it("applies dotted sub-fields into the nested object", () => {
    assert.deepEqual(mergeDocs({ address: { city: "A", zip: "1" } }, { "address.city": "B" }), { address: { city: "B", zip: "1" } });
  });
});
