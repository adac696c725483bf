import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Long } from "mongodb";
import { compareRows, findExtras, type Divergence } from "./compare.js";
import { contentHash } from "./hash.js";
import { encodeVersion, SNAPSHOT, STREAM, version } from "../sync/version.js";
import { buildRepairOps, isAhead } from "./repair.js";

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
  it("makes every repair a compare-and-set on the observed _v, written at a version later changes beat", () => {
    const at = version(1, SNAPSHOT, 0x500);
    const divergences: Divergence[] = [
      { kind: "missing", id: 1, expected: exp(1, { v: "a" }), observed: null },
      { kind: "missing", id: 2, expected: exp(2, { v: "b" }), observed: { _id: 2, _deleted: true, _v: "00000001-1-0000000000000040" } },
      { kind: "different", id: 3, expected: exp(3, { v: "c" }), observed: { _id: 3, v: "x", _v: "00000001-1-ffffffffffff0000" } },
      { kind: "extra", id: 4, observed: { _id: 4, _v: "00000001-1-0000000000000060" } },
      { kind: "different", id: 5, expected: exp(5, { v: "e" }), observed: { _id: 5, v: "x", _lsn: 9 } },
    ];
    const meta = { _v: "00000001-0-0000000000000500", _lsn: 0x500, _source: "postgresql:public.t", _synced_at: now };
    assert.deepEqual(buildRepairOps(divergences, "public.t", at, now), [
      { insertOne: { document: { _id: 1, v: "a", ...meta } } },
      { replaceOne: { filter: { _id: 2, _v: "00000001-1-0000000000000040", _deleted: true }, replacement: { v: "b", ...meta } } },
      { replaceOne: { filter: { _id: 3, _v: "00000001-1-ffffffffffff0000" }, replacement: { v: "c", ...meta } } },
      { replaceOne: { filter: { _id: 4, _v: "00000001-1-0000000000000060", _deleted: { $ne: true } }, replacement: { _deleted: true, ...meta } } },
      { replaceOne: { filter: { _id: 5, _v: { $exists: false } }, replacement: { v: "e", ...meta } } },
    ]);
    assert.ok(encodeVersion(version(1, STREAM, 1)) > meta._v, "any streamed change of the generation beats a repair");
  });
});

describe("isAhead", () => {
  it("flags a document from a later epoch or past the source's WAL position, and nothing else", () => {
    assert.equal(isAhead({ _v: encodeVersion(version(1, STREAM, 0x100)) }, 1, 0x200n), false);
    assert.equal(isAhead({ _v: encodeVersion(version(1, STREAM, 0x300)) }, 1, 0x200n), true);
    assert.equal(isAhead({ _v: encodeVersion(version(2, SNAPSHOT, 1)) }, 1, 0x200n), true);
    assert.equal(isAhead({ _v: encodeVersion(version(0, STREAM, 0xffff_ffff)) }, 1, 0x200n), false, "an older epoch is behind, whatever its LSN");
    assert.equal(isAhead({ _lsn: 5 }, 1, 0x200n), false);
  });

  it("reports a frozen document with the right content as ahead", () => {
    const out = compareRows([exp(1, { v: "a" })], [{ _id: 1, v: "a", _v: encodeVersion(version(0, STREAM, 0xfff)) }], (d) => isAhead(d, 0, 0x10n));
    assert.deepEqual(
      out.map((d) => d.kind),
      ["ahead"],
    );
  });
});
