import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, get, isKube, list, objectName, Resource, TYPES } from "../shapes";

/**
 * Addresses no real service has: the documentation ranges (RFC 5737's TEST-NET-1/2/3, RFC 3849's
 * 2001:db8::/32). The committed staging and prod stack files use them as example values; a stack
 * that still carries one would deploy an egress rule or an Atlas access-list entry that reaches
 * nothing, and the workloads behind it would fail far from the cause.
 */
const DOCUMENTATION_V4 = ["192.0.2.", "198.51.100.", "203.0.113."];

/** True when every address of `cidr` (or the single address) lies in a documentation range. */
export function isDocumentationAddress(cidr: string): boolean {
  const [addr = "", len] = cidr.trim().split("/");
  const prefix = len === undefined ? undefined : Number(len);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return DOCUMENTATION_V4.some((net) => addr.startsWith(net)) && (prefix === undefined || prefix >= 24);
  const lower = addr.toLowerCase();
  return (lower.startsWith("2001:db8:") || lower.startsWith("2001:0db8:")) && (prefix === undefined || prefix >= 32);
}

/** `allow-slot-exporter-egress` -> `slotExporter`: the coexist:kubernetes.egressCidrs key the policy was rendered from. */
function egressKey(policyName: string): string {
  const m = /^allow-(.+)-(egress|ingress)$/.exec(policyName);
  return (m?.[1] ?? policyName).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function exampleAddresses(r: Resource): string[] {
  const out: string[] = [];
  if (isKube(r, "networking.k8s.io", "NetworkPolicy")) {
    const peers = [
      ...list(get(r.props, "spec", "egress")).flatMap((rule) => list(get(rule, "to"))),
      ...list(get(r.props, "spec", "ingress")).flatMap((rule) => list(get(rule, "from"))),
    ];
    const key = egressKey(objectName(r));
    for (const cidr of peers.map((p) => get(p, "ipBlock", "cidr")).filter((c): c is string => typeof c === "string" && isDocumentationAddress(c))) {
      out.push(`${describe(r)} opens ${cidr}, a documentation range no real service is in (the stack file's example value); fix: set coexist:kubernetes.egressCidrs.${key} to the real addresses (e.g. the API server's endpoint, Atlas's private endpoint CIDR)`);
    }
  }
  if (r.type === TYPES.atlasAccessList) {
    for (const entry of [r.props.cidrBlock, r.props.ipAddress].filter((v): v is string => typeof v === "string" && isDocumentationAddress(v))) {
      out.push(`${describe(r)} admits ${entry.trim()}, a documentation address no real client has (the stack file's example value); fix: set coexist:mongodb.atlas.accessList to the cluster's NAT egress addresses`);
    }
  }
  return out;
}

export const noExampleAddresses: ResourceValidationPolicy = {
  name: "no-example-addresses",
  description: "No egress rule or Atlas access-list entry names a documentation address (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32): the stack files' example values must be replaced before a deploy.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of exampleAddresses(args)) reportViolation(finding);
  },
};
