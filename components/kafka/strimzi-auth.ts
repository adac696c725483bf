/**
 * Strimzi (staging, prod) renderings of the Kafka access description (acls.ts): a TLS listener
 * with SCRAM-SHA-512, simple authorisation, a KafkaUser per client, and how each client reads
 * the Secret the User Operator writes (a Secret named after the KafkaUser, key `password`).
 * Pure functions; the Strimzi realisations (strimzi.ts here, connect/strimzi.ts) create the objects.
 */
import type * as pulumi from "@pulumi/pulumi";
import { KafkaPrincipal, renderStrimziAuthorization } from "./acls";
import { STRIMZI_API } from "./strimzi-api";

/** The one client listener: TLS (the cluster CA's certificates) and SCRAM-SHA-512 logins. */
export const STRIMZI_TLS_PORT = 9093;

export function renderScramTlsListener(peers: ReadonlyArray<Record<string, string>>): Record<string, unknown> {
  return {
    name: "tls",
    port: STRIMZI_TLS_PORT,
    type: "internal",
    tls: true,
    authentication: { type: "scram-sha-512" },
    // Strimzi turns these into the listener's NetworkPolicy: nothing else in the cluster reaches the brokers.
    networkPolicyPeers: peers.map((matchLabels) => ({ podSelector: { matchLabels } })),
  };
}

/**
 * Deny by default; no super user besides Strimzi's own operators (which log in with the cluster's
 * TLS identities): topics are KafkaTopics, so the stack needs no admin user on Kafka.
 */
export function renderStrimziAuthorizationConfig(): Record<string, unknown> {
  return { type: "simple" };
}

export function renderKafkaUser(principal: KafkaPrincipal, input: { cluster: string; namespace: pulumi.Input<string>; labels?: Record<string, string> }): Record<string, unknown> {
  // The KafkaUser's name is the SCRAM user and its Secret's name: a DNS-1123 subdomain.
  if (!/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/.test(principal.user)) {
    throw new Error(`KafkaUser: user ${JSON.stringify(principal.user)} is not a Kubernetes object name; fix: use a coexist:topicPrefix of lower-case letters, digits and '-' (users are <topicPrefix>-connect and <topicPrefix>-sync)`);
  }
  return {
    apiVersion: STRIMZI_API,
    kind: "KafkaUser",
    metadata: { name: principal.user, namespace: input.namespace, labels: { ...input.labels, "strimzi.io/cluster": input.cluster } },
    // No password given: the User Operator generates one into the Secret `<user>`.
    spec: { authentication: { type: "scram-sha-512" }, authorization: renderStrimziAuthorization(principal) },
  };
}

/** The cluster CA's public certificate, which Strimzi publishes for clients of TLS listeners. */
export function clusterCaSecret(cluster: string): string {
  return `${cluster}-cluster-ca-cert`;
}

/** KafkaConnect spec fields: log in as Connect's KafkaUser, trust the cluster CA. */
export function renderStrimziConnectAuth(connectUser: string, cluster: string): Record<string, unknown> {
  return {
    authentication: { type: "scram-sha-512", username: connectUser, passwordSecret: { secretName: connectUser, password: "password" } },
    tls: { trustedCertificates: [{ secretName: clusterCaSecret(cluster), pattern: "*.crt" }] },
  };
}

/**
 * The worker container's env: the password straight from the User Operator's Secret (never in
 * COEXIST_CONFIG or a preview), the CA from the cluster's CA Secret.
 */
export function renderWorkerKafkaEnv(workerUser: string, cluster: string): Array<Record<string, unknown>> {
  return [
    { name: "KAFKA_SASL_MECHANISM", value: "SCRAM-SHA-512" },
    { name: "KAFKA_SASL_USERNAME", value: workerUser },
    { name: "KAFKA_SASL_PASSWORD", valueFrom: { secretKeyRef: { name: workerUser, key: "password" } } },
    { name: "KAFKA_SSL_CA_PEM", valueFrom: { secretKeyRef: { name: clusterCaSecret(cluster), key: "ca.crt" } } },
  ];
}
