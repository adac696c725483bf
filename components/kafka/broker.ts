import { createHash } from "node:crypto";
import { ServiceSpec } from "../runtime";
import { images } from "../versions";

export const KAFKA_HOST = "kafka";
export const KAFKA_INTERNAL_PORT = 9092;
const CONTROLLER_PORT = 9093;

/** The Docker broker's settings: what kafkaService renders. */
export interface KafkaServiceArgs {
  /** Host port of the loopback listener (the Pulumi kafka provider and developers use it). */
  readonly hostPort: number;
  /** KRaft cluster id; fixed per stack so a restarted container keeps its log dirs. */
  readonly clusterId: string;
}

/** Broker settings: two listeners, because containers and the host resolve the broker differently. */
export function kafkaBrokerEnv(args: KafkaServiceArgs): Record<string, string> {
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

/** One combined KRaft broker and controller: the Docker realisation's neutral description (container.ts). */
export function kafkaService(args: KafkaServiceArgs): ServiceSpec {
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
