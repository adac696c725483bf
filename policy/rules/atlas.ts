import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ACCESS_LIST_FIX, admitsWholeInternet } from "../../components/mongodb/access-list";
import { describe, Resource, TYPES } from "../shapes";

/** An Atlas access-list entry that admits every address on the internet. */
export function openAccessList(r: Resource): string[] {
  if (r.type !== TYPES.atlasAccessList) return [];
  const entries = [r.props.cidrBlock, r.props.ipAddress].filter((v): v is string => typeof v === "string");
  return entries.filter(admitsWholeInternet).map((e) => `${describe(r)} admits ${e.trim()}, the whole internet, to the Atlas project; fix: ${ACCESS_LIST_FIX}`);
}

export const atlasAccessListNotOpen: ResourceValidationPolicy = {
  name: "atlas-access-list-not-open",
  description: "No MongoDB Atlas access-list entry is 0.0.0.0/0.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of openAccessList(args)) reportViolation(finding);
  },
};
