import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesTarget } from "../runtime";

/**
 * Who may reach what inside the stack's namespace. The namespace denies all ingress by default
 * (StackNamespace); each rule here opens one service's pods to exactly the peers that need them.
 * Kafka's listeners and Connect's REST API get theirs from Strimzi (networkPolicyPeers, and the
 * operator's own policy that lets only the operator reach Connect's REST port).
 */

export type Peer =
  /** Pods with these labels in the stack's namespace. */
  | { readonly pods: Record<string, string> }
  /** Pods with these labels in any namespace (operators installed elsewhere). */
  | { readonly podsInAnyNamespace: Record<string, string> }
  /** Every pod of a namespace (e.g. the monitoring namespace). */
  | { readonly namespace: string }
  /** Anything, inside or outside the cluster: only for the gateway's public port. */
  | { readonly anywhere: true };

export interface IngressRule {
  /** Names the NetworkPolicy: allow-<name>. */
  readonly name: string;
  /** The protected pods. */
  readonly pods: Record<string, string>;
  /** Ports opened; unset: all of the pods' ports. */
  readonly ports?: readonly number[];
  readonly from: readonly Peer[];
}

function peer(p: Peer): k8s.types.input.networking.v1.NetworkPolicyPeer | undefined {
  if ("anywhere" in p) return undefined;
  if ("pods" in p) return { podSelector: { matchLabels: p.pods } };
  if ("podsInAnyNamespace" in p) return { namespaceSelector: {}, podSelector: { matchLabels: p.podsInAnyNamespace } };
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": p.namespace } } };
}

/** A rule's NetworkPolicy spec. A rule open to `anywhere` has an ingress entry without `from`. */
export function renderNetworkPolicySpec(rule: IngressRule): k8s.types.input.networking.v1.NetworkPolicySpec {
  if (rule.from.length === 0) throw new Error(`network rule ${rule.name}: no peer; a rule that opens nothing is a mistake`);
  const anywhere = rule.from.some((p) => "anywhere" in p);
  const ports = rule.ports?.map((port) => ({ protocol: "TCP", port }));
  return {
    podSelector: { matchLabels: rule.pods },
    policyTypes: ["Ingress"],
    ingress: [anywhere ? { ports } : { from: rule.from.map(peer).filter((x) => x !== undefined), ports }],
  };
}

export function createNetworkPolicies(name: string, rules: readonly IngressRule[], target: KubernetesTarget, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy[] {
  const seen = new Set<string>();
  return rules.map((rule) => {
    if (seen.has(rule.name)) throw new Error(`network rule ${rule.name} is declared twice`);
    seen.add(rule.name);
    return new k8s.networking.v1.NetworkPolicy(`${name}-${rule.name}`, {
      metadata: { name: `allow-${rule.name}`, namespace: target.namespace, labels: target.labels },
      spec: renderNetworkPolicySpec(rule),
    }, { ...opts, provider: target.provider });
  });
}

/** Pod labels of the services the rules talk about, in one place. */
export const PODS = {
  sync: { "app.kubernetes.io/component": "sync" },
  reconciler: { "app.kubernetes.io/component": "reconciler" },
  slotExporter: { "app.kubernetes.io/component": "slot-exporter" },
  gateway: { "app.kubernetes.io/component": "gateway" },
  cdcSetup: { "app.kubernetes.io/component": "cdc-setup" },
  mongoInit: { "app.kubernetes.io/component": "mongodb-init" },
  connect: { "strimzi.io/kind": "KafkaConnect" },
  postgres: { "cnpg.io/cluster": "postgres" },
  /** The MongoDBCommunity operator labels its members app: <name>-svc. */
  mongodb: { app: "mongodb-svc" },
  /** Operators, wherever installed (their charts' pod labels). */
  cnpgOperator: { "app.kubernetes.io/name": "cloudnative-pg" },
  mongodbOperator: { name: "mongodb-kubernetes-operator" },
} as const;
