import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Long } from "mongodb";
import { TransformError, transforms } from "./transforms.js";

describe("transforms", () => {
  it("order: parses items left as a string, stringifies customer_id, dates timestamps", () => {
    const out = transforms.order({ order_id: 1, customer_id: 42, items: '[{"sku":"A","qty":2}]', created_at: "2024-01-02T03:04:05.678901Z", updated_at: null });
    assert.deepEqual(out, { order_id: 1, customer_id: "42", items: [{ sku: "A", qty: 2 }], created_at: new Date("2024-01-02T03:04:05.678Z"), updated_at: null });
  });

  it("order: stringifies a Long customer_id exactly", () => {
    assert.equal(transforms.order({ customer_id: Long.fromString("9223372036854775807") }).customer_id, "9223372036854775807");
  });

  it("order: rejects items that are not an array", () => {
    assert.throws(() => transforms.order({ items: '{"a":1}' }), TransformError);
  });

  it("customer: nests the address columns, keeping NULLs", () => {
    const out = transforms.customer({ customer_id: 7, name: "Zoë", address_line1: "1 rue de la Paix", address_line2: null, city: "Paris", state: null, zip_code: "75002", country: "FR" });
    assert.deepEqual(out, { customer_id: 7, name: "Zoë", address: { line1: "1 rue de la Paix", line2: null, city: "Paris", state: null, zip: "75002", country: "FR" } });
  });

  it("customer: with a column missing (TOAST), sets only the known sub-fields by path", () => {
    const out = transforms.customer({ customer_id: 7, address_line1: "x", city: "Lyon", state: null, zip_code: "69001", country: "FR" });
    assert.deepEqual(out, { customer_id: 7, "address.line1": "x", "address.city": "Lyon", "address.state": null, "address.zip": "69001", "address.country": "FR" });
  });

  it("product: parses attributes into an object and rejects non-objects", () => {
    assert.deepEqual(transforms.product({ product_id: 1, attributes: '{"color":"red"}' }), { product_id: 1, attributes: { color: "red" } });
    assert.deepEqual(transforms.product({ product_id: 1, attributes: { color: "red" } }), { product_id: 1, attributes: { color: "red" } });
    assert.throws(() => transforms.product({ attributes: "[1]" }), TransformError);
  });

  it("identity: copies the row without sharing it", () => {
    const row = { a: 1 };
    const out = transforms.identity(row);
    assert.deepEqual(out, row);
    assert.notEqual(out, row);
  });
});
