/**
 * Who may do what on Kafka: one description, derived from the capture list and the stack's
 * names, rendered for every target (the data plane's kafka-acls, Strimzi KafkaUsers, Docker).
 * Pure functions only; no Pulumi resources here.
 *
 * Kafka 3.0+ (KIP-679): an idempotent producer needs Write on a topic, not IdempotentWrite on
 * the cluster, so no client here is granted anything on the cluster resource.
 */
import { Capture } from "../capture";
import { cdcTopics, dlqTopic, heartbeatTopic } from "../connect/connector-config";

export type AclOperation = "Read" | "Write" | "Create" | "Describe" | "DescribeConfigs";
export type AclResourceType = "topic" | "group";
export type AclPatternType = "literal" | "prefix";

export interface AclRule {
  readonly resource: { readonly type: AclResourceType; readonly name: string; readonly patternType: AclPatternType };
  readonly operations: readonly AclOperation[];
}

/** One client's identity on Kafka: a SCRAM user and its allow rules (everything else is denied). */
export interface KafkaPrincipal {
  /** The SCRAM user name (principal `User:<name>`). */
  readonly user: string;
  readonly acls: readonly AclRule[];
}

export interface KafkaAccessInput {
  readonly topicPrefix: string;
  readonly captures: readonly Capture[];
  /** Connect's group and its three internal topics. */
  readonly connect: { readonly user: string; readonly group: string; readonly internalTopics: { readonly configs: string; readonly offsets: string; readonly status: string } };
  /** The sync worker's consumer group. */
  readonly worker: { readonly user: string; readonly group: string };
  /**
   * When Connect creates its internal topics itself (the local data plane), it needs Create on
   * them; where the stack pre-creates every topic (Docker, Strimzi) it does not.
   * @default false
   */
  readonly connectCreatesInternalTopics?: boolean;
  /**
   * Connect also runs sink connectors reading the capture topics (the bench's MongoDB sink on the
   * data plane): Read on them and on the sink tasks' groups, `connect-<connector>` (prefix).
   * @default false
   */
  readonly connectRunsSinks?: boolean;
  /**
   * Scope of the rules: `literal` names exactly the stack's topics and groups; `prefix` grants the
   * same roles on every topic under `topicPrefix` and every group named with the group as prefix
   * (the shared local data plane, where each test brings its own prefix and group).
   * @default "literal"
   */
  readonly scope?: AclPatternType;
}

/** The stack's Kafka clients. The reconciler reads PostgreSQL and the store only: it has no Kafka identity. */
export interface KafkaAccess {
  readonly connect: KafkaPrincipal;
  readonly worker: KafkaPrincipal;
}

const USER = /^[A-Za-z0-9._-]{1,64}$/;

export function kafkaAccess(input: KafkaAccessInput): KafkaAccess {
  for (const [field, user] of [["connect.user", input.connect.user], ["worker.user", input.worker.user]] as const) {
    if (!USER.test(user)) throw new Error(`kafka access: ${field} is ${JSON.stringify(user)}; use 1-64 of [A-Za-z0-9._-] (it becomes the SCRAM principal User:<name>)`);
  }
  if (input.connect.user === input.worker.user) {
    throw new Error(`kafka access: connect.user and worker.user are both ${JSON.stringify(input.worker.user)}; give each client its own user so neither holds the other's rights`);
  }
  const scope = input.scope ?? "literal";
  const topic = (name: string, operations: AclOperation[]): AclRule => ({ resource: { type: "topic", name, patternType: "literal" }, operations });
  const group = (name: string): AclRule => ({ resource: { type: "group", name, patternType: scope }, operations: ["Read"] });
  // In prefix scope one rule per role covers every test's `<prefix><id>.…` topics: the shared data
  // plane's identities are weaker than a stack's (its worker may write to capture topics too).
  const topics = (names: string[], operations: AclOperation[]): AclRule[] =>
    scope === "prefix"
      ? [{ resource: { type: "topic", name: names[0] ?? input.topicPrefix, patternType: "prefix" }, operations }]
      : names.map((t) => topic(t, operations));
  const captureTopics = scope === "prefix" ? [input.topicPrefix] : cdcTopics(input.topicPrefix, input.captures);
  const internal = input.connect.internalTopics;
  const internalOps: AclOperation[] = ["Read", "Write", "Describe", "DescribeConfigs", ...(input.connectCreatesInternalTopics ? (["Create"] as const) : [])];
  const heartbeat = topics([heartbeatTopic(input.topicPrefix)], ["Write", "Describe"]);
  const dlq = topics([scope === "prefix" ? input.topicPrefix : dlqTopic(input.topicPrefix)], ["Write", "Describe"]);
  return {
    connect: {
      user: input.connect.user,
      acls: [
        topic(internal.configs, internalOps),
        topic(internal.offsets, internalOps),
        topic(internal.status, internalOps),
        // Debezium's producer: the capture topics and the heartbeat, written to, never read.
        ...topics(captureTopics, ["Write", "Describe"]),
        ...heartbeat,
        group(input.connect.group),
        ...(input.connectRunsSinks
          ? [...topics(captureTopics, ["Read", "Describe"]), { resource: { type: "group" as const, name: "connect-", patternType: "prefix" as const }, operations: ["Read"] as AclOperation[] }]
          : []),
      ],
    },
    worker: {
      user: input.worker.user,
      acls: [...topics(captureTopics, ["Read", "Describe"]), group(input.worker.group), ...dlq],
    },
  };
}

// ---- decisions -------------------------------------------------------------------------------

/** Operations Kafka implies: Read, Write (and Delete, Alter) imply Describe. */
function implies(granted: AclOperation, wanted: AclOperation): boolean {
  return granted === wanted || (wanted === "Describe" && (granted === "Read" || granted === "Write"));
}

/** What Kafka's StandardAuthorizer decides for this principal's allow rules (no deny rules, no super user). */
export function isAllowed(principal: KafkaPrincipal, operation: AclOperation, type: AclResourceType, name: string): boolean {
  return principal.acls.some((r) =>
    r.resource.type === type &&
    (r.resource.patternType === "literal" ? r.resource.name === name : name.startsWith(r.resource.name)) &&
    r.operations.some((op) => implies(op, operation)));
}

// ---- renderings ------------------------------------------------------------------------------

/** One kafka-acls binding per (rule, operation): what the data plane applies with the admin client. */
export interface AclBinding {
  readonly principal: string;
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly patternType: AclPatternType;
  readonly operation: AclOperation;
}

export function aclBindings(principal: KafkaPrincipal): AclBinding[] {
  return principal.acls.flatMap((r) => r.operations.map((operation) => ({
    principal: `User:${principal.user}`,
    resourceType: r.resource.type,
    resourceName: r.resource.name,
    patternType: r.resource.patternType,
    operation,
  })));
}

/** `kafka-acls` arguments (one invocation per binding group) adding this principal's rules. */
export function kafkaAclsArgs(principal: KafkaPrincipal): string[][] {
  return principal.acls.map((r) => [
    "--add", "--allow-principal", `User:${principal.user}`,
    `--${r.resource.type}`, r.resource.name,
    "--resource-pattern-type", r.resource.patternType === "prefix" ? "prefixed" : "literal",
    ...r.operations.flatMap((op) => ["--operation", op]),
  ]);
}

/** Strimzi `KafkaUser.spec.authorization` (kafka.strimzi.io/v1, type simple). */
export function renderStrimziAuthorization(principal: KafkaPrincipal): { type: "simple"; acls: Array<Record<string, unknown>> } {
  return {
    type: "simple",
    acls: principal.acls.map((r) => ({
      resource: { type: r.resource.type, name: r.resource.name, patternType: r.resource.patternType },
      operations: [...r.operations],
      host: "*",
    })),
  };
}
