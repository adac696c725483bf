import { createHash } from "node:crypto";
import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { cdcTopics, dlqTopic, heartbeatTopic } from "../connect/connector-config";
import { customResource } from "../kubernetes/custom-resource";
import { KubernetesTarget } from "../runtime";
import { adminProviderArgs, KafkaLogin } from "./container-auth";
import { STRIMZI_API } from "./strimzi-api";

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

/** How the stack creates topics. */
export type TopicsVia =
  /** The Kafka admin API through the kafka provider, from where Pulumi runs (Docker). */
  | { readonly kind: "provider"; readonly bootstrapServers: string[]; /** @default false */ readonly tls?: boolean; /** The Docker broker's admin (SCRAM-SHA-512); none: no login. */ readonly login?: KafkaLogin }
  /** KafkaTopic resources that Strimzi's topic operator reconciles (Kubernetes). */
  | { readonly kind: "strimzi"; readonly target: KubernetesTarget; readonly cluster: string };

export interface KafkaTopicsArgs extends TopicPlanInput {
  readonly via: TopicsVia;
}

/**
 * The stack's topics: through the Kafka admin API on Docker, as Strimzi KafkaTopics on Kubernetes.
 * `opts.dependsOn`: the cluster, which topics wait for.
 */
export class KafkaTopics extends pulumi.ComponentResource {
  /** Each topic's resource, by topic name. */
  readonly topics: Record<string, pulumi.CustomResource> = {};

  constructor(name: string, args: KafkaTopicsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kafka:KafkaTopics", name, {}, opts);
    const via = args.via;
    if (via.kind === "strimzi") {
      for (const t of topicPlan(args)) {
        this.topics[t.name] = customResource(`${name}-${t.name}`, {
          apiVersion: STRIMZI_API,
          kind: "KafkaTopic",
          metadata: { name: kafkaTopicResourceName(t.name), namespace: via.target.namespace, labels: { ...via.target.labels, "strimzi.io/cluster": via.cluster } },
          spec: renderKafkaTopicSpec(t),
        }, { parent: this, provider: via.target.provider, dependsOn: opts.dependsOn, retainOnDelete: opts.retainOnDelete });
      }
    } else {
      // The provider defaults to TLS on; the dev listener is SASL without TLS on loopback.
      const provider = new kafka.Provider(
        `${name}-provider`,
        via.login ? adminProviderArgs(via.bootstrapServers, via.login) : { bootstrapServers: via.bootstrapServers, tlsEnabled: via.tls ?? false, skipTlsVerify: false },
        { parent: this, dependsOn: opts.dependsOn },
      );
      for (const t of topicPlan(args)) {
        this.topics[t.name] = new kafka.Topic(
          `${name}-${t.name}`,
          { name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, config: t.config },
          { parent: this, provider, retainOnDelete: opts.retainOnDelete },
        );
      }
    }
    this.registerOutputs({ names: Object.keys(this.topics) });
  }
}

/** The KafkaTopic's spec: the real topic name is spec.topicName, since metadata names cannot hold every topic name. */
export function renderKafkaTopicSpec(t: TopicSpec): Record<string, unknown> {
  return { topicName: t.name, partitions: t.partitions, replicas: t.replicationFactor, config: t.config };
}

/** A Kubernetes object name for a topic: lower-case DNS subdomain, with a hash when it had to change. */
export function kafkaTopicResourceName(topic: string): string {
  const cleaned = topic.toLowerCase().replace(/[^a-z0-9.-]/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 200);
  if (cleaned === topic) return topic;
  return `${cleaned}-${createHash("sha256").update(topic).digest("hex").slice(0, 8)}`;
}
