import * as k8s from "@pulumi/kubernetes";
import { renderStrimziConnectAuth } from "../kafka/strimzi-auth";
import * as pulumi from "@pulumi/pulumi";
import { connectInternalTopics } from "../kafka/topics";
import { STRIMZI_API } from "../kafka/strimzi";
import { awaitAnnotations, customResource } from "../kubernetes/custom-resource";
import { KubernetesTarget } from "../runtime";
import { versions } from "../versions";
import { POSTGRES_CONNECTOR_CLASS } from "./connector-config";

/**
 * The Strimzi realisation of KafkaConnect and DebeziumConnector: a `KafkaConnect` that builds its
 * image with the Debezium Postgres plugin from Maven Central, reads the database password from a
 * Kubernetes Secret through Strimzi's config provider (with a Role granting exactly that Secret),
 * and `KafkaConnector`s rendered by the same renderConnectorConfig as every other target.
 */

export const STRIMZI_CONNECT = "connect";
/** The Secret holding the connector's database password. */
export const CONNECT_SOURCE_SECRET = "connect-postgres";
const SECRETS_PROVIDER = "io.strimzi.kafka.KubernetesSecretConfigProvider";

/** What a connector writes instead of the password: resolved by the Connect worker, never stored in the connector. */
export function strimziPasswordRef(namespace: string): string {
  return `\${secrets:${namespace}/${CONNECT_SOURCE_SECRET}:password}`;
}

export interface StrimziConnectInput {
  readonly replicas: number;
  readonly bootstrapServers: string;
  readonly groupId: string;
  readonly replicationFactor: number;
  /** registry/repository:tag Strimzi pushes the built image to. */
  readonly image: string;
  /** Log in as this KafkaUser over the cluster's TLS listener (kafka/strimzi-auth.ts). */
  readonly kafkaAuth?: { readonly user: string; readonly cluster: string };
}

export function renderStrimziConnectSpec(input: StrimziConnectInput): Record<string, unknown> {
  const internal = connectInternalTopics(input.groupId);
  return {
    version: versions.kafka,
    replicas: input.replicas,
    bootstrapServers: input.bootstrapServers,
    ...(input.kafkaAuth ? renderStrimziConnectAuth(input.kafkaAuth.user, input.kafkaAuth.cluster) : {}),
    groupId: input.groupId,
    configStorageTopic: internal.configs,
    offsetStorageTopic: internal.offsets,
    statusStorageTopic: internal.status,
    config: {
      "config.storage.replication.factor": input.replicationFactor,
      "offset.storage.replication.factor": input.replicationFactor,
      "status.storage.replication.factor": input.replicationFactor,
      // Secrets reach connectors through config providers, so the connector shows only a reference.
      "config.providers": "secrets",
      "config.providers.secrets.class": SECRETS_PROVIDER,
      // Connectors may not override the worker's client settings (e.g. point a producer elsewhere).
      "connector.client.config.override.policy": "None",
      // Topics are KafkaTopics of the stack, with their retention; Connect must not create them.
      "topic.creation.enable": false,
    },
    build: {
      output: { type: "docker", image: input.image },
      plugins: [
        {
          name: "debezium-postgres",
          artifacts: [{ type: "maven", group: "io.debezium", artifact: "debezium-connector-postgres", version: versions.debezium }],
        },
      ],
    },
    resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
  };
}

/** The KafkaConnector's spec: the class and task count at the top, every other setting as rendered for every target. */
export function renderKafkaConnectorSpec(config: Record<string, string>): Record<string, unknown> {
  const { "connector.class": connectorClass, "tasks.max": tasksMax, name: _name, ...rest } = config;
  if (connectorClass !== POSTGRES_CONNECTOR_CLASS) throw new Error(`renderKafkaConnectorSpec: expected the Debezium Postgres connector, got ${connectorClass}`);
  return {
    class: connectorClass,
    tasksMax: Number(tasksMax ?? "1"),
    // A failed task is restarted with back-off by the operator instead of staying FAILED until someone looks.
    autoRestart: { enabled: true },
    state: "running",
    config: rest,
  };
}

export function createStrimziConnect(
  name: string,
  args: { target: KubernetesTarget; input: StrimziConnectInput; sourcePassword: pulumi.Input<string> },
  opts: { parent: pulumi.Resource } & Pick<pulumi.CustomResourceOptions, "dependsOn">,
): { name: string; passwordRef: string; ready: pulumi.Resource[] } {
  const t = args.target;
  const o: pulumi.CustomResourceOptions = { parent: opts.parent, provider: t.provider };
  const secret = new k8s.core.v1.Secret(`${name}-source-secret`, {
    metadata: { name: CONNECT_SOURCE_SECRET, namespace: t.namespace, labels: t.labels },
    type: "Opaque",
    stringData: { password: pulumi.secret(args.sourcePassword) },
  }, o);
  // Strimzi's config provider reads Secrets through the API as the Connect pods' service account:
  // it may get exactly this one Secret, nothing else.
  const role = new k8s.rbac.v1.Role(`${name}-secret-reader`, {
    metadata: { name: `${STRIMZI_CONNECT}-secret-reader`, namespace: t.namespace, labels: t.labels },
    rules: [{ apiGroups: [""], resources: ["secrets"], resourceNames: [CONNECT_SOURCE_SECRET], verbs: ["get"] }],
  }, o);
  const binding = new k8s.rbac.v1.RoleBinding(`${name}-secret-reader`, {
    metadata: { name: `${STRIMZI_CONNECT}-secret-reader`, namespace: t.namespace, labels: t.labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
    subjects: [{ kind: "ServiceAccount", name: `${STRIMZI_CONNECT}-connect`, namespace: t.namespace }],
  }, o);
  const connect = customResource(`${name}-cluster`, {
    apiVersion: STRIMZI_API,
    kind: "KafkaConnect",
    metadata: {
      name: STRIMZI_CONNECT,
      namespace: t.namespace,
      labels: t.labels,
      // Connectors are KafkaConnector resources: reviewed in previews, not posted to the REST API by hand.
      annotations: { "strimzi.io/use-connector-resources": "true", ...awaitAnnotations(t) },
    },
    spec: renderStrimziConnectSpec(args.input),
  }, { ...o, dependsOn: opts.dependsOn });
  return { name: STRIMZI_CONNECT, passwordRef: strimziPasswordRef(t.namespaceName), ready: [secret, role, binding, connect] };
}

/** The connector as a KafkaConnector resource of the stack's Connect cluster. */
export function createKafkaConnector(
  name: string,
  args: { target: KubernetesTarget; connectCluster: string; connectorName: string; config: Record<string, string> },
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const t = args.target;
  return customResource(name, {
    apiVersion: STRIMZI_API,
    kind: "KafkaConnector",
    metadata: { name: args.connectorName, namespace: t.namespace, labels: { ...t.labels, "strimzi.io/cluster": args.connectCluster }, annotations: awaitAnnotations(t) },
    spec: renderKafkaConnectorSpec(args.config),
  }, { ...opts, provider: t.provider, deleteBeforeReplace: true });
}
