import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "../runtime";
import { images } from "../versions";
import type { KafkaLogin } from "../kafka/container-auth";
import { connectInternalTopics } from "../kafka/topics";
import { connectJaasFile, connectSaslEnv } from "./container-auth";

/** The Docker worker's settings: what connectService renders. */
export interface ConnectServiceArgs {
  /** Bootstrap servers on the private network, comma-separated. */
  readonly bootstrapServers: string;
  /** Connect group id; also names the internal topics (see connectInternalTopics). */
  readonly groupId: string;
  /** Host port of the REST API, bound to 127.0.0.1 only. */
  readonly restHostPort: number;
  /** Password of the database role the connectors use, read through the file config provider. */
  readonly sourcePassword: pulumi.Input<string>;
  /** Replication factor of the internal topics. @default 1 */
  readonly replicationFactor?: number;
  /** Connect's SCRAM login on the stack's broker. @default none: an unauthenticated client */
  readonly kafkaLogin?: KafkaLogin;
}

/** The REST API's one user (Docker); its password is generated and kept in the stack's state. */
export const CONNECT_REST_USER = "coexist";
/** Outside SECRETS_DIR on purpose: the file config provider, which connectors can use, may not read it. */
const REST_AUTH_DIR = "/kafka/rest-auth";

export type { ConnectEndpoint } from "./endpoint";

export const CONNECT_HOST = "connect";
export const CONNECT_REST_PORT = 8083;
export const SECRETS_DIR = "/kafka/secrets";
export const SOURCE_SECRETS_FILE = `${SECRETS_DIR}/postgres.properties`;
/** What a connector puts in place of the password: resolved by the worker, never stored in the connector JSON. */
export const SOURCE_PASSWORD_REF = `\${file:${SOURCE_SECRETS_FILE}:password}`;

/** Worker settings; the Debezium image maps CONNECT_FOO_BAR to foo.bar in the worker properties. */
export function connectWorkerEnv(args: Pick<ConnectServiceArgs, "bootstrapServers" | "groupId" | "replicationFactor">): Record<string, string> {
  const internal = connectInternalTopics(args.groupId);
  const rf = String(args.replicationFactor ?? 1);
  return {
    BOOTSTRAP_SERVERS: args.bootstrapServers,
    GROUP_ID: args.groupId,
    CONFIG_STORAGE_TOPIC: internal.configs,
    OFFSET_STORAGE_TOPIC: internal.offsets,
    STATUS_STORAGE_TOPIC: internal.status,
    CONFIG_STORAGE_REPLICATION_FACTOR: rf,
    OFFSET_STORAGE_REPLICATION_FACTOR: rf,
    STATUS_STORAGE_REPLICATION_FACTOR: rf,
    ADVERTISED_HOST_NAME: CONNECT_HOST,
    // Secrets reach connectors through config providers, so GET /connectors/<name>/config shows
    // only the reference; allowed.paths stops a connector config from reading other files.
    CONNECT_CONFIG_PROVIDERS: "file",
    CONNECT_CONFIG_PROVIDERS_FILE_CLASS: "org.apache.kafka.common.config.provider.FileConfigProvider",
    CONNECT_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS: SECRETS_DIR,
    // Connectors may not override the worker's client settings (e.g. point a producer elsewhere).
    CONNECT_CONNECTOR_CLIENT_CONFIG_OVERRIDE_POLICY: "None",
    // Topics are pre-created by the stack with their retention; Connect must not create them.
    CONNECT_TOPIC_CREATION_ENABLE: "false",
    HEAP_OPTS: "-Xms256m -Xmx1g",
    // The REST API asks every caller for credentials (Kafka's BasicAuthSecurityRestExtension).
    CONNECT_REST_EXTENSION_CLASSES: "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
    KAFKA_OPTS: `-Djava.security.auth.login.config=${REST_AUTH_DIR}/jaas.conf`,
  };
}

/** The JAAS login config of Connect's REST API: users and passwords in a properties file beside it. */
export function restJaasConfig(credentialsFile: string): string {
  return `KafkaConnect {
  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
  file="${credentialsFile}";
};
`;
}

/** One distributed Connect worker with the Debezium plugin: the Docker realisation's neutral description (container.ts). */
export function connectService(args: ConnectServiceArgs & { restPassword: pulumi.Input<string> }): ServiceSpec {
  return {
    host: CONNECT_HOST,
    image: images.connect,
    env: { ...connectWorkerEnv(args), ...(args.kafkaLogin ? connectSaslEnv() : {}) },
    ports: [{ name: "rest", container: CONNECT_REST_PORT, host: args.restHostPort }],
    files: [
      {
        path: SOURCE_SECRETS_FILE,
        content: pulumi.interpolate`password=${pulumi.output(args.sourcePassword).apply(escapeProperty)}\n`,
        secret: true,
        // Connect runs as the image's unprivileged user, not root.
        mode: "0444",
      },
      { path: `${REST_AUTH_DIR}/jaas.conf`, ...connectJaasFile(restJaasConfig(`${REST_AUTH_DIR}/users.properties`), args.kafkaLogin), mode: "0444" },
      { path: `${REST_AUTH_DIR}/users.properties`, content: pulumi.interpolate`${CONNECT_REST_USER}: ${args.restPassword}\n`, secret: true, mode: "0444" },
    ],
    // The password is read from the file at check time: it never sits in the container's config.
    healthcheck: {
      command: ["bash", "-c", `curl -fsS -u "${CONNECT_REST_USER}:$(sed -n 's/^${CONNECT_REST_USER}: //p' ${REST_AUTH_DIR}/users.properties)" http://localhost:${CONNECT_REST_PORT}/connector-plugins >/dev/null`],
      intervalSeconds: 10,
      startPeriodSeconds: 30,
    },
  };
}

/** Escapes a value for a Java .properties file. */
export function escapeProperty(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/^\s/, (c) => `\\${c}`);
}
