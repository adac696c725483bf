import * as pulumi from "@pulumi/pulumi";
import { deploy, GeneratedSecret, KubernetesTarget, ServiceSpec, Target } from "../runtime";
import { images } from "../versions";
import type { KafkaLogin } from "../kafka/container-auth";
import { connectInternalTopics } from "../kafka/topics";
import { connectJaasFile, connectSaslEnv } from "./container-auth";
import { restUrlWithUserInfo } from "./rest-auth";
import { createStrimziConnect } from "./strimzi";

export interface KafkaConnectArgs {
  readonly target: Target;
  /** Bootstrap servers on the private network. */
  readonly bootstrapServers: string;
  /** Connect group id; also names the internal topics (see connectInternalTopics). */
  readonly groupId: string;
  /** Docker: host port of the REST API, bound to 127.0.0.1 only. */
  readonly restHostPort: number;
  /** Password of the database role the connectors use, read through a config provider (a file on Docker, a Secret on Kubernetes). */
  readonly sourcePassword: pulumi.Input<string>;
  /** Replication factor of the internal topics. @default 1 */
  readonly replicationFactor?: number;
  /** Kubernetes: Connect workers. @default 2 */
  readonly replicas?: number;
  /** Kubernetes: the image Strimzi builds with the Debezium plugin and pushes. */
  readonly image?: string;
  /** Kubernetes: Connect's KafkaUser and the Strimzi cluster whose CA it trusts (none: an unauthenticated client). */
  readonly kafkaAuth?: { readonly user: string; readonly cluster: string };
  /** Docker: Connect's SCRAM login on the stack's broker (none: an unauthenticated client). */
  readonly kafkaLogin?: KafkaLogin;
}

/** The REST API's one user (Docker); its password is generated and kept in the stack's state. */
export const CONNECT_REST_USER = "coexist";
/** Outside SECRETS_DIR on purpose: the file config provider, which connectors can use, may not read it. */
const REST_AUTH_DIR = "/kafka/rest-auth";

/**
 * Where connectors are registered, and how they reference the database password: a Connect REST
 * API (the Docker worker, or an external Connect cluster), or a Strimzi KafkaConnect whose
 * connectors are KafkaConnector resources.
 */
export type ConnectEndpoint =
  /** `url` may carry user info (`http://user:password@host:port`): then it is a secret, sent as HTTP Basic credentials. */
  | { readonly kind: "rest"; readonly url: pulumi.Input<string>; readonly passwordRef: string; readonly ready: pulumi.Resource[] }
  | { readonly kind: "strimzi"; readonly target: KubernetesTarget; readonly cluster: string; readonly passwordRef: string; readonly ready: pulumi.Resource[] };

export const CONNECT_HOST = "connect";
export const CONNECT_REST_PORT = 8083;
export const SECRETS_DIR = "/kafka/secrets";
export const SOURCE_SECRETS_FILE = `${SECRETS_DIR}/postgres.properties`;
/** What a connector puts in place of the password: resolved by the worker, never stored in the connector JSON. */
export const SOURCE_PASSWORD_REF = `\${file:${SOURCE_SECRETS_FILE}:password}`;

/**
 * A Kafka Connect cluster with the Debezium Postgres plugin: one distributed worker from the
 * Debezium Connect image on Docker; a Strimzi KafkaConnect on Kubernetes.
 */
export class KafkaConnect extends pulumi.ComponentResource {
  readonly endpoint: ConnectEndpoint;
  /** Docker: the REST API as reached from where Pulumi runs. */
  readonly url?: string;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: KafkaConnectArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:connect:KafkaConnect", name, {}, opts);
    if (args.target.kind === "kubernetes") {
      if (!args.image) throw new Error(`KafkaConnect ${name}: image is required on kubernetes (Strimzi pushes the built image there); fix: set coexist:connect.image`);
      const c = createStrimziConnect(name, {
        target: args.target,
        sourcePassword: args.sourcePassword,
        input: { replicas: args.replicas ?? 2, bootstrapServers: args.bootstrapServers, groupId: args.groupId, replicationFactor: args.replicationFactor ?? 1, image: args.image, kafkaAuth: args.kafkaAuth },
      }, { parent: this, dependsOn: opts.dependsOn });
      this.ready = c.ready;
      this.endpoint = { kind: "strimzi", target: args.target, cluster: c.name, passwordRef: c.passwordRef, ready: c.ready };
    } else {
      this.url = `http://127.0.0.1:${args.restHostPort}`;
      // Anything on the stack's network could otherwise register a connector that reads the
      // database password through the file config provider and sends it elsewhere.
      const restPassword = new GeneratedSecret(`${name}-rest-password`, {}, { parent: this }).value;
      this.ready = deploy(`${name}-worker`, connectService({ ...args, restPassword }), args.target, { parent: this }).ready;
      const withCredentials = pulumi.secret(restPassword.apply((p) => restUrlWithUserInfo(this.url!, CONNECT_REST_USER, p)));
      this.endpoint = { kind: "rest", url: withCredentials, passwordRef: SOURCE_PASSWORD_REF, ready: this.ready };
    }
    this.registerOutputs({ url: this.url });
  }
}

/** Worker settings; the Debezium image maps CONNECT_FOO_BAR to foo.bar in the worker properties. */
export function connectWorkerEnv(args: Pick<KafkaConnectArgs, "bootstrapServers" | "groupId" | "replicationFactor">): Record<string, string> {
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

export function connectService(args: KafkaConnectArgs & { restPassword: pulumi.Input<string> }): ServiceSpec {
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
