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

/*
 * The snapshots were re-recorded on the merge of issues 14-17's branches (commit message lists what
 * changed: NetworkPolicies split into per-workload ingress/egress policies, default-deny egress, a
 * per-stack checksum key, KafkaUsers, the Atlas init Job; no stateful resource moved). Changes since
 * are listed below.
 */

/** One change on each of `stacks`, by the URN's part after `urn:pulumi:<stack>::coexist::`. */
const onStacks = (stacks: readonly string[], change: Omit<IntendedChange, "stacks" | "urn"> & { readonly path: string }): IntendedChange[] =>
  stacks.map((stack) => {
    const { path, ...rest } = change;
    return { ...rest, stacks: [stack], urn: `urn:pulumi:${stack}::coexist::${path}` };
  });

export const INTENDED_CHANGES: readonly IntendedChange[] = [
  // Strimzi's entity operator: the User Operator runs (the KafkaUsers were never reconciled without
  // it), and the entity and cluster operators get the egress they need under default-deny.
  ...onStacks(["staging", "prod"], {
    path: "coexist:index:Platform$coexist:kafka:KafkaBroker$kubernetes:kafka.strimzi.io/v1:Kafka::coexist-kafka-cluster",
    inputs: ["spec.entityOperator.userOperator"],
    why: "the User Operator turns the stack's KafkaUsers into SCRAM logins, ACLs and the Secrets Connect and the worker read; an update of the Kafka resource, not a replace",
  }),
  ...onStacks(["staging", "prod"], {
    path: "coexist:index:Platform$kubernetes:networking.k8s.io/v1:NetworkPolicy::coexist-policy-allow-kafka-ingress",
    inputs: ["spec.ingress.3.ports.2", "spec.ingress.4"],
    why: "the brokers admit the cluster operator on the Kafka agent's 8443 and the entity operator on the replication listener 9091",
  }),
  ...onStacks(["staging", "prod"], {
    path: "coexist:index:Platform$kubernetes:networking.k8s.io/v1:NetworkPolicy::coexist-policy-allow-strimzi-operator-egress",
    inputs: ["spec.egress.0.ports.2"],
    why: "the cluster operator reaches the brokers' Kafka agent (8443), which it asks for a broker's state during rolling restarts",
  }),
  ...onStacks(["staging", "prod"], {
    path: "coexist:index:Platform$kubernetes:networking.k8s.io/v1:NetworkPolicy::coexist-policy-allow-entity-operator-egress",
    added: true,
    why: "the entity operator's egress under default-deny: the brokers' replication listener, DNS and the API server",
  }),
];
