import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Decimal128 } from "mongodb";
import { decimalBase64 } from "../testing/records.js";
import { decimalText, encodeDecimal, unscaledFromBase64, UnrepresentableValueError } from "./decimal.js";

describe("Connect Decimal decoding", () => {
  for (const n of [0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 10n ** 37n, -(10n ** 37n), 99999999999999999999999999999999999999n]) {
    it(`round-trips the unscaled value ${n} through big-endian two's complement`, () => {
      assert.equal(unscaledFromBase64(decimalBase64(n)), n);
    });
  }

  it("renders the scale's digits, including trailing zeros and tiny negatives", () => {
    assert.equal(decimalText(0n, 18), "0.000000000000000000");
    assert.equal(decimalText(-1n, 18), "-0.000000000000000001");
    assert.equal(decimalText(12345n, 2), "123.45");
    assert.equal(decimalText(5n, 0), "5");
    assert.equal(decimalText(5n, -3), "5000");
  });

  it("stores 34 significant digits exactly as Decimal128", () => {
    const text = "9999999999999999.999999999999999999";
    const d = encodeDecimal(text, "total", "decimal128");
    assert.ok(d instanceof Decimal128);
    assert.equal(d.toString(), text);
  });

  it("refuses to round a 38-digit NUMERIC(38,18) value and names the field and the fix", () => {
    assert.throws(
      () => encodeDecimal("99999999999999999999.999999999999999999", "total", "decimal128"),
      (e: Error) => e instanceof UnrepresentableValueError && /"total"/.test(e.message) && /NUMERIC\(34,18\)/.test(e.message),
    );
  });

  it("applies the same exactness rule in the FerretDB string encoding", () => {
    assert.equal(encodeDecimal("-0.000000000000000001", "total", "string"), "-0.000000000000000001");
    assert.throws(() => encodeDecimal("99999999999999999999.999999999999999999", "total", "string"), UnrepresentableValueError);
  });
});
