/**
 * A small evaluator of NetworkPolicy semantics (networking.k8s.io/v1), for tests: kwok runs no
 * traffic, so whether a connection would be admitted is computed from the policies, as a CNI
 * enforcing them would. Covers what coexist renders: matchLabels selectors, namespace selectors by
 * labels, ipBlock (IPv4, no except), ports with protocol. A pod is never matched by an ipBlock
 * (pod addresses are not modelled).
 */
import { Edge, End, Labels, PolicySpec, Port, WORKLOADS } from "./network-rules";

export interface Pod {
  readonly namespace: string;
  readonly labels: Labels;
}
/** A pod, or an address outside the cluster. */
export type Endpoint = { readonly pod: Pod } | { readonly ip: string };
export interface Policy {
  readonly namespace: string;
  readonly spec: PolicySpec;
}

type Selector = { matchLabels?: Labels; matchExpressions?: unknown[] } | undefined;

function selects(sel: Selector, labels: Labels): boolean {
  if (sel?.matchExpressions && sel.matchExpressions.length > 0) throw new Error("matchExpressions: not evaluated; coexist renders matchLabels only");
  return Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

const nsLabels = (ns: string): Labels => ({ "kubernetes.io/metadata.name": ns });

function ipv4(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((a, p) => a * 256 + p, 0);
}
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base!) / size);
}

type Peer = { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: { cidr: string; except?: string[] } };

function peerMatches(peer: Peer, policyNamespace: string, other: Endpoint): boolean {
  if (peer.ipBlock) {
    if (!("ip" in other)) return false;
    return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  }
  if (!("pod" in other)) return false;
  const nsOk = peer.namespaceSelector === undefined ? other.pod.namespace === policyNamespace : selects(peer.namespaceSelector, nsLabels(other.pod.namespace));
  return nsOk && (peer.podSelector === undefined || selects(peer.podSelector, other.pod.labels));
}

function portMatches(ports: readonly Port[] | undefined, port: Port): boolean {
  return !ports || ports.length === 0 || ports.some((p) => p.port === port.port && (p.protocol ?? "TCP") === port.protocol);
}

/** Whether `from` may open a connection to `to` on `port`: the source's egress and the destination's ingress both admit it. */
export function admitted(policies: readonly Policy[], from: Endpoint, to: Endpoint, port: Port): boolean {
  const side = (self: Endpoint, other: Endpoint, kind: "Ingress" | "Egress"): boolean => {
    if (!("pod" in self)) return true; // outside the cluster: no policy applies
    const selecting = policies.filter((p) => p.namespace === self.pod.namespace && p.spec.policyTypes.includes(kind) && selects(p.spec.podSelector, self.pod.labels));
    if (selecting.length === 0) return true;
    return selecting.some((p) => {
      const rules = (kind === "Ingress" ? p.spec.ingress?.map((r) => ({ peers: r.from, ports: r.ports })) : p.spec.egress?.map((r) => ({ peers: r.to, ports: r.ports }))) ?? [];
      return rules.some((r) => portMatches(r.ports, port) && (!r.peers || r.peers.length === 0 || r.peers.some((peer) => peerMatches(peer as Peer, p.namespace, other))));
    });
  };
  return side(from, to, "Egress") && side(to, from, "Ingress");
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
export const tableAllows = (edges: readonly Edge[], from: Endpoint, to: Endpoint, port: Port, ns: string) =>
  edges.some((e) => covers(e.from, from, ns) && covers(e.to, to, ns) && e.ports.some((p) => p.port === port.port && p.protocol === port.protocol));

/** Every pod and address the rules mention, their look-alikes in other namespaces, and strangers. */
export function universe(namespace: string, edges: readonly Edge[], rand: () => number, operatorNamespace?: string): { endpoints: Endpoint[]; ports: Port[] } {
  const pods: Endpoint[] = [];
  const pod = (namespace: string, labels: Labels) => pods.push({ pod: { namespace, labels } });
  for (const labels of Object.values(WORKLOADS)) {
    pod(namespace, labels);
    pod("intruder", labels); // the same labels in another namespace
    if (operatorNamespace) pod(operatorNamespace, labels);
  }
  pod(namespace, { app: "stranger" });
  pod("kube-system", { "k8s-app": "kube-dns" });
  pod("kube-system", { "k8s-app": "metrics-server" });
  pod("monitoring", { app: "prometheus" });
  pod("intruder", { "k8s-app": "kube-dns" });
  // A pod in every other namespace an edge names (Kong's upstreams, monitoring, an operator's).
  for (const e of edges) for (const end of [e.from, e.to]) if ("namespace" in end) pod(end.namespace, end.pods ?? { app: "any" });
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


const showEndpoint = (e: Endpoint) => ("ip" in e ? e.ip : `${e.pod.namespace}/${JSON.stringify(e.pod.labels)}`);

/**
 * Every connection with one end in `namespace` (the stack's policies govern no other), over the
 * universe above: where the policies and the table disagree. Empty: the policies admit exactly the table.
 */
export function compareWithTable(policies: readonly Policy[], edges: readonly Edge[], namespace: string, rand: () => number, operatorNamespace?: string): { checked: number; admitted: number; mismatches: string[] } {
  const { endpoints, ports } = universe(namespace, edges, rand, operatorNamespace);
  const inside = (e: Endpoint) => "pod" in e && e.pod.namespace === namespace;
  const out = { checked: 0, admitted: 0, mismatches: [] as string[] };
  for (const from of endpoints) for (const to of endpoints) {
    if (!inside(from) && !inside(to)) continue;
    for (const port of ports) {
      const got = admitted(policies, from, to, port);
      const want = tableAllows(edges, from, to, port, namespace);
      out.checked++;
      if (got) out.admitted++;
      if (got !== want) out.mismatches.push(`${showEndpoint(from)} -> ${showEndpoint(to)} ${port.port}/${port.protocol}: policies ${got ? "admit" : "refuse"}, table says ${want ? "admit" : "refuse"}`);
    }
  }
  return out;
}
