import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { deploy, ServiceSpec, Target } from "../runtime";
import { images } from "../versions";
import { createStrimziKafka } from "./strimzi";

export interface KafkaBrokerArgs {
  readonly target: Target;
  /** Host port of the loopback listener (the Pulumi kafka provider and developers use it). */
  readonly hostPort: number;
  /** KRaft cluster id; fixed per stack so a restarted container keeps its log dirs (Docker; Strimzi picks its own). */
  readonly clusterId: string;
  /** Kubernetes: brokers, each also a KRaft controller. @default 3 */
  readonly brokers?: number;
  /** Kubernetes: each broker's volume. @default "100Gi" */
  readonly storageSize?: string;
  /** Kubernetes: min.insync.replicas and the internal topics' replication follow it. @default 3 */
  readonly replicationFactor?: number;
}

export const KAFKA_HOST = "kafka";
export const KAFKA_INTERNAL_PORT = 9092;
const CONTROLLER_PORT = 9093;

/**
 * The Kafka cluster, KRaft only: a single combined broker + controller container on Docker; a
 * Strimzi `Kafka` with a dual-role `KafkaNodePool` on Kubernetes.
 */
export class KafkaBroker extends pulumi.ComponentResource {
  /** Bootstrap address for the stack's workloads. */
  readonly internalBootstrap: string;
  /** Docker: bootstrap address on 127.0.0.1 for the Pulumi engine and developers. */
  readonly hostBootstrap?: string;
  /** Kubernetes: the Strimzi cluster's name, which KafkaTopics and KafkaConnect refer to. */
  readonly strimziCluster?: string;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: KafkaBrokerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kafka:KafkaBroker", name, {}, opts);
    if (!/^[A-Za-z0-9_-]{22}$/.test(args.clusterId)) {
      throw new Error(`KafkaBroker ${name}: clusterId must be a 22-character base64url KRaft id, got "${args.clusterId}"; fix: use kraftClusterId(stack)`);
    }
    if (args.target.kind === "kubernetes") {
      const cluster = createStrimziKafka(name, { ...args, target: args.target }, { parent: this, retainOnDelete: opts.retainOnDelete });
      this.internalBootstrap = cluster.bootstrap;
      this.strimziCluster = cluster.name;
      this.ready = cluster.ready;
    } else {
      this.internalBootstrap = `${KAFKA_HOST}:${KAFKA_INTERNAL_PORT}`;
      this.hostBootstrap = `127.0.0.1:${args.hostPort}`;
      this.ready = deploy(`${name}-broker`, kafkaService(args), args.target, { parent: this, retainOnDelete: opts.retainOnDelete }).ready;
    }
    this.registerOutputs({ internalBootstrap: this.internalBootstrap, hostBootstrap: this.hostBootstrap });
  }
}

/** Broker settings: two listeners, because containers and the host resolve the broker differently. */
export function kafkaBrokerEnv(args: Pick<KafkaBrokerArgs, "hostPort" | "clusterId">): Record<string, string> {
  return {
    CLUSTER_ID: args.clusterId,
    KAFKA_NODE_ID: "1",
    KAFKA_PROCESS_ROLES: "broker,controller",
    KAFKA_CONTROLLER_QUORUM_VOTERS: `1@${KAFKA_HOST}:${CONTROLLER_PORT}`,
    KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
    KAFKA_LISTENERS: `INTERNAL://:${KAFKA_INTERNAL_PORT},HOST://:${args.hostPort},CONTROLLER://:${CONTROLLER_PORT}`,
    KAFKA_ADVERTISED_LISTENERS: `INTERNAL://${KAFKA_HOST}:${KAFKA_INTERNAL_PORT},HOST://127.0.0.1:${args.hostPort}`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "INTERNAL:PLAINTEXT,HOST:PLAINTEXT,CONTROLLER:PLAINTEXT",
    KAFKA_INTER_BROKER_LISTENER_NAME: "INTERNAL",
    KAFKA_LOG_DIRS: "/var/lib/kafka/data",
    // Every topic is declared by the stack; a typo must fail, not create a stray topic.
    KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
    KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
    KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
    KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
    KAFKA_HEAP_OPTS: "-Xms256m -Xmx768m",
  };
}

export function kafkaService(args: KafkaBrokerArgs): ServiceSpec {
  return {
    host: KAFKA_HOST,
    image: images.kafka,
    env: kafkaBrokerEnv(args),
    // The host listener's container port equals the published port, so the advertised address works from the host.
    ports: [
      { name: "host", container: args.hostPort, host: args.hostPort },
      { name: "internal", container: KAFKA_INTERNAL_PORT },
    ],
    volumes: [{ name: "data", path: "/var/lib/kafka/data" }],
    healthcheck: {
      command: ["/opt/kafka/bin/kafka-broker-api-versions.sh", "--bootstrap-server", `localhost:${KAFKA_INTERNAL_PORT}`],
      intervalSeconds: 10,
      startPeriodSeconds: 20,
    },
  };
}

/** A stable 22-character KRaft cluster id derived from the stack name. */
export function kraftClusterId(stack: string): string {
  return createHash("sha256").update(`coexist/${stack}`).digest("base64url").slice(0, 22);
}
