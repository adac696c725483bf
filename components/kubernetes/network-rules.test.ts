import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { admitted, compareWithTable, Endpoint, Policy } from "./network-eval";
import { NetworkInputs, networkEdges, reachabilityTable, renderPolicies, WORKLOADS, Workload } from "./network-rules";
import { rng } from "../testing/seeded";

const NS = "coexist-staging";
const DEFAULT_DENY: Policy[] = [
  { namespace: NS, spec: { podSelector: { matchLabels: {} }, policyTypes: ["Ingress"] } },
  { namespace: NS, spec: { podSelector: { matchLabels: {} }, policyTypes: ["Egress"] } },
];
const base: NetworkInputs = {
  namespace: NS, postgresInCluster: true, mongodbInCluster: true, kafkaInCluster: true, operatorsInstalled: true,
  operators: ["strimzi", "cloudnative-pg", "mongodb-kubernetes"], monitoringNamespace: "monitoring", metricsPort: 9464, slotMetricsPort: 9465,
  egressCidrs: { apiServer: ["10.96.0.1/32"], gateway: ["10.20.0.0/16"], connect: ["192.0.2.0/24"] },
  gatewayUpstreams: [{ namespace: "apps", port: 8000 }],
};
const SHAPES: [string, NetworkInputs][] = [
  ["staging: everything in the cluster, operators installed", base],
  ["prod: Atlas by CIDR", { ...base, mongodbInCluster: false, operators: ["strimzi", "cloudnative-pg"], egressCidrs: { ...base.egressCidrs, sync: ["198.51.100.0/24"], reconciler: ["198.51.100.0/24"], mongoInit: ["198.51.100.0/24"] } }],
  ["operators run by the platform team in cnpg-system", { ...base, operatorsInstalled: false, operatorNamespace: "cnpg-system" }],
  ["external PostgreSQL and Kafka, no monitoring", { ...base, postgresInCluster: false, kafkaInCluster: false, monitoringNamespace: undefined, egressCidrs: { connect: ["203.0.113.0/24"], reconciler: ["203.0.113.0/24"], slotExporter: ["203.0.113.0/24"], cdcSetup: ["203.0.113.0/24"], sync: ["203.0.113.0/24"] } }],
];

/** A seeded PRNG (mulberry32): the seed is printed, so a failure replays. */
const SEED = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);

describe("the namespace's network rules", () => {
  it(`admit exactly the table's edges and nothing else, for every pair of pods and addresses and every port (seed ${SEED})`, () => {
    const rand = rng(SEED);
    for (const [shape, n] of SHAPES) {
      const edges = networkEdges(n);
      const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(edges).map((p) => ({ namespace: n.namespace, spec: p.spec }))];
      const r = compareWithTable(policies, edges, n.namespace, rand, n.operatorNamespace);
      assert.deepEqual(r.mismatches.slice(0, 5), [], `${shape} (COEXIST_SEED=${SEED})`);
      const [checked, open] = [r.checked, r.admitted];
      process.stdout.write(`# ${shape}: ${checked} connections checked, ${open} admitted, ${edges.length} edges\n`);
    }
  });

  it("admit no pod of another namespace that carries an operator's (or any workload's) labels", () => {
    for (const [shape, n] of SHAPES) {
      const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(networkEdges(n)).map((p) => ({ namespace: n.namespace, spec: p.spec }))];
      for (const [w, labels] of Object.entries(WORKLOADS)) {
        const intruder: Endpoint = { pod: { namespace: "intruder", labels } };
        for (const target of Object.keys(WORKLOADS) as Workload[]) {
          if (target === "gateway") continue; // the public proxy is open to all, on 8000 only
          for (const port of [5432, 8000, 27017, 9090, 9091, 9092, 8083, 9464, 9465, 22]) {
            assert.equal(admitted(policies, intruder, { pod: { namespace: n.namespace, labels: WORKLOADS[target] } }, { port, protocol: "TCP" }), false, `${shape}: intruder/${w} -> ${target}:${port}`);
          }
        }
      }
    }
  });

  it("open PostgreSQL to the CloudNativePG operator on 5432 and 8000 only, from its own namespace", () => {
    const n = SHAPES[2]![1];
    const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(networkEdges(n)).map((p) => ({ namespace: n.namespace, spec: p.spec }))];
    const op: Endpoint = { pod: { namespace: "cnpg-system", labels: WORKLOADS.cnpgOperator } };
    const pg: Endpoint = { pod: { namespace: NS, labels: WORKLOADS.postgres } };
    assert.deepEqual([5432, 8000, 9187, 22].map((port) => admitted(policies, op, pg, { port, protocol: "TCP" })), [true, true, false, false]);
    const rendered = JSON.stringify(renderPolicies(networkEdges(n)));
    assert.ok(!rendered.includes('"namespaceSelector":{}'), "no peer selects every namespace");
  });

  it("deny egress by default: DNS only to kube-system's resolver, nothing to the internet unless listed", () => {
    const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(networkEdges(base)).map((p) => ({ namespace: NS, spec: p.spec }))];
    const sync: Endpoint = { pod: { namespace: NS, labels: WORKLOADS.sync } };
    assert.equal(admitted(policies, sync, { pod: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } } }, { port: 53, protocol: "UDP" }), true);
    assert.equal(admitted(policies, sync, { pod: { namespace: "intruder", labels: { "k8s-app": "kube-dns" } } }, { port: 53, protocol: "UDP" }), false);
    assert.equal(admitted(policies, sync, { ip: "8.8.8.8" }, { port: 443, protocol: "TCP" }), false);
    assert.equal(admitted(policies, { pod: { namespace: NS, labels: WORKLOADS.cnpgOperator } }, { ip: "10.96.0.1" }, { port: 443, protocol: "TCP" }), true);
  });

  it("let Strimzi's entity operator reach the brokers' replication listener, DNS and the API server, wherever the cluster operator runs", () => {
    for (const [shape, n] of [SHAPES[0]!, SHAPES[1]!, SHAPES[2]!]) {
      const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(networkEdges(n)).map((p) => ({ namespace: n.namespace, spec: p.spec }))];
      const eo: Endpoint = { pod: { namespace: NS, labels: { "strimzi.io/cluster": "kafka", "strimzi.io/kind": "Kafka", "strimzi.io/component-type": "entity-operator", ...WORKLOADS.entityOperator } } };
      const broker: Endpoint = { pod: { namespace: NS, labels: { "strimzi.io/cluster": "kafka", ...WORKLOADS.kafka } } };
      const reach = (to: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") => admitted(policies, eo, to, { port, protocol });
      assert.deepEqual([9091, 9090, 9093, 8443].map((port) => reach(broker, port)), [true, false, false, false], `${shape}: the entity operator's ports on the brokers`);
      assert.equal(reach({ pod: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } } }, 53, "UDP"), true, `${shape}: DNS`);
      assert.equal(reach({ ip: "10.96.0.1" }, 443), true, `${shape}: the API server (KafkaTopics, KafkaUsers, the users' Secrets)`);
      assert.equal(reach({ ip: "8.8.8.8" }, 443), false, `${shape}: nothing else`);
    }
  });

  it("let the Strimzi cluster operator reach the brokers' control, replication and agent ports and the API server", () => {
    for (const [shape, n, opNs] of [[SHAPES[0]![0], SHAPES[0]![1], NS], [SHAPES[2]![0], SHAPES[2]![1], "cnpg-system"]] as const) {
      const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(networkEdges(n)).map((p) => ({ namespace: n.namespace, spec: p.spec }))];
      const co: Endpoint = { pod: { namespace: opNs, labels: { "strimzi.io/kind": "cluster-operator", ...WORKLOADS.strimziOperator } } };
      const broker: Endpoint = { pod: { namespace: NS, labels: WORKLOADS.kafka } };
      assert.deepEqual([9090, 9091, 8443, 9093].map((port) => admitted(policies, co, broker, { port, protocol: "TCP" })), [true, true, true, false], `${shape}: the cluster operator's ports on the brokers`);
    }
    const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(networkEdges(base)).map((p) => ({ namespace: NS, spec: p.spec }))];
    assert.equal(admitted(policies, { pod: { namespace: NS, labels: WORKLOADS.strimziOperator } }, { ip: "10.96.0.1" }, { port: 443, protocol: "TCP" }), true);
  });

  it("render one table from the same edges", () => {
    const table = reachabilityTable(networkEdges(base), NS);
    assert.match(table, /^\| from \| to \| ports \| why \|/);
    assert.ok(table.includes("| cnpg-operator (coexist-staging) | postgres (coexist-staging) | 5432/TCP, 8000/TCP |"), table);
    assert.equal(table.split("\n").length, networkEdges(base).length + 2);
  });
});

describe("Kong's upstreams", () => {
  it("are opened by their namespace and port, from in-cluster URLs only", async () => {
    const { inClusterUpstreams } = await import("./network-rules");
    assert.deepEqual(inClusterUpstreams(["http://orders.coexist.svc.cluster.local:8000", "http://users.coexist.svc:8000", "https://api.example.com", "http://a.b.svc.cluster.local", undefined]), [{ namespace: "coexist", port: 8000 }, { namespace: "b", port: 80 }]);
    const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(networkEdges(base)).map((p) => ({ namespace: NS, spec: p.spec }))];
    const gw: Endpoint = { pod: { namespace: NS, labels: WORKLOADS.gateway } };
    assert.equal(admitted(policies, gw, { pod: { namespace: "apps", labels: { app: "orders" } } }, { port: 8000, protocol: "TCP" }), true);
    assert.equal(admitted(policies, gw, { pod: { namespace: "apps", labels: { app: "orders" } } }, { port: 5432, protocol: "TCP" }), false);
    assert.equal(admitted(policies, gw, { pod: { namespace: "intruder", labels: { app: "orders" } } }, { port: 8000, protocol: "TCP" }), false);
  });
});

