import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Decimal128 } from "mongodb";
import { decimalBase64 } from "../testing/records.js";
import { decimalText, encodeDecimal, encodeUnscaled, unscaledFromBase64, UnrepresentableValueError } from "./decimal.js";

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

  it("encodes unscaled values exactly as the text path does, byte for byte, on both encodings", () => {
    let seed = 42n;
    const next = () => (seed = (seed * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n));
    const cases: Array<[bigint, number]> = [[0n, 0], [0n, 18], [-1n, 18], [5n, -3], [10n ** 34n - 1n, 0], [-(10n ** 34n - 1n), 34], [10n ** 34n - 1n, 18], [1n, 6176], [1n, -6111]];
    for (let i = 0; i < 500; i++) {
      const digits = Number(next() % 34n) + 1;
      const magnitude = next() * next() % 10n ** BigInt(digits);
      cases.push([next() % 2n === 0n ? magnitude : -magnitude, Number(next() % 40n) - 4]);
    }
    for (const [unscaled, scale] of cases) {
      const viaText = encodeDecimal(decimalText(unscaled, scale), "total", "decimal128") as Decimal128;
      const direct = encodeUnscaled(unscaled, scale, "total", "decimal128") as Decimal128;
      assert.deepEqual(direct.bytes, viaText.bytes, `${unscaled} scale ${scale}`);
      assert.equal(encodeUnscaled(unscaled, scale, "total", "string"), decimalText(unscaled, scale));
    }
  });

  it("refuses the same values on the direct path, with the same message", () => {
    assert.throws(() => encodeUnscaled(99999999999999999999999999999999999999n, 18, "total", "decimal128"), (e: Error) => e instanceof UnrepresentableValueError && /NUMERIC\(34,18\)/.test(e.message));
    assert.throws(() => encodeUnscaled(99999999999999999999999999999999999999n, 18, "total", "string"), UnrepresentableValueError);
  });
});
