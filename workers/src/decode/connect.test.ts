import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Binary, Decimal128, Long } from "mongodb";
import { decimalBase64 } from "../testing/records.js";
import { decodeRow, decodeValue, DecodeError, UNAVAILABLE_PLACEHOLDER, type ConnectSchema } from "./connect.js";

const opts = { decimals: "decimal128" as const };
const f = (field: string, type: string, name?: string, parameters?: Record<string, string>): ConnectSchema => ({
  field,
  type,
  optional: true,
  ...(name ? { name } : {}),
  ...(parameters ? { parameters } : {}),
});

describe("decodeValue", () => {
  it("turns Decimal into an exact Decimal128 using the schema's scale", () => {
    const v = decodeValue(f("total", "bytes", "org.apache.kafka.connect.data.Decimal", { scale: "18" }), decimalBase64(-1n), "total", opts);
    assert.ok(v instanceof Decimal128);
    assert.equal(v.toString(), "-1E-18");
  });

  it("turns VariableScaleDecimal {scale, value} into Decimal128", () => {
    const v = decodeValue(f("n", "struct", "io.debezium.data.VariableScaleDecimal"), { scale: 3, value: decimalBase64(-12345n) }, "n", opts);
    assert.equal((v as Decimal128).toString(), "-12.345");
  });

  it("parses ZonedTimestamp with microseconds into a Date truncated to milliseconds", () => {
    const v = decodeValue(f("t", "string", "io.debezium.time.ZonedTimestamp"), "2024-11-23T10:15:30.123999Z", "t", opts);
    assert.deepEqual(v, new Date("2024-11-23T10:15:30.123Z"));
  });

  it("converts MicroTimestamp, Timestamp and Date (days) to Dates, flooring before the epoch", () => {
    assert.deepEqual(decodeValue(f("t", "int64", "io.debezium.time.MicroTimestamp"), 1_732_356_930_123_999, "t", opts), new Date(1_732_356_930_123));
    assert.deepEqual(decodeValue(f("t", "int64", "io.debezium.time.MicroTimestamp"), -1, "t", opts), new Date(-1));
    assert.deepEqual(decodeValue(f("t", "int64", "io.debezium.time.Timestamp"), 1_732_356_930_123, "t", opts), new Date(1_732_356_930_123));
    assert.deepEqual(decodeValue(f("d", "int32", "io.debezium.time.Date"), 20_000, "d", opts), new Date("2024-10-04T00:00:00Z"));
  });

  it("parses the Json logical type into objects and arrays", () => {
    assert.deepEqual(decodeValue(f("j", "string", "io.debezium.data.Json"), '{"a":[1,"é"]}', "j", opts), { a: [1, "é"] });
  });

  it("keeps NULL as null whatever the type", () => {
    assert.equal(decodeValue(f("t", "string", "io.debezium.time.ZonedTimestamp"), null, "t", opts), null);
    assert.equal(decodeValue(f("n", "bytes", "org.apache.kafka.connect.data.Decimal", { scale: "2" }), null, "n", opts), null);
  });

  it("keeps int64 exact: safe values as numbers, larger ones as Long", () => {
    assert.equal(decodeValue(f("i", "int64"), 42, "i", opts), 42);
    const big = decodeValue(f("i", "int64"), 9223372036854775807n, "i", opts);
    assert.ok(big instanceof Long);
    assert.equal(big.toString(), "9223372036854775807");
  });

  it("decodes bytes to BSON Binary", () => {
    const v = decodeValue(f("b", "bytes"), Buffer.from([1, 2, 3]).toString("base64"), "b", opts);
    assert.ok(v instanceof Binary);
    assert.deepEqual([...(v as Binary).buffer], [1, 2, 3]);
  });

  it("names the field and the mismatch when a value does not fit its schema", () => {
    assert.throws(() => decodeValue(f("status", "string"), 3, "status", opts), (e: Error) => e instanceof DecodeError && /"status"/.test(e.message));
    assert.throws(() => decodeValue(f("j", "string", "io.debezium.data.Json"), "{oops", "j", opts), DecodeError);
  });
});

describe("decodeRow", () => {
  it("reports columns Debezium could not read (unchanged TOAST) instead of storing the placeholder", () => {
    const schema = { type: "struct", fields: [f("id", "int64"), f("notes", "string"), f("items", "string", "io.debezium.data.Json")] };
    const out = decodeRow(schema, { id: 1, notes: UNAVAILABLE_PLACEHOLDER, items: "[]" }, opts);
    assert.deepEqual(out.row, { id: 1, items: [] });
    assert.deepEqual(out.unavailable, ["notes"]);
  });

  it("reports an unchanged TOASTed array column (a one-element array of the placeholder), issue 14 §1.8", () => {
    const schema = { type: "struct", fields: [f("id", "int64"), { field: "tags", type: "array", optional: true, items: { type: "string", optional: true } }, { field: "blobs", type: "array", optional: true, items: { type: "bytes", optional: true } }] };
    const out = decodeRow(schema, { id: 1, tags: [UNAVAILABLE_PLACEHOLDER], blobs: [Buffer.from(UNAVAILABLE_PLACEHOLDER).toString("base64")] }, opts);
    assert.deepEqual(out.row, { id: 1 });
    assert.deepEqual(out.unavailable, ["tags", "blobs"]);
    // A real one-element array is a value.
    assert.deepEqual(decodeRow(schema, { id: 1, tags: ["x"], blobs: [] }, opts).unavailable, []);
  });

  it("refuses an unflattened envelope", () => {
    assert.throws(() => decodeRow({ type: "string" }, {}, opts), /flattening SMT/);
  });
});
