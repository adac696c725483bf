import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

/**
 * coexist's guardrails, mandatory: the engine refuses a preview or update that breaks one. Run with
 * `scripts/stack preview <stack> --policy-pack` (or `pulumi preview --policy-pack policy/analyzer`).
 * Constructing the pack starts the analyzer's gRPC server, so nothing but the engine imports this file.
 */
new PolicyPack("coexist-guardrails", {
  enforcementLevel: "mandatory",
  description: "coexist: no public control-plane ports, no plaintext secrets, least-privilege CDC, capped slot WAL, protected and replicated prod, authenticated routes.",
  policies: POLICIES,
});
