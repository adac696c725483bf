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

import type * as pulumi from "@pulumi/pulumi";
import { clusterScopedPerStack, perStackName } from "./operators";

/**
 * The cluster-scoped objects Strimzi's chart 1.2.0 renders for a release watching its own namespace
 * (rbac.create and createGlobalResources at their defaults), as read from the chart's templates:
 * names without the release, bindings whose subject is the release's ServiceAccount.
 */
function strimziClusterScoped(release: string, namespace: string): pulumi.ResourceTransformArgs[] {
  const labels = { app: "strimzi", chart: "strimzi-kafka-operator-1.2.0", release, heritage: "Helm" };
  const role = (name: string) => ({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name, labels: { ...labels, component: "role" } }, rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }] });
  const binding = (name: string, roleRef: string) => ({
    apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name, labels: { ...labels, component: "role-binding" } },
    subjects: [{ kind: "ServiceAccount", name: "strimzi-cluster-operator", namespace }],
    roleRef: { kind: "ClusterRole", name: roleRef, apiGroup: "rbac.authorization.k8s.io" },
  });
  const objects = [
    ...["strimzi-cluster-operator-namespaced", "strimzi-cluster-operator-global", "strimzi-cluster-operator-leader-election", "strimzi-cluster-operator-watched", "strimzi-kafka-broker", "strimzi-entity-operator", "strimzi-kafka-client"].map(role),
    binding("strimzi-cluster-operator", "strimzi-cluster-operator-global"),
    binding("strimzi-cluster-operator-kafka-broker-delegation", "strimzi-kafka-broker"),
    binding("strimzi-cluster-operator-kafka-client-delegation", "strimzi-kafka-client"),
  ];
  return objects.map((o) => ({ custom: true, type: `kubernetes:rbac.authorization.k8s.io/v1:${o.kind}`, name: `chart:${o.metadata.name}`, props: o, opts: {} }));
}

async function rendered(release: string, namespace: string, transform?: pulumi.ResourceTransform) {
  return Promise.all(strimziClusterScoped(release, namespace).map(async (args) => {
    const out = transform ? (await transform(args)) ?? args : args;
    return { kind: (out.props as { kind: string }).kind, props: out.props as Record<string, unknown> & { metadata: { name: string } }, retained: out.opts?.retainOnDelete === true };
  }));
}

/** Each cluster-scoped name the two stacks apply: either one stack's alone, or one object both apply identically and neither deletes. */
async function clashes(transformFor: (release: string, namespace: string) => pulumi.ResourceTransform | undefined): Promise<string[]> {
  const a = await rendered("strimzi-kafka-operator-coexist-a", "coexist-a", transformFor("strimzi-kafka-operator-coexist-a", "coexist-a"));
  const b = await rendered("strimzi-kafka-operator-coexist-b", "coexist-b", transformFor("strimzi-kafka-operator-coexist-b", "coexist-b"));
  const out: string[] = [];
  for (const x of a) {
    const y = b.find((o) => o.kind === x.kind && o.props.metadata.name === x.props.metadata.name);
    if (!y) continue;
    if (JSON.stringify(x.props) !== JSON.stringify(y.props)) out.push(`${x.kind} ${x.props.metadata.name}: the stacks apply different objects under one name`);
    else if (!x.retained || !y.retained) out.push(`${x.kind} ${x.props.metadata.name}: shared, but deleted by the first stack's destroy`);
  }
  return out;
}

describe("Strimzi's chart installed by two stacks on one cluster", () => {
  it("clashes on its fixed-name cluster RBAC objects as the chart renders them", async () => {
    const found = await clashes(() => undefined);
    assert.ok(found.some((c) => c.startsWith("ClusterRoleBinding strimzi-cluster-operator:")), found.join("\n"));
    assert.ok(found.some((c) => c.startsWith("ClusterRole strimzi-kafka-broker:")), found.join("\n"));
  });

  it("coexists once each stack's install is transformed: bindings per stack, roles shared, identical and retained", async () => {
    assert.deepEqual(await clashes(clusterScopedPerStack), []);
  });

  it("binds each stack's operator under a name of its own, to the same shared roles the operator names", async () => {
    const a = await rendered("strimzi-kafka-operator-coexist-a", "coexist-a", clusterScopedPerStack("strimzi-kafka-operator-coexist-a", "coexist-a"));
    const roles = new Set(a.filter((o) => o.kind === "ClusterRole").map((o) => o.props.metadata.name));
    // The operator itself refers to these two by name (rack awareness): they must keep it.
    assert.ok(roles.has("strimzi-kafka-broker") && roles.has("strimzi-kafka-client"));
    for (const o of a.filter((x) => x.kind === "ClusterRoleBinding")) {
      assert.match(o.props.metadata.name, /-coexist-a$/);
      assert.ok(roles.has((o.props.roleRef as { name: string }).name), `${o.props.metadata.name} refers to a role the chart renders`);
      assert.deepEqual(o.props.subjects, [{ kind: "ServiceAccount", name: "strimzi-cluster-operator", namespace: "coexist-a" }]);
      assert.equal(o.retained, false, "a stack's own binding goes with the stack");
    }
  });

  it("leaves objects named after the release (CloudNativePG's) and everything namespaced alone", async () => {
    const t = clusterScopedPerStack("cloudnative-pg-coexist-a", "coexist-a");
    const own = { custom: true, type: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", name: "x", props: { metadata: { name: "cloudnative-pg-coexist-a", labels: { release: "cloudnative-pg-coexist-a" } } }, opts: {} };
    assert.equal(await t(own), undefined);
    assert.equal(await t({ ...own, type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", props: { metadata: { name: "strimzi-cluster-operator" } } }), undefined);
  });

  it("keeps a per-stack name within the API server's 253 characters", () => {
    assert.equal(perStackName("strimzi-cluster-operator", "coexist-a"), "strimzi-cluster-operator-coexist-a");
    assert.equal(perStackName("x".repeat(300), "n".repeat(63)).length, 253);
  });
});
