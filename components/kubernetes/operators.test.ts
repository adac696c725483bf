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

import { namespacedValues, OPERATORS, releaseName } from "./operators";

describe("operators installed per stack", () => {
  it("watch their stack's namespace only, over the pinned values", () => {
    assert.deepEqual(namespacedValues("cloudnative-pg", "coexist-a", { crds: { create: false } }), { crds: { create: false }, config: { clusterWide: false } });
    assert.deepEqual(namespacedValues("mongodb-kubernetes", "coexist-a", { operator: { watchedResources: ["mongodbcommunity"] } }), { operator: { watchedResources: ["mongodbcommunity"], watchNamespace: "coexist-a" } });
    assert.deepEqual(namespacedValues("strimzi", "coexist-a", {}), { watchNamespaces: [], watchAnyNamespace: false });
  });

  it("get a release name per stack, so two stacks' charts name their objects apart", () => {
    for (const op of OPERATORS) {
      assert.notEqual(releaseName(op, "coexist-staging"), releaseName(op, "coexist-pr-7"));
      assert.match(releaseName(op, "x".repeat(80)), /^[a-z0-9-]{1,53}$/);
    }
  });
});
