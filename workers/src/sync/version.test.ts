import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareVersions, decodeVersion, encodeVersion, SNAPSHOT, STREAM, version } from "./version.js";

describe("document versions", () => {
  it("order streamed changes after any snapshot image of the same epoch, whatever their LSNs", () => {
    const snapshot = version(1, SNAPSHOT, 0x2000);
    const streamedEarlierLsn = version(1, STREAM, 0x1000);
    assert.equal(compareVersions(streamedEarlierLsn, snapshot), 1);
    assert.ok(encodeVersion(streamedEarlierLsn) > encodeVersion(snapshot));
  });

  it("order every change of a newer epoch after any change of an older one", () => {
    const old = version(1, STREAM, (1n << 63n) + 5n);
    const fresh = version(2, SNAPSHOT, 1);
    assert.equal(compareVersions(fresh, old), 1);
    assert.ok(encodeVersion(fresh) > encodeVersion(old));
  });

  it("compare as strings exactly as they compare as tuples", () => {
    const vs = [version(0, STREAM, 0), version(0, STREAM, 15), version(0, STREAM, 16), version(0, SNAPSHOT, 255), version(3, SNAPSHOT, 0), version(0xffff_ffff, STREAM, (1n << 64n) - 1n)];
    for (const a of vs) {
      for (const b of vs) {
        const s = encodeVersion(a) < encodeVersion(b) ? -1 : encodeVersion(a) > encodeVersion(b) ? 1 : 0;
        assert.equal(s, compareVersions(a, b), `${encodeVersion(a)} vs ${encodeVersion(b)}`);
      }
    }
  });

  it("round-trip through their string form", () => {
    const v = version(7, STREAM, 0x1_6b3a_28n);
    assert.equal(encodeVersion(v), "00000007-1-00000000016b3a28");
    assert.deepEqual(decodeVersion(encodeVersion(v)), v);
  });

  it("refuse values that cannot be encoded in fixed width", () => {
    assert.throws(() => version(-1, STREAM, 0), /epoch -1/);
    assert.throws(() => version(2 ** 32, STREAM, 0), /epoch/);
    assert.throws(() => version(0, STREAM, -1n), /lsn -1/);
    assert.throws(() => decodeVersion("12"), /not a document version/);
  });
});
