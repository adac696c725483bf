import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, get, isKube, isRecord, kubeKind, list, num, Resource, TYPES } from "../shapes";

/**
 * What must never be reachable from outside the host (Docker) or the cluster (Kubernetes): the
 * databases, the broker, and the control planes (Kong Admin and Manager, Connect REST, whose
 * connector config can read the database password through the file config provider).
 */
export const CONTROL_PORTS: Readonly<Record<number, string>> = {
  5432: "PostgreSQL",
  27017: "MongoDB",
  9092: "Kafka",
  9093: "the Kafka controller",
  8083: "the Kafka Connect REST API",
  8001: "the Kong Admin API",
  8444: "the Kong Admin API (TLS)",
  8002: "Kong Manager",
  8445: "Kong Manager (TLS)",
  6379: "Redis",
  2379: "etcd",
};

/** Port names our Services give control-plane and database ports (components/*: ServiceSpec ports). */
const CONTROL_PORT_NAMES = /^(admin|admin-tls|manager|rest|postgres|postgresql|mongodb|mongo|kafka|controller|redis)$/;

/** Images whose every published port is a database or broker port (the Kafka host listener's port is the stack's choice). */
const DATA_IMAGE = /^(postgres|postgresql|mongo|mongodb|kafka|connect|redis|etcd|cp-kafka|cp-server)$/;

export function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1" || address === "[::1]" || address === "localhost";
}

function imageName(image: unknown): string {
  const ref = String(image ?? "");
  const lastSegment = ref.split("/").pop() ?? "";
  return lastSegment.split(/[:@]/)[0] ?? "";
}

/** Findings for one resource; exported for the tests and reused by nothing else. */
export function exposedControlPorts(r: Resource): string[] {
  if (r.type === TYPES.dockerContainer) return dockerFindings(r);
  const k = kubeKind(r);
  if (!k) return [];
  if (k.group === "" && k.kind === "Service") return serviceFindings(r);
  if (isKube(r, "kafka.strimzi.io", "Kafka")) {
    return list(get(r.props, "spec", "kafka", "listeners")).filter(isRecord)
      .filter((l) => !["internal", "cluster-ip"].includes(String(l.type)))
      .map((l) => `${describe(r)} has listener "${String(l.name)}" of type ${String(l.type)}, which Strimzi exposes outside the cluster; fix: use type internal and reach Kafka from inside the cluster`);
  }
  if (isKube(r, "postgresql.cnpg.io", "Cluster")) {
    return list(get(r.props, "spec", "managed", "services", "additional")).filter(isRecord)
      .filter((s) => ["LoadBalancer", "NodePort"].includes(String(get(s, "serviceTemplate", "spec", "type"))))
      .map((s) => `${describe(r)} adds service ${String(get(s, "serviceTemplate", "metadata", "name") ?? "?")} of type ${String(get(s, "serviceTemplate", "spec", "type"))}, exposing PostgreSQL outside the cluster; fix: remove it or make it ClusterIP`);
  }
  return [];
}

function dockerFindings(r: Resource): string[] {
  const dataImage = DATA_IMAGE.test(imageName(r.props.image));
  return list(r.props.ports).filter(isRecord).flatMap((p) => {
    const internal = num(p.internal);
    const external = num(p.external);
    if (external === undefined) return [];
    const ip = typeof p.ip === "string" && p.ip !== "" ? p.ip : "0.0.0.0";
    const what = internal !== undefined ? CONTROL_PORTS[internal] : undefined;
    if (isLoopback(ip) || (!what && !dataImage)) return [];
    return [`${describe(r)} publishes ${what ?? `port ${internal} of ${imageName(r.props.image)}`} (container port ${internal}) on ${ip}:${external}, reachable from other machines; fix: bind it to 127.0.0.1 (ports[].ip)`];
  });
}

function serviceFindings(r: Resource): string[] {
  const type = String(get(r.props, "spec", "type") ?? "ClusterIP");
  const externalIPs = list(get(r.props, "spec", "externalIPs"));
  if (type !== "LoadBalancer" && type !== "NodePort" && externalIPs.length === 0) return [];
  const how = externalIPs.length > 0 ? `external IPs ${externalIPs.join(", ")}` : `type ${type}`;
  return list(get(r.props, "spec", "ports")).filter(isRecord).flatMap((p) => {
    const port = num(p.port);
    const target = num(p.targetPort);
    const what = (port !== undefined ? CONTROL_PORTS[port] : undefined) ?? (target !== undefined ? CONTROL_PORTS[target] : undefined)
      ?? (CONTROL_PORT_NAMES.test(String(p.name ?? "")) || CONTROL_PORT_NAMES.test(String(p.targetPort ?? "")) ? `the "${String(p.name ?? p.targetPort)}" port` : undefined);
    if (!what) return [];
    return [`${describe(r)} exposes ${what} (port ${port}) with ${how}, reachable from outside the cluster; fix: make the Service ClusterIP and reach it with kubectl port-forward`];
  });
}

export const noPublicControlPorts: ResourceValidationPolicy = {
  name: "no-public-control-plane-ports",
  description: "Database, broker and control-plane ports (PostgreSQL, MongoDB, Kafka, Connect REST, Kong Admin) stay on loopback or inside the cluster.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of exposedControlPorts(args)) reportViolation(finding);
  },
};
