import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseJsonLossless } from "./json.js";

describe("parseJsonLossless", () => {
  it("keeps int64 values beyond 2^53 exact as bigint", () => {
    const v = parseJsonLossless('{"order_id":9223372036854775807,"small":42,"neg":-9007199254740993}') as Record<string, unknown>;
    assert.equal(v.order_id, 9223372036854775807n);
    assert.equal(v.small, 42);
    assert.equal(v.neg, -9007199254740993n);
  });

  it("parses nested structures, escapes and floats like JSON.parse on the slow path", () => {
    const text = '{"id":12345678901234567890,"s":"a\\"b\\u00e9\\\\","f":1.5e3,"a":[1,{"b":null}],"t":true,"x":false}';
    const v = parseJsonLossless(text) as Record<string, unknown>;
    const { id, ...rest } = v;
    const { id: _ignored, ...expected } = JSON.parse(text) as Record<string, unknown>;
    assert.equal(id, 12345678901234567890n);
    assert.deepEqual(rest, expected);
  });

  it("keeps a __proto__ key as data", () => {
    const v = parseJsonLossless('{"__proto__":{"polluted":1},"n":12345678901234567890}') as Record<string, unknown>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.keys(v), ["__proto__", "n"]);
  });

  it("rejects malformed input on both paths", () => {
    assert.throws(() => parseJsonLossless("{not json"), SyntaxError);
    assert.throws(() => parseJsonLossless('{"a":12345678901234567890,}'), SyntaxError);
    assert.throws(() => parseJsonLossless('{"a":12345678901234567890} x'), SyntaxError);
  });
});

describe("parseJsonLossless with fields that may be rounded", () => {
  it("keeps other 64-bit integers exact while ignoring the roundable ones", () => {
    const text = '{"ts_ns":1795703697799387000,"id":9223372036854775807}';
    const v = parseJsonLossless(text, ["ts_us", "ts_ns"]) as { id: unknown };
    assert.equal(v.id, 9223372036854775807n);
  });

  it("takes the fast path when only roundable fields have 16+ digits", () => {
    const v = parseJsonLossless('{"ts_ns":1795703697799387000,"lsn":26656072}', ["ts_us", "ts_ns"]) as { ts_ns: unknown; lsn: unknown };
    assert.equal(typeof v.ts_ns, "number");
    assert.equal(v.lsn, 26656072);
  });

  it("still takes the slow path for a long integer in a field that is not roundable", () => {
    const v = parseJsonLossless('{"ts_ns":1795703697799387000,"xts_ns":1795703697799387001}', ["ts_ns"]) as { xts_ns: unknown };
    assert.equal(v.xts_ns, 1795703697799387001n);
  });
});
