/**
 * The intended differences between the program and the resource-graph snapshots under
 * stacks/graph/snapshots/ (recorded on the pre-redesign program, commit noted in README.md there).
 * Every entry names why; stacks/graph/graph.test.ts fails on any difference not listed here, and
 * on an entry that no longer matches a difference (so the list stays true).
 */
export interface IntendedChange {
  /** The stacks it applies to. */
  readonly stacks: readonly string[];
  /** The resource's URN in the snapshot (its old URN when it moved). */
  readonly urn: string;
  /** Moved or renamed: its new URN; the resource must carry an alias to `urn`. */
  readonly newUrn?: string;
  /** Input paths (dot-separated, as the test prints them) whose value intentionally changed. */
  readonly inputs?: readonly string[];
  /** A resource added (not in the snapshot) or removed (not in the program). */
  readonly added?: boolean;
  readonly removed?: boolean;
  readonly why: string;
}

/**
 * Empty: the snapshots were re-recorded on the merge of issues 14-17's branches (commit message
 * lists what changed: NetworkPolicies split into per-workload ingress/egress policies, default-deny
 * egress, a per-stack checksum key, KafkaUsers, the Atlas init Job; no stateful resource moved).
 * The next change of the graph lists itself here.
 */
export const INTENDED_CHANGES: readonly IntendedChange[] = [
  ...(["staging", "prod"] as const).map((stack) => ({
    stacks: [stack],
    urn: `urn:pulumi:${stack}::coexist::coexist:index:Platform$coexist:connect:DebeziumConnector$pulumi-nodejs:dynamic/coexist:StrimziConnectorOffsets::coexist-connector-offsets`,
    added: true,
    why: "issue 14 §1.6 on Strimzi: the waiting resource that resets the KafkaConnector's offsets before a generation bump replaces it, and waits for the slot on delete (stateless)",
  })),
];
