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
 * The snapshots were re-recorded on the merge of issues 14-17's branches (commit message lists
 * what changed: NetworkPolicies split into per-workload ingress/egress policies, default-deny
 * egress, a per-stack checksum key, KafkaUsers, the Atlas init Job; no stateful resource moved).
 * Since then, each change of the graph lists itself here.
 */
const EXTERNAL_READ_MODEL = "urn:pulumi:local::coexist::coexist:index:Platform$coexist:mongodb:MongoExternal";
const EXTERNAL_SCHEMA = "issue 15: an external MongoDB gets the read-model schema (collections, coexist_synced_at and coexist_deleted indexes) like every other realisation, from the same init Job with the URL secret; nothing existing moves";

export const INTENDED_CHANGES: readonly IntendedChange[] = [
  { stacks: ["local"], urn: `${EXTERNAL_READ_MODEL}::coexist-mongodb`, added: true, why: EXTERNAL_SCHEMA },
  { stacks: ["local"], urn: `${EXTERNAL_READ_MODEL}$kubernetes:batch/v1:Job::coexist-mongodb-init`, added: true, why: EXTERNAL_SCHEMA },
  { stacks: ["local"], urn: `${EXTERNAL_READ_MODEL}$kubernetes:core/v1:ConfigMap::coexist-mongodb-init-files`, added: true, why: EXTERNAL_SCHEMA },
  { stacks: ["local"], urn: `${EXTERNAL_READ_MODEL}$kubernetes:core/v1:Secret::coexist-mongodb-init-env`, added: true, why: EXTERNAL_SCHEMA },
  ...(["staging", "prod"] as const).map((stack) => ({
    stacks: [stack],
    urn: `urn:pulumi:${stack}::coexist::coexist:index:Platform$coexist:connect:DebeziumConnector$pulumi-nodejs:dynamic/coexist:StrimziConnectorOffsets::coexist-connector-offsets`,
    added: true,
    why: "issue 14 §1.6 on Strimzi: the waiting resource that resets the KafkaConnector's offsets before a generation bump replaces it, and waits for the slot on delete (stateless)",
  })),
];
