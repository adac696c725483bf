import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { cdcTopics, dlqTopic, heartbeatTopic } from "../connect/connector-config";

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Record<string, string>;
}

export interface TopicPlanInput {
  readonly topicPrefix: string;
  readonly captures: readonly Capture[];
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly retentionHours: number;
  readonly connectGroup: string;
}

/** Names of Kafka Connect's internal topics for a Connect group. */
export function connectInternalTopics(group: string): { configs: string; offsets: string; status: string } {
  return { configs: `${group}.configs`, offsets: `${group}.offsets`, status: `${group}.status` };
}

/**
 * Every topic the stack uses, derived from the capture list. The broker has topic
 * auto-creation off, so this list is the whole truth.
 */
export function topicPlan(input: TopicPlanInput): TopicSpec[] {
  const retentionMs = String(input.retentionHours * 3_600_000);
  const rf = input.replicationFactor;
  const minIsr = String(Math.min(2, rf));
  const internal = connectInternalTopics(input.connectGroup);
  // Connect's internal topics must be compacted: a deleted offsets record would make the
  // connector re-snapshot or, worse, resume from a wrong position.
  const compacted = { "cleanup.policy": "compact", "min.insync.replicas": minIsr };
  return [
    ...cdcTopics(input.topicPrefix, input.captures).map((name) => ({
      name,
      partitions: input.partitions,
      replicationFactor: rf,
      config: { "cleanup.policy": "delete", "retention.ms": retentionMs, "min.insync.replicas": minIsr },
    })),
    // Dead letters are kept longer than the data: someone has to read them.
    { name: dlqTopic(input.topicPrefix), partitions: 1, replicationFactor: rf, config: { "cleanup.policy": "delete", "retention.ms": String(Number(retentionMs) * 4), "min.insync.replicas": minIsr } },
    { name: heartbeatTopic(input.topicPrefix), partitions: 1, replicationFactor: rf, config: { "cleanup.policy": "delete", "retention.ms": String(3_600_000) } },
    { name: internal.configs, partitions: 1, replicationFactor: rf, config: compacted },
    { name: internal.offsets, partitions: 25, replicationFactor: rf, config: compacted },
    { name: internal.status, partitions: 5, replicationFactor: rf, config: compacted },
  ];
}

export interface KafkaTopicsArgs extends TopicPlanInput {
  /** Bootstrap servers reachable from where Pulumi runs. */
  readonly bootstrapServers: string[];
  /** Resources the broker needs before topics can be created. */
  readonly dependsOn: pulumi.Resource[];
  /** @default false */
  readonly tls?: boolean;
  /** @default false */
  readonly protect?: boolean;
}

/** The stack's topics, created through the Kafka admin API. */
export class KafkaTopics extends pulumi.ComponentResource {
  readonly topics: Record<string, kafka.Topic> = {};

  constructor(name: string, args: KafkaTopicsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kafka:KafkaTopics", name, {}, opts);
    // The provider defaults to TLS on; the dev listener is plaintext on loopback.
    const provider = new kafka.Provider(
      `${name}-provider`,
      { bootstrapServers: args.bootstrapServers, tlsEnabled: args.tls ?? false, skipTlsVerify: false },
      { parent: this, dependsOn: args.dependsOn },
    );
    for (const t of topicPlan(args)) {
      this.topics[t.name] = new kafka.Topic(
        `${name}-${t.name}`,
        { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config },
        { parent: this, provider, protect: args.protect ?? false },
      );
    }
    this.registerOutputs({ names: Object.keys(this.topics) });
  }
}
