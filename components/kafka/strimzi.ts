import * as pulumi from "@pulumi/pulumi";
import { awaitAnnotations, customResource } from "../kubernetes/custom-resource";
import { KubernetesTarget } from "../runtime";
import { versions } from "../versions";
import { KafkaAccess } from "./acls";
import { renderKafkaUser, renderScramTlsListener, renderStrimziAuthorizationConfig, STRIMZI_TLS_PORT } from "./strimzi-auth";

/** The Strimzi realisation of KafkaBroker: `kafka.strimzi.io/v1` Kafka and KafkaNodePool, KRaft only. */

export { STRIMZI_API } from "./strimzi-api";
import { STRIMZI_API } from "./strimzi-api";
export const STRIMZI_KAFKA = "kafka";
export const STRIMZI_PLAIN_PORT = 9092;

/** Labels of the pods that may reach the brokers' listener: Kafka Connect and the sync worker. */
export interface KafkaPeers {
  readonly connect: Record<string, string>;
  readonly workers: Record<string, string>;
}

export interface StrimziKafkaInput {
  readonly brokers: number;
  readonly storageSize: string;
  readonly storageClass?: string;
  readonly replicationFactor: number;
  readonly peers: KafkaPeers;
}

/** Broker settings: replication as the stack's topics get it, and no topic that a typo could create. */
export function strimziKafkaConfig(rf: number): Record<string, string | number | boolean> {
  const minIsr = Math.min(2, rf);
  return {
    "auto.create.topics.enable": false,
    "default.replication.factor": rf,
    "min.insync.replicas": minIsr,
    "offsets.topic.replication.factor": rf,
    "transaction.state.log.replication.factor": rf,
    "transaction.state.log.min.isr": minIsr,
  };
}

export function renderStrimziKafkaSpec(input: StrimziKafkaInput): Record<string, unknown> {
  return {
    kafka: {
      version: versions.kafka,
      // One listener: TLS with SCRAM-SHA-512 logins; every client is a KafkaUser (strimzi-auth.ts).
      listeners: [renderScramTlsListener([input.peers.connect, input.peers.workers])],
      authorization: renderStrimziAuthorizationConfig(),
      config: strimziKafkaConfig(input.replicationFactor),
    },
    // The User Operator turns the KafkaUsers (createStrimziKafkaUsers) into SCRAM credentials, ACLs and
    // the Secrets the clients log in with; without it no client of the TLS listener could log in.
    entityOperator: { topicOperator: {}, userOperator: {} },
  };
}

export function renderNodePoolSpec(input: Pick<StrimziKafkaInput, "brokers" | "storageSize" | "storageClass">): Record<string, unknown> {
  return {
    replicas: input.brokers,
    // Every node is broker and KRaft controller: three nodes give a quorum that survives one loss.
    roles: ["controller", "broker"],
    storage: {
      type: "jbod",
      volumes: [{ id: 0, type: "persistent-claim", size: input.storageSize, deleteClaim: false, kraftMetadata: "shared", ...(input.storageClass ? { class: input.storageClass } : {}) }],
    },
  };
}

export function createStrimziKafka(
  name: string,
  args: { target: KubernetesTarget; brokers?: number; storageSize?: string; replicationFactor?: number; peers?: KafkaPeers },
  opts: { parent: pulumi.Resource; retainOnDelete?: boolean },
): { name: string; bootstrap: string; ready: pulumi.Resource[] } {
  const t = args.target;
  const input: StrimziKafkaInput = {
    brokers: args.brokers ?? 3,
    storageSize: args.storageSize ?? "100Gi",
    storageClass: t.storageClass,
    replicationFactor: args.replicationFactor ?? Math.min(3, args.brokers ?? 3),
    peers: args.peers ?? defaultKafkaPeers(),
  };
  const o: pulumi.CustomResourceOptions = { parent: opts.parent, provider: t.provider, retainOnDelete: opts.retainOnDelete };
  const labels = { ...t.labels, "strimzi.io/cluster": STRIMZI_KAFKA };
  const pool = customResource(`${name}-nodepool`, {
    apiVersion: STRIMZI_API,
    kind: "KafkaNodePool",
    metadata: { name: "dual-role", namespace: t.namespace, labels },
    spec: renderNodePoolSpec(input),
  }, o);
  const kafka = customResource(`${name}-cluster`, {
    apiVersion: STRIMZI_API,
    kind: "Kafka",
    metadata: { name: STRIMZI_KAFKA, namespace: t.namespace, labels: t.labels, annotations: awaitAnnotations(t) },
    spec: renderStrimziKafkaSpec(input),
  }, { ...o, dependsOn: [pool] });
  return { name: STRIMZI_KAFKA, bootstrap: `${STRIMZI_KAFKA}-kafka-bootstrap:${STRIMZI_TLS_PORT}`, ready: [pool, kafka] };
}

/** A KafkaUser per client of `access` (kafka/acls.ts); the User Operator writes each one's Secret `<user>`. */
export function createStrimziKafkaUsers(
  name: string,
  args: { target: KubernetesTarget; cluster: string; access: KafkaAccess },
  opts: { parent: pulumi.Resource; dependsOn?: pulumi.Input<pulumi.Resource>[] },
): pulumi.Resource[] {
  const t = args.target;
  return [args.access.connect, args.access.worker].map((p) =>
    customResource(`${name}-user-${p.user}`, renderKafkaUser(p, { cluster: args.cluster, namespace: t.namespace, labels: t.labels }) as never,
      { parent: opts.parent, provider: t.provider, dependsOn: opts.dependsOn }));
}

/** Pod labels of Strimzi's Connect pods and of the sync worker (components/workers). */
export function defaultKafkaPeers(): KafkaPeers {
  return { connect: { "strimzi.io/kind": "KafkaConnect" }, workers: { "app.kubernetes.io/component": "sync" } };
}
