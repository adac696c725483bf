import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withoutEmptyProperties } from "./operators";

describe("operator CRDs as applied", () => {
  it("drop empty `properties` maps, which the API server does not store (a diff on every preview otherwise)", () => {
    const schema = { type: "object", properties: { status: { type: "object", properties: { clusterSecurity: { type: "object", properties: {} } } } } };
    assert.deepEqual(withoutEmptyProperties(schema), { type: "object", properties: { status: { type: "object", properties: { clusterSecurity: { type: "object" } } } } });
  });

  it("keep everything else, including empty values that mean something", () => {
    const value = { required: [], enum: ["a"], default: {}, "x-kubernetes-preserve-unknown-fields": true, properties: { a: { type: "string" } } };
    assert.deepEqual(withoutEmptyProperties(value), value);
  });
});
