import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Long } from "mongodb";
import { compareRows, findExtras, type Divergence } from "./compare.js";
import { contentHash } from "./hash.js";
import { buildRepairOps } from "./repair.js";

const exp = (id: number, doc: Record<string, unknown>) => ({ id, doc, hash: contentHash(doc) });
const now = new Date("2024-01-01T00:00:00Z");

describe("compareRows", () => {
  it("classifies missing, soft-deleted-but-present and different documents, ignoring sync metadata", () => {
    const found = [
      { _id: 2, v: "same", _lsn: 5, _source: "x", _synced_at: now },
      { _id: 3, _deleted: true, _lsn: 9 },
      { _id: 4, v: "old", _lsn: 7 },
    ];
    const out = compareRows([exp(1, { v: "a" }), exp(2, { v: "same" }), exp(3, { v: "b" }), exp(4, { v: "new" })], found);
    assert.deepEqual(
      out.map((d) => [d.kind, d.id]),
      [
        ["missing", 1],
        ["missing", 3],
        ["different", 4],
      ],
    );
  });

  it("hashes numbers by value whatever BSON type the driver returns", () => {
    assert.equal(contentHash({ n: 5 }), contentHash({ n: Long.fromNumber(5) }));
    assert.equal(contentHash({ a: 1, b: { c: 2, d: 3 } }), contentHash({ b: { d: 3, c: 2 }, a: 1 }));
    assert.notEqual(contentHash({ n: 5 }), contentHash({ n: "5" }));
  });

  it("finds live documents whose key is not among the rows", () => {
    const out = findExtras([{ _id: 1 }, { _id: 2 }], new Set(["n:1"]));
    assert.deepEqual(
      out.map((d) => d.id),
      [2],
    );
  });
});

describe("buildRepairOps", () => {
  it("makes every repair a compare-and-set on the observed _lsn, keeping that _lsn", () => {
    const divergences: Divergence[] = [
      { kind: "missing", id: 1, expected: exp(1, { v: "a" }), observed: null },
      { kind: "missing", id: 2, expected: exp(2, { v: "b" }), observed: { _id: 2, _deleted: true, _lsn: 40 } },
      { kind: "different", id: 3, expected: exp(3, { v: "c" }), observed: { _id: 3, v: "x", _lsn: 50 } },
      { kind: "extra", id: 4, observed: { _id: 4, _lsn: 60 } },
    ];
    const meta = (lsn: number) => ({ _lsn: lsn, _source: "postgresql:public.t", _synced_at: now });
    assert.deepEqual(buildRepairOps(divergences, "public.t", now), [
      { insertOne: { document: { _id: 1, v: "a", ...meta(0) } } },
      { replaceOne: { filter: { _id: 2, _lsn: 40, _deleted: true }, replacement: { v: "b", ...meta(40) } } },
      { replaceOne: { filter: { _id: 3, _lsn: 50 }, replacement: { v: "c", ...meta(50) } } },
      { replaceOne: { filter: { _id: 4, _lsn: 60, _deleted: { $ne: true } }, replacement: { _deleted: true, ...meta(60) } } },
    ]);
  });
});
