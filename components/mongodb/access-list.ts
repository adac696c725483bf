/**
 * The Atlas "never open to the whole internet" rule, defined once: the config parser
 * (stacks/config-services.ts), the MongoAtlas component and the policy pack
 * (policy/rules/atlas.ts) all ask it.
 */

/** True when an access-list entry (a CIDR block or a single address) admits every address: x/0, 0.0.0.0 or ::. */
export function admitsWholeInternet(entry: string): boolean {
  const e = entry.trim();
  return /\/0$/.test(e) || e === "0.0.0.0" || e === "::";
}

/** The fix every refusal names. */
export const ACCESS_LIST_FIX = "list the cluster's egress addresses (coexist:mongodb.atlas.accessList) or use private endpoints";
