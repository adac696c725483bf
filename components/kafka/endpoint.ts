import * as pulumi from "@pulumi/pulumi";
import type { KubernetesTarget } from "../runtime";
import type { TopicsVia } from "./topics";

/** How Kafka's clients log in. */
export type KafkaAuth =
  /** PLAINTEXT on a private network (the Docker broker). */
  | { readonly kind: "none" }
  /** The worker's own SCRAM login on an external cluster; its password is the env var KAFKA_SASL_PASSWORD. */
  | { readonly kind: "sasl"; readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256"; readonly username: string }
  /** Every client a KafkaUser of the Strimzi cluster, over its TLS listener (clients.ts). */
  | { readonly kind: "strimzi"; readonly target: KubernetesTarget; readonly cluster: string };

/**
 * What Kafka's clients need, whichever realisation made it (container, Strimzi, external). kafkaFor
 * (factory.ts) returns one.
 */
export interface KafkaEndpoint {
  /** Bootstrap addresses where the stack's workloads (Connect, the sync worker) reach the brokers. */
  readonly bootstrapServers: readonly string[];
  /** How the stack creates its topics. @default none: the platform team made them (`kafka.topics: existing`) */
  readonly topics?: TopicsVia;
  readonly auth: KafkaAuth;
  /** What the cluster's clients wait for. */
  readonly ready: pulumi.Resource[];
}

/**
 * The component type the provisioned realisations register as: part of the URN, and a new URN would
 * replace the broker and its volume, so container and Strimzi keep the single KafkaBroker's token.
 */
export const KAFKA_BROKER_TYPE = "coexist:kafka:KafkaBroker";
