/**
 * Who may reach what, in and out of the stack's namespace: one list of edges, from which both the
 * NetworkPolicies (ingress on the destination, egress on the source) and the README's table are
 * rendered. The namespace denies ingress and egress by default (StackNamespace); nothing else is open.
 * Strimzi adds its own policies for the brokers' and Connect's ingress (a union: no edge of ours is
 * needed for them, none of theirs widens the table's clients beyond the operator).
 */
import { STRIMZI_TLS_PORT } from "../kafka/strimzi-auth";

export type Labels = Readonly<Record<string, string>>;
export interface Port {
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
}

/** Pod groups of the stack's namespace, by role. */
export const WORKLOADS = {
  gateway: { "app.kubernetes.io/component": "gateway" },
  sync: { "app.kubernetes.io/component": "sync" },
  reconciler: { "app.kubernetes.io/component": "reconciler" },
  slotExporter: { "app.kubernetes.io/component": "slot-exporter" },
  cdcSetup: { "app.kubernetes.io/component": "cdc-setup" },
  mongoInit: { "app.kubernetes.io/component": "mongodb-init" },
  connect: { "strimzi.io/kind": "KafkaConnect" },
  kafka: { "strimzi.io/name": "kafka-kafka" },
  /** Strimzi's entity operator (topic and user operators) of the Kafka cluster `kafka`: `<cluster>-entity-operator`. */
  entityOperator: { "strimzi.io/name": "kafka-entity-operator" },
  postgres: { "cnpg.io/cluster": "postgres" },
  /** The MongoDBCommunity operator labels its members app: <name>-svc. */
  mongodb: { app: "mongodb-svc" },
  /** The operators' pods (their charts' labels), when installed in the stack's namespace. */
  strimziOperator: { name: "strimzi-cluster-operator" },
  cnpgOperator: { "app.kubernetes.io/name": "cloudnative-pg" },
  mongodbOperator: { name: "mongodb-kubernetes-operator" },
} as const satisfies Record<string, Labels>;
export type Workload = keyof typeof WORKLOADS;

/** An end of an edge. */
export type End =
  /** Pods of the stack's namespace. */
  | { readonly workload: Workload }
  /** Pods of another namespace, selected by its name (never `namespaceSelector: {}`). */
  | { readonly namespace: string; readonly pods?: Labels }
  /** Addresses outside the cluster (Atlas, an external database, the API server). */
  | { readonly cidr: string }
  /** Anyone (only the gateway's proxy port). */
  | { readonly anywhere: true };

export interface Edge {
  readonly from: End;
  readonly to: End;
  readonly ports: readonly Port[];
  readonly why: string;
}

/** What the stack runs in its namespace, and where its dependencies outside it are. */
export interface NetworkInputs {
  readonly namespace: string;
  readonly postgresInCluster: boolean;
  readonly mongodbInCluster: boolean;
  readonly kafkaInCluster: boolean;
  /** The operators run in the stack's namespace (installed by the stack). */
  readonly operatorsInstalled: boolean;
  /** Which operators the stack's resources need. */
  readonly operators: readonly ("strimzi" | "cloudnative-pg" | "mongodb-kubernetes")[];
  /** Where the operators run when the platform team runs them; @default the stack's namespace */
  readonly operatorNamespace?: string;
  readonly monitoringNamespace?: string;
  readonly metricsPort: number;
  readonly slotMetricsPort: number;
  /** coexist:kubernetes.egressCidrs: per workload, the external addresses it may reach; `apiServer`: the Kubernetes API. */
  readonly egressCidrs: Readonly<Partial<Record<Workload | "apiServer", readonly string[]>>>;
  /** Kong's in-cluster upstreams (`<service>.<namespace>.svc...` URLs): their namespace and port. */
  readonly gatewayUpstreams?: readonly { readonly namespace: string; readonly port: number }[];
}

/** The in-cluster upstreams among Kong's service URLs; others go through egressCidrs.gateway. */
export function inClusterUpstreams(urls: readonly (string | undefined)[]): { namespace: string; port: number }[] {
  const out = new Map<string, { namespace: string; port: number }>();
  for (const url of urls) {
    if (!url) continue;
    const u = new URL(url);
    const m = /^[a-z0-9-]+\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(u.hostname);
    if (!m) continue;
    const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
    out.set(`${m[1]}:${port}`, { namespace: m[1]!, port });
  }
  return [...out.values()];
}

export const tcp = (...ports: number[]): Port[] => ports.map((port) => ({ port, protocol: "TCP" }));
const DNS: Port[] = [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }];
const W = (workload: Workload): End => ({ workload });
/**
 * Kafka's listener for clients (TLS + SCRAM-SHA-512, the only one), its replication listener (mTLS,
 * also Strimzi's own tools': the cluster and entity operators), the KRaft controllers' listener, and
 * the Kafka agent the cluster operator asks for a broker's state during rolling restarts (Strimzi
 * 1.2.0's KafkaCluster: REPLICATION_PORT 9091, CONTROLPLANE_PORT 9090, KAFKA_AGENT_PORT 8443).
 */
export const KAFKA_PORTS = { client: STRIMZI_TLS_PORT, replication: 9091, controller: 9090, agent: 8443 };
/** CloudNativePG: PostgreSQL and the instance manager's status endpoint the operator polls. */
export const CNPG_PORTS = { postgres: 5432, status: 8000 };

/** Every edge the stack allows, in one list. */
export function networkEdges(n: NetworkInputs): Edge[] {
  const edges: Edge[] = [];
  const add = (from: End, to: End, ports: Port[], why: string) => edges.push({ from, to, ports, why });
  const opNs = n.operatorsInstalled ? undefined : (n.operatorNamespace ?? n.namespace);
  // An operator's pods: in the stack's namespace (installed) or in the named one, never "any namespace".
  const operator = (w: "strimziOperator" | "cnpgOperator" | "mongodbOperator"): End => (opNs && opNs !== n.namespace ? { namespace: opNs, pods: WORKLOADS[w] } : W(w));
  const has = (o: NetworkInputs["operators"][number]) => n.operators.includes(o);
  const external = (w: Workload, ports: Port[], why: string) => {
    for (const cidr of n.egressCidrs[w] ?? []) add(W(w), { cidr }, ports, why);
  };

  add({ anywhere: true }, W("gateway"), tcp(8000), "the public proxy");
  external("connect", tcp(443), "the plugin build: Maven Central and the image registry");
  external("gateway", tcp(443, 6379), "Kong's upstreams and the shared rate-limit Redis");
  for (const u of n.gatewayUpstreams ?? []) add(W("gateway"), { namespace: u.namespace }, tcp(u.port), "Kong proxies to its upstream services");
  if (n.monitoringNamespace) {
    add({ namespace: n.monitoringNamespace }, W("sync"), tcp(n.metricsPort), "Prometheus scrapes the worker");
    add({ namespace: n.monitoringNamespace }, W("slotExporter"), tcp(n.slotMetricsPort), "Prometheus scrapes the slot exporter");
  }
  const pg = tcp(CNPG_PORTS.postgres);
  if (n.postgresInCluster) {
    for (const w of ["connect", "reconciler", "slotExporter", "cdcSetup"] as const) add(W(w), W("postgres"), pg, `${w} reads PostgreSQL`);
    add(W("postgres"), W("postgres"), pg, "streaming replication between instances");
    if (has("cloudnative-pg")) add(operator("cnpgOperator"), W("postgres"), tcp(CNPG_PORTS.postgres, CNPG_PORTS.status), "the CloudNativePG operator: status and management");
  } else {
    for (const w of ["connect", "reconciler", "slotExporter", "cdcSetup"] as const) external(w, pg, "the external PostgreSQL");
  }
  const mongo = tcp(27017);
  if (n.mongodbInCluster) {
    for (const w of ["sync", "reconciler", "mongoInit"] as const) add(W(w), W("mongodb"), mongo, `${w} writes or reads the read model`);
    add(W("mongodb"), W("mongodb"), mongo, "replica set members");
    if (has("mongodb-kubernetes")) add(operator("mongodbOperator"), W("mongodb"), mongo, "the MongoDB operator configures the replica set");
  } else {
    for (const w of ["sync", "reconciler", "mongoInit"] as const) external(w, mongo, "Atlas or the external MongoDB");
  }
  if (n.kafkaInCluster) {
    for (const w of ["sync", "connect"] as const) add(W(w), W("kafka"), tcp(KAFKA_PORTS.client), `${w} is a Kafka client`);
    add(W("kafka"), W("kafka"), tcp(KAFKA_PORTS.replication, KAFKA_PORTS.controller), "brokers replicate; KRaft controllers vote");
    if (has("strimzi")) {
      add(operator("strimziOperator"), W("kafka"), tcp(KAFKA_PORTS.replication, KAFKA_PORTS.controller, KAFKA_PORTS.agent), "the Strimzi operator administers the brokers and reads their state during rolls");
      // The entity operator runs beside the brokers wherever the cluster operator runs.
      add(W("entityOperator"), W("kafka"), tcp(KAFKA_PORTS.replication), "the topic and user operators manage topics, users and ACLs");
      add(operator("strimziOperator"), W("connect"), tcp(8083), "the Strimzi operator drives Connect's REST API");
    }
  } else {
    for (const w of ["sync", "connect"] as const) external(w, tcp(9092, 9093, 9094, 9096), "the external Kafka");
  }
  // Everyone resolves names; the operators, Strimzi's entity operator and CloudNativePG's instance
  // manager talk to the API server.
  const inNamespace: Workload[] = ["gateway", "sync", "reconciler", "slotExporter", "cdcSetup", "mongoInit", "connect"];
  if (n.postgresInCluster) inNamespace.push("postgres");
  if (n.mongodbInCluster) inNamespace.push("mongodb");
  if (n.kafkaInCluster) inNamespace.push("kafka");
  const entityOperator: Workload[] = n.kafkaInCluster && has("strimzi") ? ["entityOperator"] : [];
  const ops: Workload[] = n.operatorsInstalled ? ([has("strimzi") && "strimziOperator", has("cloudnative-pg") && "cnpgOperator", has("mongodb-kubernetes") && "mongodbOperator"].filter(Boolean) as Workload[]) : [];
  for (const w of [...inNamespace, ...entityOperator, ...ops]) add(W(w), { namespace: "kube-system", pods: { "k8s-app": "kube-dns" } }, DNS, "DNS");
  // The entity operator watches KafkaTopics and KafkaUsers and writes the users' Secrets.
  const apiClients: Workload[] = [...ops, ...entityOperator, ...(n.postgresInCluster ? (["postgres"] as Workload[]) : [])];
  for (const w of apiClients) for (const cidr of n.egressCidrs.apiServer ?? []) add(W(w), { cidr }, tcp(443, 6443), "the Kubernetes API");
  return edges;
}

type PolicyPeer = { podSelector?: { matchLabels: Labels }; namespaceSelector?: { matchLabels: Labels }; ipBlock?: { cidr: string } };
export interface PolicySpec {
  readonly podSelector: { matchLabels: Labels };
  readonly policyTypes: ("Ingress" | "Egress")[];
  readonly ingress?: { from?: PolicyPeer[]; ports?: Port[] }[];
  readonly egress?: { to?: PolicyPeer[]; ports?: Port[] }[];
}
export interface RenderedPolicy {
  readonly name: string;
  readonly spec: PolicySpec;
}

function policyPeer(e: End): PolicyPeer | undefined {
  if ("anywhere" in e) return undefined;
  if ("workload" in e) return { podSelector: { matchLabels: WORKLOADS[e.workload] } };
  if ("cidr" in e) return { ipBlock: { cidr: e.cidr } };
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": e.namespace } }, ...(e.pods ? { podSelector: { matchLabels: e.pods } } : {}) };
}

const kebab = (w: string) => w.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The NetworkPolicies of the stack's namespace: per workload, one for what may reach it and one for what it may reach. */
export function renderPolicies(edges: readonly Edge[]): RenderedPolicy[] {
  const out: RenderedPolicy[] = [];
  for (const w of Object.keys(WORKLOADS) as Workload[]) {
    const inbound = edges.filter((e) => "workload" in e.to && e.to.workload === w);
    const outbound = edges.filter((e) => "workload" in e.from && e.from.workload === w);
    const podSelector = { matchLabels: WORKLOADS[w] };
    if (inbound.length > 0) {
      out.push({ name: `allow-${kebab(w)}-ingress`, spec: { podSelector, policyTypes: ["Ingress"], ingress: inbound.map((e) => { const p = policyPeer(e.from); return { ...(p ? { from: [p] } : {}), ports: [...e.ports] }; }) } });
    }
    if (outbound.length > 0) {
      out.push({ name: `allow-${kebab(w)}-egress`, spec: { podSelector, policyTypes: ["Egress"], egress: outbound.map((e) => ({ to: [policyPeer(e.to)!], ports: [...e.ports] })) } });
    }
  }
  return out;
}

function describeEnd(e: End, namespace: string): string {
  if ("anywhere" in e) return "anyone outside the namespace";
  if ("workload" in e) return `${kebab(e.workload)} (${namespace})`;
  if ("cidr" in e) return e.cidr;
  return `${e.pods ? Object.entries(e.pods).map(([k, v]) => `${k}=${v}`).join(",") : "every pod"} in namespace ${e.namespace}`;
}

/** The table of who may reach what, as Markdown: the same edges the policies are rendered from. */
export function reachabilityTable(edges: readonly Edge[], namespace: string): string {
  const rows = edges.map((e) => `| ${describeEnd(e.from, namespace)} | ${describeEnd(e.to, namespace)} | ${e.ports.map((p) => `${p.port}/${p.protocol}`).join(", ")} | ${e.why} |`);
  return ["| from | to | ports | why |", "|---|---|---|---|", ...rows].join("\n");
}
