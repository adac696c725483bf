/**
 * A small evaluator of NetworkPolicy semantics (networking.k8s.io/v1), for tests: kwok runs no
 * traffic, so whether a connection would be admitted is computed from the policies, as a CNI
 * enforcing them would. Covers what coexist renders: matchLabels selectors, namespace selectors by
 * labels, ipBlock (IPv4, no except), ports with protocol. A pod is never matched by an ipBlock
 * (pod addresses are not modelled).
 */
import type { Labels, PolicySpec, Port } from "./network-rules";

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
