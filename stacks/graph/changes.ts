import type { Capture } from "../../components/capture";
import { kafkaAccess } from "../../components/kafka/acls";
import { aclResourceName, containerAclBindings } from "../../components/kafka/container-auth";
import { connectInternalTopics } from "../../components/kafka/topics";
import { projectConfig } from "../stack-files";

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
  ...dockerKafkaAuth(["dev", "pr-42"]),
];

/**
 * Issue 16 §3 on the Docker target: Kafka authenticates (SASL/SCRAM-SHA-512) and authorises every
 * client. The broker container is replaced (its volume, the log dir, keeps its URN), each client
 * gets a generated password, and the ACLs of components/kafka/acls.ts become kafka.Acl resources.
 */
function dockerKafkaAuth(stacks: readonly string[]): IntendedChange[] {
  const platform = (stack: string) => `urn:pulumi:${stack}::coexist::coexist:index:Platform`;
  // dev and pr-<n> both capture Pulumi.yaml's tables under topic prefix "coexist".
  const captures = (projectConfig()["coexist:capture"] as { table: string }[]).map((c) => ({ table: c.table }) as Capture);
  const connectGroup = "coexist-connect";
  const access = kafkaAccess({
    topicPrefix: "coexist",
    captures,
    connect: { user: "coexist-connect", group: connectGroup, internalTopics: connectInternalTopics(connectGroup) },
    worker: { user: "coexist-sync", group: "coexist-sync" },
  });
  return stacks.flatMap((stack): IntendedChange[] => {
    const broker = `${platform(stack)}$coexist:kafka:KafkaBroker`;
    const acls = `${broker}$coexist:kafka:ContainerKafkaAcls`;
    const container = (parent: string, name: string) => `${platform(stack)}$${parent}$docker:index/container:Container::${name}`;
    return [
      ...["admin", "connect", "worker", "controller"].map((role) => ({
        stacks: [stack], urn: `${broker}$pulumi-nodejs:dynamic/coexist:GeneratedSecret::coexist-kafka-${role}-password`, added: true,
        why: `the ${role === "controller" ? "KRaft controller listener's PLAIN" : `${role}'s SCRAM`} password, generated per stack`,
      })),
      { stacks: [stack], urn: `${broker}$coexist:kafka:ContainerKafkaAcls::coexist-kafka-acls`, added: true, why: "the clients' ACLs on the Docker broker" },
      { stacks: [stack], urn: `${acls}$pulumi:providers:kafka::coexist-kafka-acls-provider`, added: true, why: "the ACLs' provider, logged in as the admin" },
      ...containerAclBindings(access).map((b) => ({
        stacks: [stack], urn: `${acls}$kafka:index/acl:Acl::coexist-kafka-acls-${aclResourceName(b)}`, added: true,
        why: "one binding of kafkaAccess (acls.ts), the description Strimzi's KafkaUsers render too",
      })),
      {
        stacks: [stack], urn: container("coexist:kafka:KafkaBroker", "coexist-kafka-broker"), inputs: ["entrypoints", "envs", "healthcheck", "uploads"],
        why: "SASL_PLAINTEXT listeners and the StandardAuthorizer: broker-start.sh formats the SCRAM users from secret files, the healthcheck logs in as the admin",
      },
      { stacks: [stack], urn: `${platform(stack)}$coexist:kafka:KafkaTopics$pulumi:providers:kafka::coexist-topics-provider`, inputs: ["saslMechanism", "saslPassword", "saslUsername"], why: "the topics' provider logs in as the admin" },
      {
        stacks: [stack], urn: container("coexist:connect:KafkaConnect", "coexist-connect-worker"), inputs: ["envs", "uploads"],
        why: "Connect's clients speak SASL_PLAINTEXT/SCRAM-SHA-512; its JAAS file (now secret) gains the KafkaClient login",
      },
      {
        stacks: [stack], urn: container("coexist:workers:SyncWorkers", "coexist-workers-sync-0"), inputs: ["envs", "command", "uploads"],
        why: "the sync worker's config gets kafka.sasl; its password is a secret file its shell reads into KAFKA_SASL_PASSWORD",
      },
    ];
  });
}
