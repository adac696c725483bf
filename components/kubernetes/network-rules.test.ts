import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { admitted, Endpoint, inCidr, Policy } from "./network-eval";
import { Edge, End, Labels, NetworkInputs, networkEdges, Port, reachabilityTable, renderPolicies, WORKLOADS, Workload } from "./network-rules";

const NS = "coexist-staging";
const DEFAULT_DENY: Policy[] = [
  { namespace: NS, spec: { podSelector: { matchLabels: {} }, policyTypes: ["Ingress"] } },
  { namespace: NS, spec: { podSelector: { matchLabels: {} }, policyTypes: ["Egress"] } },
];
const base: NetworkInputs = {
  namespace: NS, postgresInCluster: true, mongodbInCluster: true, kafkaInCluster: true, operatorsInstalled: true,
  operators: ["strimzi", "cloudnative-pg", "mongodb-kubernetes"], monitoringNamespace: "monitoring", metricsPort: 9464, slotMetricsPort: 9465,
  egressCidrs: { apiServer: ["10.96.0.1/32"], gateway: ["10.20.0.0/16"], connect: ["192.0.2.0/24"] },
};
const SHAPES: [string, NetworkInputs][] = [
  ["staging: everything in the cluster, operators installed", base],
  ["prod: Atlas by CIDR", { ...base, mongodbInCluster: false, operators: ["strimzi", "cloudnative-pg"], egressCidrs: { ...base.egressCidrs, sync: ["198.51.100.0/24"], reconciler: ["198.51.100.0/24"], mongoInit: ["198.51.100.0/24"] } }],
  ["operators run by the platform team in cnpg-system", { ...base, operatorsInstalled: false, operatorNamespace: "cnpg-system" }],
  ["external PostgreSQL and Kafka, no monitoring", { ...base, postgresInCluster: false, kafkaInCluster: false, monitoringNamespace: undefined, egressCidrs: { connect: ["203.0.113.0/24"], reconciler: ["203.0.113.0/24"], slotExporter: ["203.0.113.0/24"], cdcSetup: ["203.0.113.0/24"], sync: ["203.0.113.0/24"] } }],
];

/** A seeded PRNG (mulberry32): the seed is printed, so a failure replays. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hasLabels = (labels: Labels, want: Labels) => Object.entries(want).every(([k, v]) => labels[k] === v);
/** Whether an end of an edge covers a concrete endpoint. "anywhere" is everyone outside the stack's namespace. */
function covers(end: End, e: Endpoint, ns: string): boolean {
  if ("anywhere" in end) return !("pod" in e) || e.pod.namespace !== ns;
  if ("cidr" in end) return "ip" in e && inCidr(e.ip, end.cidr);
  if (!("pod" in e)) return false;
  if ("workload" in end) return e.pod.namespace === ns && hasLabels(e.pod.labels, WORKLOADS[end.workload]);
  return e.pod.namespace === end.namespace && hasLabels(e.pod.labels, end.pods ?? {});
}
const tableAllows = (edges: readonly Edge[], from: Endpoint, to: Endpoint, port: Port, ns: string) =>
  edges.some((e) => covers(e.from, from, ns) && covers(e.to, to, ns) && e.ports.some((p) => p.port === port.port && p.protocol === port.protocol));

/** Every pod and address the rules mention, their look-alikes in other namespaces, and strangers. */
function universe(n: NetworkInputs, edges: readonly Edge[], rand: () => number): { endpoints: Endpoint[]; ports: Port[] } {
  const pods: Endpoint[] = [];
  const pod = (namespace: string, labels: Labels) => pods.push({ pod: { namespace, labels } });
  for (const labels of Object.values(WORKLOADS)) {
    pod(n.namespace, labels);
    pod("intruder", labels); // the same labels in another namespace
    if (n.operatorNamespace) pod(n.operatorNamespace, labels);
  }
  pod(n.namespace, { app: "stranger" });
  pod("kube-system", { "k8s-app": "kube-dns" });
  pod("kube-system", { "k8s-app": "metrics-server" });
  pod("monitoring", { app: "prometheus" });
  pod("intruder", { "k8s-app": "kube-dns" });
  const ips = new Set(["8.8.8.8", "10.96.0.2"]);
  for (const e of edges) for (const end of [e.from, e.to]) if ("cidr" in end) ips.add(end.cidr.split("/")[0]!);
  const ports = new Map<string, Port>();
  for (const e of edges) for (const p of e.ports) ports.set(`${p.port}/${p.protocol}`, p);
  for (let i = 0; i < 12; i++) {
    const p: Port = { port: 1 + Math.floor(rand() * 65535), protocol: rand() < 0.8 ? "TCP" : "UDP" };
    ports.set(`${p.port}/${p.protocol}`, p);
  }
  for (const p of [...ports.values()]) ports.set(`${p.port}/${p.protocol === "TCP" ? "UDP" : "TCP"}`, { port: p.port, protocol: p.protocol === "TCP" ? "UDP" : "TCP" });
  return { endpoints: [...pods, ...[...ips].map((ip) => ({ ip }))], ports: [...ports.values()] };
}

const show = (e: Endpoint) => ("ip" in e ? e.ip : `${e.pod.namespace}/${JSON.stringify(e.pod.labels)}`);
const SEED = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);

describe("the namespace's network rules", () => {
  it(`admit exactly the table's edges and nothing else, for every pair of pods and addresses and every port (seed ${SEED})`, () => {
    const rand = prng(SEED);
    for (const [shape, n] of SHAPES) {
      const edges = networkEdges(n);
      const policies: Policy[] = [...DEFAULT_DENY, ...renderPolicies(edges).map((p) => ({ namespace: n.namespace, spec: p.spec }))];
      const { endpoints, ports } = universe(n, edges, rand);
      let checked = 0;
      let open = 0;
      for (const from of endpoints) for (const to of endpoints) {
        // The stack's policies govern connections with one end in its namespace; the rest is other namespaces' business.
        const inside = (e: Endpoint) => "pod" in e && e.pod.namespace === n.namespace;
        if (!inside(from) && !inside(to)) continue;
        for (const port of ports) {
          const got = admitted(policies, from, to, port);
          const want = tableAllows(edges, from, to, port, n.namespace);
          assert.equal(got, want, `${shape}: ${show(from)} -> ${show(to)} ${port.port}/${port.protocol}: policies ${got ? "admit" : "refuse"}, table says ${want ? "admit" : "refuse"} (COEXIST_SEED=${SEED})`);
          checked++;
          if (got) open++;
        }
      }
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

  it("render one table from the same edges", () => {
    const table = reachabilityTable(networkEdges(base), NS);
    assert.match(table, /^\| from \| to \| ports \| why \|/);
    assert.ok(table.includes("| cnpg-operator (coexist-staging) | postgres (coexist-staging) | 5432/TCP, 8000/TCP |"), table);
    assert.equal(table.split("\n").length, networkEdges(base).length + 2);
  });
});
