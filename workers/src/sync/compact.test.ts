import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Long } from "mongodb";
import { ORDERS } from "../testing/records.js";
import type { Change } from "./change.js";
import { compactByKey, compactRounds, idKey, mergeDocs } from "./compact.js";
import { encodeVersion, SNAPSHOT, STREAM, version, type Phase } from "./version.js";

const ch = (id: Change["id"], lsn: number, doc: Record<string, unknown> | null, o: { partial?: boolean; offset?: number; phase?: Phase; epoch?: number } = {}): Change => {
  const v = version(o.epoch ?? 0, o.phase ?? STREAM, lsn);
  return {
    record: { topic: ORDERS.topic, partition: 0, offset: BigInt(o.offset ?? lsn), key: null, value: null },
    capture: ORDERS,
    id,
    op: doc ? "u" : "d",
    version: v,
    v: encodeVersion(v),
    lsn,
    sourceTsMs: null,
    deleted: doc === null,
    doc,
    partial: o.partial ?? false,
  };
};

describe("compactByKey", () => {
  it("keeps only the newest change of each key", () => {
    const out = compactByKey([ch(1, 10, { v: 1 }), ch(2, 11, { v: 2 }), ch(1, 12, { v: 3 }), ch(1, 13, null)]);
    assert.deepEqual(
      out.map((c) => [c.id, c.lsn, c.deleted]),
      [
        [1, 13, true],
        [2, 11, false],
      ],
    );
  });

  it("keeps LSN 20 over LSN 10 when a rebalance re-delivered the older record after the newer one", () => {
    // Offsets 7 then 3 again: the stream re-fetched from the committed offset after a group join.
    const [only] = compactByKey([ch(1, 20, { status: "new" }, { offset: 7 }), ch(1, 10, { status: "old" }, { offset: 3 })]);
    assert.equal(only?.lsn, 20);
    assert.deepEqual(only?.doc, { status: "new" });
  });

  it("keeps a streamed change over a snapshot image of the same row with a higher LSN", () => {
    const [only] = compactByKey([ch(1, 500, { status: "snapshot" }, { phase: SNAPSHOT }), ch(1, 400, { status: "committed after the snapshot" })]);
    assert.equal(only?.doc?.status, "committed after the snapshot");
  });

  it("keeps the change of the newer epoch whatever its LSN", () => {
    const [only] = compactByKey([ch(1, 9_000, { status: "old server" }, { epoch: 1 }), ch(1, 10, { status: "new server" }, { epoch: 2 })]);
    assert.equal(only?.doc?.status, "new server");
  });

  it("treats the number 5 and Long(5) as one key but the string '5' as another", () => {
    assert.equal(idKey(5), idKey(Long.fromNumber(5)));
    assert.notEqual(idKey(5), idKey("5"));
    assert.equal(compactByKey([ch(5, 1, { a: 1 }), ch(Long.fromNumber(5), 2, { a: 2 }), ch("5", 3, { a: 3 })]).length, 2);
  });

  it("writes a partial image after the full image of the same key, never merged into it (issue 14 §1.1)", () => {
    // L1 full (notes=A), L3 partial (status only); L2 (notes=B) is stored, not in this batch.
    const rounds = compactRounds([ch(1, 11, { status: "paid" }, { partial: true, offset: 1 }), ch(1, 10, { notes: "A", status: "new" }, { offset: 2 })]);
    assert.deepEqual(
      rounds.map((r) => r.map((c) => [c.lsn, c.partial, c.doc])),
      [[[10, false, { notes: "A", status: "new" }]], [[11, true, { status: "paid" }]]],
    );
  });

  it("drops partial images older than the newest full image, keeps those after it in version order", () => {
    const rounds = compactRounds([ch(1, 13, { a: 3 }, { partial: true }), ch(1, 11, { a: 1 }, { partial: true }), ch(1, 12, { a: 2, b: 2 }), ch(1, 14, { b: 4 }, { partial: true })]);
    assert.deepEqual(
      rounds.map((r) => r.map((c) => c.lsn)),
      [[12], [13], [14]],
    );
  });

  it("writes partial images of a key with no full image each in its own round", () => {
    const rounds = compactRounds([ch(1, 11, { a: 1 }, { partial: true }), ch(2, 5, { x: 1 }), ch(1, 12, { b: 2 }, { partial: true })]);
    assert.deepEqual(
      rounds.map((r) => r.map((c) => [c.id, c.lsn])),
      [[[1, 11], [2, 5]], [[1, 12]]],
    );
  });
});

describe("mergeDocs", () => {
  it("applies dotted sub-fields into the nested object", () => {
    assert.deepEqual(mergeDocs({ address: { city: "A", zip: "1" } }, { "address.city": "B" }), { address: { city: "B", zip: "1" } });
  });
});
