/**
 * Engine events shaped exactly as the Automation API delivers them (field names and nesting
 * recorded from real previews by the CLI built here; secrets as the engine serialises them), for
 * the renderer's tests. `stagingPreview` is the golden test's input: a preview of a staging-like
 * stack with a connector replaced, a gateway route losing jwt, a CloudNativePG parameter changed,
 * a worker Deployment created, a volume deleted and a mandatory policy violation.
 */
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { SECRET_SIG } from "./markdown-values";

export const SECRET = { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[secret]" };
const STACK = "staging";

export function urnOf(type: string, name: string, stack = STACK): string {
  return `urn:pulumi:${stack}::coexist::${type}::${name}`;
}

interface Step {
  readonly op: OpType;
  readonly type: string;
  readonly name: string;
  readonly old?: Record<string, unknown>;
  readonly new?: Record<string, unknown>;
  readonly keys?: string[];
  readonly detailedDiff?: Record<string, { diffKind: string; inputDiff: boolean }>;
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly custom?: boolean;
}

let sequence = 0;

export function pre(s: Step, stack = STACK): EngineEvent {
  const urn = urnOf(s.type, s.name, stack);
  const state = (inputs: Record<string, unknown>) => ({
    type: s.type, urn, custom: s.custom ?? true, id: "", parent: urnOf("pulumi:pulumi:Stack", `coexist-${stack}`, stack),
    ...(s.protect ? { protect: true } : {}), ...(s.retainOnDelete ? { retainOnDelete: true } : {}), inputs, outputs: {}, provider: "",
  });
  return {
    sequence: sequence++,
    timestamp: 1795706347,
    resourcePreEvent: {
      metadata: {
        op: s.op, urn, type: s.type, provider: "",
        ...(s.old ? { old: state(s.old) } : {}), ...(s.new ? { new: state(s.new) } : {}),
        ...(s.keys ? { keys: s.keys } : {}), detailedDiff: (s.detailedDiff ?? null) as never, logical: true,
      },
      planning: true,
    },
  } as EngineEvent;
}

export function summary(resourceChanges: Record<string, number>, result = "succeeded"): EngineEvent {
  return { sequence: sequence++, timestamp: 1795706347, summaryEvent: { maybeCorrupt: false, durationSeconds: 4, resourceChanges, policyPacks: {}, isPreview: true, result } } as unknown as EngineEvent;
}

export function violation(policyName: string, resourceUrn: string, message: string): EngineEvent {
  return { sequence: sequence++, timestamp: 1795706347, policyEvent: { resourceUrn, message, color: "never", policyName, policyPackName: "coexist-guardrails", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", enforcementLevel: "mandatory" } } as EngineEvent;
}

export function error(message: string, urn?: string): EngineEvent {
  return { sequence: sequence++, timestamp: 1795706347, diagnosticEvent: { message, color: "never", severity: "error", ...(urn ? { urn } : {}) } } as EngineEvent;
}

const CR = (kind: string) => `kubernetes:${kind === "Cluster" ? "postgresql.cnpg.io/v1" : "kafka.strimzi.io/v1"}:${kind}`;

/** A gateway review file (kong/base.yaml's shape after rendering), with the analytics route's plugins given. */
export function kongReview(analyticsPlugins: string, extraRoute = ""): string {
  return `# Rendered from kong/base.yaml + kong/overlays/staging.yaml by components/kong/render.ts; do not edit.
_format_version: "3.0"
services:
  - name: analytics
    url: http://analytics.coexist.svc.cluster.local:8000
    routes:
      - name: analytics
        methods: [GET, OPTIONS]
        paths: [/analytics]
    plugins:
${analyticsPlugins}
  - name: orders
    url: http://orders.coexist.svc.cluster.local:8000
    routes:
      - name: orders
        methods: [POST, GET, OPTIONS]
        paths: [/orders]
${extraRoute}    plugins:
      - name: jwt
        config: { claims_to_verify: [exp], maximum_expiration: 900 }
plugins:
  - name: prometheus
    config: { per_consumer: false }
`;
}

const JWT = "      - name: jwt\n        config: { claims_to_verify: [exp], maximum_expiration: 900 }\n";
const RATE = "      - name: rate-limiting\n        config: { minute: 50, policy: redis }\n";
const connectorConfig = (slot: string, tables: string) => ({
  "database.hostname": "postgres-rw", "database.port": "5432", "database.user": "coexist_debezium",
  "database.password": "${secrets:coexist-staging/connect-postgres:password}", "slot.name": slot, "publication.name": "coexist",
  "publication.autocreate.mode": "disabled", "table.include.list": tables, "snapshot.mode": "initial",
});

export function stagingPreview(): EngineEvent[] {
  return [
    pre({ op: "same", type: "pulumi:pulumi:Stack", name: "coexist-staging", custom: false, old: {}, new: {} }),
    pre({
      op: "replace", type: CR("KafkaConnector"), name: "coexist-connector-resource",
      old: { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaConnector", metadata: { name: "coexist-postgres-source", namespace: "coexist-staging" }, spec: { class: "io.debezium.connector.postgresql.PostgresConnector", tasksMax: 1, config: connectorConfig("coexist", "public.orders,public.customers") } },
      new: { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaConnector", metadata: { name: "coexist-postgres-source", namespace: "coexist-staging" }, spec: { class: "io.debezium.connector.postgresql.PostgresConnector", tasksMax: 1, config: connectorConfig("coexist_v2", "public.orders,public.customers,public.products") } },
      keys: ['spec.config["slot.name"]'],
      detailedDiff: { 'spec.config["slot.name"]': { diffKind: "update-replace", inputDiff: true }, 'spec.config["table.include.list"]': { diffKind: "update", inputDiff: true } },
    }),
    pre({
      op: "update", type: "kubernetes:core/v1:ConfigMap", name: "coexist-kong-gateway-files",
      old: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kong-files", namespace: "coexist-staging" }, data: { "kong_declarative_kong.review.yaml": kongReview(JWT + RATE) } },
      new: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kong-files", namespace: "coexist-staging" }, data: { "kong_declarative_kong.review.yaml": kongReview(RATE.replace("50", "100"), "      - name: orders-export\n        methods: [GET]\n        paths: [/orders/export]\n") } },
      detailedDiff: { 'data["kong_declarative_kong.review.yaml"]': { diffKind: "update", inputDiff: true } },
    }),
    pre({
      op: "update", type: "kubernetes:core/v1:Secret", name: "coexist-kong-gateway-secret-files", protect: false,
      old: { apiVersion: "v1", kind: "Secret", metadata: { name: "kong-secret-files", namespace: "coexist-staging" }, stringData: SECRET },
      new: { apiVersion: "v1", kind: "Secret", metadata: { name: "kong-secret-files", namespace: "coexist-staging" }, stringData: SECRET },
      detailedDiff: { stringData: { diffKind: "update", inputDiff: true } },
    }),
    pre({
      op: "update", type: CR("Cluster"), name: "coexist-postgres-cluster", protect: true, retainOnDelete: true,
      old: { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "postgres", namespace: "coexist-staging" }, spec: { instances: 3, postgresql: { parameters: { max_slot_wal_keep_size: "2GB", wal_level: "logical" } } } },
      new: { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "postgres", namespace: "coexist-staging" }, spec: { instances: 3, postgresql: { parameters: { max_slot_wal_keep_size: "4GB", wal_level: "logical" } } } },
      detailedDiff: { "spec.postgresql.parameters.max_slot_wal_keep_size": { diffKind: "update", inputDiff: true } },
    }),
    pre({
      op: "create", type: CR("KafkaTopic"), name: "coexist-topics-coexist.public.products", protect: true,
      new: { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "coexist.public.products", namespace: "coexist-staging", labels: { "strimzi.io/cluster": "kafka" } }, spec: { topicName: "coexist.public.products", partitions: 6, replicas: 3, config: { "cleanup.policy": "delete", "min.insync.replicas": "2", "retention.ms": "604800000" } } },
    }),
    pre({
      op: "replace", type: CR("KafkaTopic"), name: "coexist-topics-coexist.dlq", protect: true, keys: ["spec.topicName"],
      old: { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "coexist.dlq", namespace: "coexist-staging" }, spec: { topicName: "coexist.dlq", partitions: 1, replicas: 3 } },
      new: { apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "coexist.dlq", namespace: "coexist-staging" }, spec: { topicName: "coexist.dead-letters", partitions: 1, replicas: 3 } },
      detailedDiff: { "spec.topicName": { diffKind: "update-replace", inputDiff: true } },
    }),
    pre({
      op: "update", type: "kubernetes:apps/v1:Deployment", name: "coexist-workers-sync",
      old: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "sync", namespace: "coexist-staging" }, spec: { replicas: 2, template: { spec: { containers: [{ name: "sync", image: "registry.example.com/coexist/worker:0.2.0", env: [{ name: "MONGODB_URL", valueFrom: { secretKeyRef: { name: "mongodb-coexist-sync", key: "connectionString.standard" } } }, { name: "DEBUG_PASSWORD", value: "left-in-by-mistake" }] }] } } } },
      new: { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "sync", namespace: "coexist-staging" }, spec: { replicas: 2, template: { spec: { containers: [{ name: "sync", image: "registry.example.com/coexist/worker:0.3.0", env: [{ name: "MONGODB_URL", valueFrom: { secretKeyRef: { name: "mongodb-coexist-sync", key: "connectionString.standard" } } }, { name: "DEBUG_PASSWORD", value: "changed-by-mistake" }] }] } } } },
      detailedDiff: { "spec.template.spec.containers[0].image": { diffKind: "update", inputDiff: true }, "spec.template.spec.containers[0].env[1].value": { diffKind: "update", inputDiff: true } },
    }),
    pre({
      op: "delete", type: "kubernetes:core/v1:PersistentVolumeClaim", name: "coexist-scratch-pvc", retainOnDelete: false,
      old: { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "scratch", namespace: "coexist-staging" }, spec: { resources: { requests: { storage: "10Gi" } } } },
    }),
    violation("gateway-routes-authenticated", urnOf("kubernetes:core/v1:ConfigMap", "coexist-kong-gateway-files"), 'Every Kong route not tagged "public" has the jwt plugin.\nKong route analytics (service analytics) in ConfigMap kong-files is not tagged "public" and no jwt plugin applies: anyone can call it; fix: add jwt to the route or service, or tag the route public if it is meant to be anonymous\n'),
    error("preview failed"),
    summary({ create: 1, update: 4, replace: 2, delete: 1, same: 48 }, "failed"),
  ];
}
