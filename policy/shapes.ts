/**
 * Readers for the shapes of the resources coexist's program registers, as the engine hands them to
 * a policy (and to `scripts/stack preview --markdown`): plain JSON inputs with secrets unwrapped.
 * One place knows that a Strimzi topic is `kubernetes:kafka.strimzi.io/v1:KafkaTopic` with its
 * replicas under `spec`, that a Docker container publishes ports as `{internal, external, ip}`, and
 * so on, so every policy reads the same facts the same way.
 */

export type Props = Record<string, unknown>;

/** A resource as a policy sees it (the subset of @pulumi/policy's PolicyResource the pack uses). */
export interface Resource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Props;
  readonly opts?: { readonly protect?: boolean };
}

export const TYPES = {
  dockerContainer: "docker:index/container:Container",
  dockerVolume: "docker:index/volume:Volume",
  pgRole: "postgresql:index/role:Role",
  pgPublication: "postgresql:index/publication:Publication",
  pgSlot: "postgresql:index/replicationSlot:ReplicationSlot",
  kafkaTopic: "kafka:index/topic:Topic",
  atlasAccessList: "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList",
  atlasAdvancedCluster: "mongodbatlas:index/advancedCluster:AdvancedCluster",
  atlasCluster: "mongodbatlas:index/cluster:Cluster",
  /** components/connect/connector.ts: the connector on a Connect REST API, a dynamic resource. */
  connector: "pulumi-nodejs:dynamic/coexist:Connector",
  /** components/postgres/sql-script.ts. */
  sqlScript: "pulumi-nodejs:dynamic/coexist:SqlScript",
} as const;

export function isRecord(v: unknown): v is Props {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function get(o: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const p of path) cur = isRecord(cur) || Array.isArray(cur) ? (cur as Record<string | number, unknown>)[p] : undefined;
  return cur;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The stack a URN belongs to: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackOf(urn: string): string {
  const m = /^urn:pulumi:([^:]+)::/.exec(urn);
  return m ? (m[1] as string) : "";
}

/** A Kubernetes object's group, version and kind, from its type token or (custom resources) its inputs. */
export interface KubeKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

export function kubeKind(r: Pick<Resource, "type" | "props">): KubeKind | undefined {
  if (!r.type.startsWith("kubernetes:")) return undefined;
  const apiVersion = typeof r.props.apiVersion === "string" ? r.props.apiVersion : undefined;
  const kind = typeof r.props.kind === "string" ? r.props.kind : undefined;
  if (apiVersion && kind) return splitApiVersion(apiVersion, kind);
  // kubernetes:apps/v1:Deployment, kubernetes:core/v1:Service, kubernetes:kafka.strimzi.io/v1:KafkaTopic
  const m = /^kubernetes:([^:]+):([A-Za-z]+)$/.exec(r.type);
  if (!m) return undefined;
  const [groupVersion, k] = [m[1] as string, m[2] as string];
  const [group, version] = groupVersion.includes("/") ? groupVersion.split("/") as [string, string] : ["core", groupVersion];
  return { group: group === "core" ? "" : group, version, kind: k };
}

function splitApiVersion(apiVersion: string, kind: string): KubeKind {
  const [group, version] = apiVersion.includes("/") ? (apiVersion.split("/") as [string, string]) : ["", apiVersion];
  return { group, version, kind };
}

export function isKube(r: Pick<Resource, "type" | "props">, group: string, kind: string): boolean {
  const k = kubeKind(r);
  return k !== undefined && k.group === group && k.kind === kind;
}

/** The object's name in the cluster (metadata.name), else the Pulumi name. */
export function objectName(r: Resource): string {
  const n = get(r.props, "metadata", "name");
  return typeof n === "string" ? n : r.name;
}

/** How a reviewer reads a resource in a message: `KafkaTopic coexist.public.orders` or `docker Container coexist-dev-postgres`. */
export function describe(r: Resource): string {
  const k = kubeKind(r);
  if (k) return `${k.kind} ${objectName(r)}`;
  const short = r.type.split(":").pop() ?? r.type;
  const named = typeof r.props.name === "string" ? r.props.name : r.name;
  return `${short} ${named}`;
}

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"];

/** The pod spec of a Kubernetes workload (CronJob: its job template's), or undefined for anything else. */
export function podSpec(r: Resource): Props | undefined {
  const k = kubeKind(r);
  if (!k || !WORKLOAD_KINDS.includes(k.kind)) return undefined;
  const spec = r.props.spec;
  const pod = k.kind === "Pod" ? spec : k.kind === "CronJob" ? get(spec, "jobTemplate", "spec", "template", "spec") : get(spec, "template", "spec");
  return isRecord(pod) ? pod : undefined;
}

export interface Container {
  readonly name: string;
  readonly env: readonly { readonly name: string; readonly value?: unknown; readonly valueFrom?: unknown }[];
}

export function containersOf(pod: Props): Container[] {
  return [...list(pod.initContainers), ...list(pod.containers)].filter(isRecord).map((c) => ({
    name: String(c.name ?? "?"),
    env: list(c.env).filter(isRecord).map((e) => ({ name: String(e.name ?? ""), value: e.value, valueFrom: e.valueFrom })),
  }));
}

/** A Docker container's env as name/value pairs (the provider takes `NAME=value` strings). */
export function dockerEnv(r: Resource): { name: string; value: string }[] {
  return list(r.props.envs).filter((e): e is string => typeof e === "string").map((e) => {
    const i = e.indexOf("=");
    return i < 0 ? { name: e, value: "" } : { name: e.slice(0, i), value: e.slice(i + 1) };
  });
}

/** A connector's config: the dynamic Connector's `config`, a Strimzi KafkaConnector's `spec.config`. */
export function connectorConfig(r: Resource): Record<string, string> | undefined {
  const raw = r.type === TYPES.connector ? r.props.config : isKube(r, "kafka.strimzi.io", "KafkaConnector") ? get(r.props, "spec", "config") : undefined;
  if (!isRecord(raw)) return undefined;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/** Text files a resource carries: Docker uploads, ConfigMap data, Secret stringData/data (decoded). */
export function filesOf(r: Resource): { file: string; content: string }[] {
  if (r.type === TYPES.dockerContainer) {
    return list(r.props.uploads).filter(isRecord).filter((u) => typeof u.content === "string").map((u) => ({ file: String(u.file ?? ""), content: u.content as string }));
  }
  if (isKube(r, "", "ConfigMap")) return entries(r.props.data);
  if (isKube(r, "", "Secret")) {
    const decoded = Object.entries(isRecord(r.props.data) ? r.props.data : {}).map(([file, v]) => ({ file, content: typeof v === "string" ? Buffer.from(v, "base64").toString("utf8") : "" }));
    return [...entries(r.props.stringData), ...decoded];
  }
  return [];
}

function entries(v: unknown): { file: string; content: string }[] {
  return Object.entries(isRecord(v) ? v : {}).filter(([, c]) => typeof c === "string").map(([file, content]) => ({ file, content: content as string }));
}

/** Names of the ConfigMaps and Secrets a pod mounts as volumes. */
export function mountedConfig(pod: Props): { configMaps: string[]; secrets: string[] } {
  const volumes = list(pod.volumes).filter(isRecord);
  return {
    configMaps: volumes.map((v) => get(v, "configMap", "name")).filter((n): n is string => typeof n === "string"),
    secrets: volumes.map((v) => get(v, "secret", "secretName")).filter((n): n is string => typeof n === "string"),
  };
}

/** A number from a value the engine may hand over as a number or a numeric string. */
export function num(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  return undefined;
}
