/**
 * coexist:kubernetes.egressCidrs and coexist:kubernetes.operatorNamespace: what the namespace's
 * default-deny egress lets out (components/kubernetes/network-rules.ts), and where the operators run
 * when the platform team runs them (`operators: skip`).
 */
import { WORKLOADS } from "../components/kubernetes/network-rules";
import type { PlatformConfig } from "../components/platform-config";
import { NS, Problems, show } from "./config-problems";

export const EGRESS_KEYS = [...Object.keys(WORKLOADS), "apiServer"] as const;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface NetworkSettings {
  readonly egressCidrs: Readonly<Record<string, readonly string[]>>;
  readonly operatorNamespace?: string;
}

/** Reads the two keys from coexist:kubernetes (the rest is parsed by parseKubernetes). */
export function parseNetwork(p: Problems, kubernetes: unknown, operators: "install" | "skip"): NetworkSettings {
  const k = (kubernetes && typeof kubernetes === "object" ? kubernetes : {}) as Record<string, unknown>;
  const raw = p.object("kubernetes.egressCidrs", k.egressCidrs, EGRESS_KEYS);
  const egressCidrs: Record<string, string[]> = {};
  for (const [workload, value] of Object.entries(raw)) {
    const cidrs = p.stringList(`kubernetes.egressCidrs.${workload}`, value, IPV4_CIDR, "IPv4 CIDRs (e.g. 10.0.0.0/16)");
    for (const c of cidrs) {
      if (c.endsWith("/0")) p.add(`${NS}:kubernetes.egressCidrs.${workload}: ${c} opens the whole internet; fix: list the service's own addresses (e.g. Atlas's private endpoint CIDR)`);
    }
    egressCidrs[workload] = cidrs;
  }
  const operatorNamespace = k.operatorNamespace === undefined ? undefined : p.string("kubernetes.operatorNamespace", k.operatorNamespace, "", DNS_LABEL, "a namespace name");
  if (operatorNamespace !== undefined && operators === "install") {
    p.add(`${NS}:kubernetes.operatorNamespace: ${show(operatorNamespace)} is for operators the platform team runs, but coexist:kubernetes.operators is install (they run in the stack's namespace); fix: remove the key, or set operators: skip`);
  }
  return { egressCidrs, ...(operatorNamespace ? { operatorNamespace } : {}) };
}

/**
 * With egress denied by default, a dependency outside the cluster without a CIDR is unreachable:
 * fail at config time, naming the key, rather than with pods that time out after the deploy. The
 * local stack is exempt: kwok runs no traffic.
 */
export function checkEgressCoverage(p: Problems, c: PlatformConfig): void {
  const k = c.kubernetes;
  if (!k || c.environment === "local") return;
  const need = (workload: string, why: string) => {
    if ((k.egressCidrs?.[workload] ?? []).length === 0) p.add(`${NS}:kubernetes.egressCidrs.${workload}: missing, and ${why} is outside the cluster while the namespace denies egress; fix: list its addresses, e.g. ${workload}: ["198.51.100.0/24"]`);
  };
  if (c.mongodb.mode === "atlas" || c.mongodb.mode === "external") for (const w of ["sync", "reconciler", "mongoInit"]) need(w, c.mongodb.mode === "atlas" ? "Atlas" : "the external MongoDB");
  if (c.postgres.mode === "external") for (const w of ["connect", "reconciler", "slotExporter"]) need(w, "the external PostgreSQL");
  if (c.kafka.mode === "external") for (const w of ["sync", "connect"]) need(w, "the external Kafka");
  if (k.operators === "install" || c.postgres.mode !== "external") need("apiServer", "the Kubernetes API (the operators and CloudNativePG's instance manager call it)");
}
