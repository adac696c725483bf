import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, Resource, TYPES } from "../shapes";

/** An Atlas access-list entry that admits every address on the internet. */
export function openAccessList(r: Resource): string[] {
  if (r.type !== TYPES.atlasAccessList) return [];
  const cidr = typeof r.props.cidrBlock === "string" ? r.props.cidrBlock.trim() : undefined;
  const ip = typeof r.props.ipAddress === "string" ? r.props.ipAddress.trim() : undefined;
  const open = (cidr !== undefined && /\/0$/.test(cidr)) || ip === "0.0.0.0" || ip === "::";
  if (!open) return [];
  return [`${describe(r)} admits ${cidr ?? ip}, the whole internet, to the Atlas project; fix: list the cluster's egress addresses (coexist:mongodb.atlas.accessList) or use private endpoints`];
}

export const atlasAccessListNotOpen: ResourceValidationPolicy = {
  name: "atlas-access-list-not-open",
  description: "No MongoDB Atlas access-list entry is 0.0.0.0/0.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of openAccessList(args)) reportViolation(finding);
  },
};
