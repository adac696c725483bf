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

const ATLAS = "urn:pulumi:prod::coexist::coexist:index:Platform$coexist:mongodb:MongoAtlas";

export const INTENDED_CHANGES: readonly IntendedChange[] = [
  // Issue 15: the read-model schema (collections, coexist_synced_at / coexist_deleted indexes) on
  // Atlas too, by the same init Job and script as the container and Community realisations.
  ...["batch/v1:Job::coexist-atlas-init", "core/v1:ConfigMap::coexist-atlas-init-files", "core/v1:Secret::coexist-atlas-init-env"].map((r): IntendedChange => ({
    stacks: ["prod"], urn: `${ATLAS}$kubernetes:${r}`, added: true, why: "read-model schema on Atlas (issue 15 §3)",
  })),
  // Issue 14 §1.6: a source-generation bump replaces the connector (REPLACE_ON_CHANGE gains the
  // epoch key): on the REST path the serialized dynamic provider changes, on Strimzi the
  // KafkaConnector's replaceOnChanges.
  ...["dev", "pr-42", "local"].map((stack): IntendedChange => ({
    stacks: [stack], urn: `urn:pulumi:${stack}::coexist::coexist:index:Platform$coexist:connect:DebeziumConnector$pulumi-nodejs:dynamic/coexist:Connector::coexist-connector-registration`,
    inputs: ["__provider"], why: "generation bump replaces the connector (issue 14 §1.6)",
  })),
  ...["staging", "prod"].map((stack): IntendedChange => ({
    stacks: [stack], urn: `urn:pulumi:${stack}::coexist::coexist:index:Platform$coexist:connect:DebeziumConnector$kubernetes:kafka.strimzi.io/v1:KafkaConnector::coexist-connector-resource`,
    inputs: ["(options)"], why: "generation bump replaces the KafkaConnector (issue 14 §1.6)",
  })),
];
