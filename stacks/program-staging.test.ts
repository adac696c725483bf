import { stackConfig } from "./stack-files";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { renderKongConfig } from "../components/kong/render";
import { credentialLeaks } from "../components/testing/inspect";
import { customResources, get, oneCustom, podTemplates } from "../components/testing/kubernetes";
import { installMocks, MockRun, settle } from "../components/testing/mocks";
import { versions } from "../components/versions";
import { generateKongCredentials } from "./kong-credentials";

/**
 * The staging program (Kubernetes, every service provisioned through its operator) under Pulumi
 * mocks: the properties issue 7 asks of the Kubernetes target, including what must be absent.
 * The same program is deployed for real onto the local API server in test/engine-staging.test.ts.
 */

const SECRETS = { "coexist:debeziumPassword": "dbz-St4ging-s3cret", "coexist:mongodbPassword": "mongo-St4ging-s3cret" };
const KONG = generateKongCredentials(renderKongConfig("staging").secretVariables);
const file = stackConfig("staging");
// CRDs are generated from the operators' registries and applied for real in the engine test.
const config = { ...file, "coexist:kubernetes": { ...(file["coexist:kubernetes"] as object), crds: "skip" } };

let run: MockRun;

before(async () => {
  run = installMocks("staging", { ...config, ...SECRETS, "coexist:kongCredentials": KONG }, [...Object.keys(SECRETS), "coexist:kongCredentials"]);
  const program = await import("./program");
  await run.runProgram(() => program.main());
  await settle();
});

describe("staging program (Kubernetes)", () => {
  it("deploys into its own namespace, enforcing the restricted Pod Security Standard, denying ingress by default", () => {
    const ns = run.one("kubernetes:core/v1:Namespace").inputs;
    assert.equal(get(ns, "metadata", "name"), "coexist-staging");
    assert.equal(get(ns, "metadata", "labels", "pod-security.kubernetes.io/enforce"), "restricted");
    const deny = run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => get(p.inputs, "metadata", "name") === "default-deny-ingress");
    assert.deepEqual(get(deny?.inputs, "spec"), { podSelector: {}, policyTypes: ["Ingress"] });
  });

  it("runs Kafka in KRaft mode on a dual-role node pool, with min.insync.replicas 2 and no auto-created topics", () => {
    const kafka = oneCustom(run, "Kafka").inputs;
    assert.equal(kafka.apiVersion, "kafka.strimzi.io/v1");
    assert.equal(get(kafka, "spec", "kafka", "version"), versions.kafka);
    assert.equal(get(kafka, "spec", "zookeeper"), undefined);
    const cfg = get(kafka, "spec", "kafka", "config") as Record<string, unknown>;
    assert.equal(cfg["min.insync.replicas"], 2);
    assert.equal(cfg["auto.create.topics.enable"], false);
    const pool = oneCustom(run, "KafkaNodePool").inputs;
    assert.deepEqual(get(pool, "spec", "roles"), ["controller", "broker"]);
    assert.equal(get(pool, "spec", "replicas"), 3);
  });

  it("lets only Connect and the sync worker reach the brokers' listener", () => {
    const listeners = get(oneCustom(run, "Kafka").inputs, "spec", "kafka", "listeners") as { type: string; networkPolicyPeers: unknown[] }[];
    assert.ok(listeners.every((l) => l.type === "internal"), "no listener leaves the cluster");
    assert.deepEqual(listeners[0]?.networkPolicyPeers, [{ podSelector: { matchLabels: { "strimzi.io/kind": "KafkaConnect" } } }, { podSelector: { matchLabels: { "app.kubernetes.io/component": "sync" } } }]);
  });

  it("authenticates every Kafka client: one TLS SCRAM-SHA-512 listener, simple authorisation, a KafkaUser each for Connect and the worker", () => {
    const kafka = get(oneCustom(run, "Kafka").inputs, "spec", "kafka") as { listeners: { tls: boolean; authentication?: { type: string } }[]; authorization?: { type: string } };
    assert.ok(kafka.listeners.length > 0 && kafka.listeners.every((l) => l.tls && l.authentication?.type === "scram-sha-512"), "no plaintext or anonymous listener");
    assert.deepEqual(kafka.authorization, { type: "simple" });
    const users = customResources(run, "KafkaUser").map((u) => u.inputs);
    assert.deepEqual(users.map((u) => get(u, "metadata", "name")).sort(), ["coexist-connect", "coexist-sync"]);
    for (const u of users) assert.equal(get(u, "metadata", "labels", "strimzi.io/cluster"), "kafka");
    const connect = oneCustom(run, "KafkaConnect").inputs;
    assert.deepEqual(get(connect, "spec", "authentication"), { type: "scram-sha-512", username: "coexist-connect", passwordSecret: { secretName: "coexist-connect", password: "password" } });
    assert.match(String(get(connect, "spec", "bootstrapServers")), /:9093$/);
    const sync = podTemplates(run).find((p) => p.owner.type === "kubernetes:apps/v1:Deployment" && get(p.template, "metadata", "labels", "app.kubernetes.io/component") === "sync");
    const env = (get(sync?.template, "spec", "containers") as { env: { name: string; value?: string; valueFrom?: unknown }[] }[])[0]!.env;
    assert.deepEqual(env.find((e) => e.name === "KAFKA_SASL_PASSWORD")?.valueFrom, { secretKeyRef: { name: "coexist-sync", key: "password" } });
    const config = JSON.parse(env.find((e) => e.name === "COEXIST_CONFIG")!.value!) as { kafka: { sasl: unknown; tls: unknown } };
    assert.deepEqual(config.kafka.sasl, { mechanism: "SCRAM-SHA-512", username: "coexist-sync" });
    assert.equal(config.kafka.tls, true);
  });

  it("builds Connect with the Debezium plugin from Maven, and reads the password through Strimzi's secrets provider with a Role for that Secret only", () => {
    const connect = oneCustom(run, "KafkaConnect").inputs;
    assert.equal(get(connect, "metadata", "annotations", "strimzi.io/use-connector-resources"), "true");
    assert.equal(get(connect, "spec", "groupId"), "coexist-connect");
    assert.equal(get(connect, "spec", "offsetStorageTopic"), "coexist-connect.offsets");
    const plugins = get(connect, "spec", "build", "plugins") as { artifacts: { type: string; artifact: string; version: string }[] }[];
    assert.deepEqual(plugins[0]?.artifacts, [{ type: "maven", group: "io.debezium", artifact: "debezium-connector-postgres", version: versions.debezium }]);
    assert.equal(get(connect, "spec", "config", "config.providers.secrets.class"), "io.strimzi.kafka.KubernetesSecretConfigProvider");
    assert.equal(get(connect, "spec", "config", "connector.client.config.override.policy"), "None");
    const role = run.one("kubernetes:rbac.authorization.k8s.io/v1:Role").inputs;
    assert.deepEqual(get(role, "rules"), [{ apiGroups: [""], resources: ["secrets"], resourceNames: ["connect-postgres"], verbs: ["get"] }]);
  });

  it("declares the connector as a KafkaConnector with auto-restart, its config rendered like every target's, the password only referenced", () => {
    const c = oneCustom(run, "KafkaConnector");
    assert.equal(get(c.inputs, "spec", "class"), "io.debezium.connector.postgresql.PostgresConnector");
    assert.deepEqual(get(c.inputs, "spec", "autoRestart"), { enabled: true });
    const cfg = get(c.inputs, "spec", "config") as Record<string, string>;
    assert.equal(cfg["database.password"], "${secrets:coexist-staging/connect-postgres:password}");
    assert.equal(cfg["database.hostname"], "postgres-rw");
    assert.equal(cfg["slot.name"], "coexist_staging");
    assert.equal(cfg["connector.class"], undefined, "the class is spec.class");
    assert.ok(c.deleteBeforeReplace, "a replaced connector goes before its successor starts on the same slot");
    assert.ok(c.replaceOnChanges?.includes('spec.config["slot.name"]'));
  });

  it("creates one KafkaTopic per captured table plus the DLQ, heartbeat and Connect topics, each with 3 replicas", () => {
    const topics = customResources(run, "KafkaTopic").map((t) => get(t.inputs, "spec") as { topicName: string; replicas: number; config: Record<string, string> });
    assert.deepEqual(topics.map((t) => t.topicName).sort(), [
      "__debezium-heartbeat.coexist", "coexist-connect.configs", "coexist-connect.offsets", "coexist-connect.status",
      "coexist.dlq", "coexist.public.customers", "coexist.public.orders", "coexist.public.products",
    ]);
    for (const t of topics) assert.equal(t.replicas, 3, t.topicName);
  });

  it("runs PostgreSQL through CloudNativePG with logical WAL, a bounded slot WAL size, no superuser login and a non-superuser replication role", () => {
    const cluster = oneCustom(run, "Cluster").inputs;
    const params = get(cluster, "spec", "postgresql", "parameters") as Record<string, string>;
    assert.equal(params.wal_level, "logical");
    assert.equal(params.max_slot_wal_keep_size, "2GB");
    assert.equal(get(cluster, "spec", "enableSuperuserAccess"), false);
    const roles = get(cluster, "spec", "managed", "roles") as { name: string; replication: boolean; superuser: boolean }[];
    assert.deepEqual(roles.map((r) => [r.name, r.replication, r.superuser]), [["debezium", true, false], ["coexist_reconciler", false, false], ["coexist_slot_reader", false, false]]);
    const pub = oneCustom(run, "Publication").inputs;
    assert.deepEqual((get(pub, "spec", "target", "objects") as { table: { schema: string; name: string } }[]).map((o) => `${o.table.schema}.${o.table.name}`), [
      "public.orders", "public.customers", "public.products", "coexist.heartbeat",
    ]);
  });

  it("runs the read model as a MongoDBCommunity replica set with SCRAM and one readWrite user whose password is a Secret", () => {
    const rs = oneCustom(run, "MongoDBCommunity").inputs;
    assert.deepEqual(get(rs, "spec", "security", "authentication", "modes"), ["SCRAM"]);
    const users = get(rs, "spec", "users") as { roles: { name: string; db: string }[]; passwordSecretRef: { name: string } }[];
    assert.equal(users.length, 1);
    assert.deepEqual(users[0]?.roles, [{ name: "readWrite", db: "coexist" }]);
    assert.ok(users[0]?.passwordSecretRef.name);
  });

  it("exposes no Kong Admin API and no Connect REST API through any Service", () => {
    for (const svc of run.byType("kubernetes:core/v1:Service")) {
      const ports = (get(svc.inputs, "spec", "ports") as { port: number; name: string }[]).map((p) => p.port);
      assert.ok(!ports.includes(8001) && !ports.includes(8444), `${svc.name} exposes the Kong Admin API`);
      assert.ok(!ports.includes(8083), `${svc.name} exposes Connect's REST API`);
    }
    const proxy = run.byType("kubernetes:core/v1:Service").find((s) => (get(s.inputs, "spec", "ports") as { port: number }[]).some((p) => p.port === 8000));
    assert.equal(get(proxy?.inputs, "spec", "type"), "LoadBalancer", "the proxy's Service type comes from coexist:kubernetes.publicServiceType");
  });

  it("runs every pod non-root, without privilege escalation or capabilities, on a read-only root filesystem", () => {
    const pods = podTemplates(run);
    assert.ok(pods.length >= 4, "sync, reconciler, gateway, jobs");
    for (const { owner, template } of pods) {
      assert.equal(get(template, "spec", "securityContext", "runAsNonRoot"), true, owner.name);
      assert.equal(get(template, "spec", "automountServiceAccountToken"), false, owner.name);
      for (const c of get(template, "spec", "containers") as Record<string, unknown>[]) {
        assert.deepEqual(get(c, "securityContext"), { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }, owner.name);
        assert.ok(get(c, "resources", "limits", "memory"), `${owner.name} has a memory limit`);
      }
    }
  });

  it("runs the sync worker as a Deployment with probes and a PodDisruptionBudget, and the reconciler self-scheduled with its metrics served", () => {
    const sync = podTemplates(run).find((p) => p.owner.type === "kubernetes:apps/v1:Deployment" && get(p.template, "metadata", "labels", "app.kubernetes.io/component") === "sync");
    assert.ok(sync, "a sync Deployment");
    assert.equal(get(sync.owner.inputs, "spec", "replicas"), 2);
    const container = (get(sync.template, "spec", "containers") as Record<string, unknown>[])[0];
    assert.equal(get(container, "livenessProbe", "httpGet", "path"), "/healthz");
    assert.equal(get(container, "readinessProbe", "httpGet", "path"), "/readyz");
    assert.ok(run.byType("kubernetes:policy/v1:PodDisruptionBudget").some((p) => get(p.inputs, "spec", "selector", "matchLabels", "app.kubernetes.io/name") === "sync"));
    const reconciler = podTemplates(run).find((p) => get(p.template, "metadata", "labels", "app.kubernetes.io/component") === "reconciler");
    const rc = (get(reconciler?.template, "spec", "containers") as Record<string, unknown>[])[0];
    assert.deepEqual(get(rc, "args"), ["node", "dist/reconciler/main.js", "--schedule", "15 * * * *"]);
    assert.equal(get(rc, "readinessProbe", "httpGet", "path"), "/readyz");
    assert.ok(run.byType("kubernetes:core/v1:Service").some((s) => get(s.inputs, "metadata", "name") === "reconciler"), "a Service to scrape it by");
  });

  it("rolls the gateway's pods when its config changes (a checksum of its files on the pod template)", () => {
    const gw = podTemplates(run).find((p) => get(p.template, "metadata", "labels", "app.kubernetes.io/component") === "gateway");
    assert.match(String(get(gw?.template, "metadata", "annotations", "coexist.dev/config-checksum")), /^[0-9a-f]{64}$/);
  });

  it("lets only Connect, the reconciler, the slot exporter, the setup job, its own instances and its operator (in this namespace, on 5432 and 8000) reach PostgreSQL", () => {
    const policy = run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => get(p.inputs, "metadata", "name") === "allow-postgres-ingress");
    const rules = get(policy?.inputs, "spec", "ingress") as { from: Record<string, unknown>[]; ports: { port: number }[] }[];
    assert.deepEqual(rules.map((r) => `${JSON.stringify(r.from.map((f) => f.namespaceSelector ?? get(f, "podSelector", "matchLabels")))} ${r.ports.map((p) => p.port).join(",")}`), [
      '[{"strimzi.io/kind":"KafkaConnect"}] 5432', '[{"app.kubernetes.io/component":"reconciler"}] 5432', '[{"app.kubernetes.io/component":"slot-exporter"}] 5432',
      '[{"app.kubernetes.io/component":"cdc-setup"}] 5432', '[{"cnpg.io/cluster":"postgres"}] 5432', '[{"app.kubernetes.io/name":"cloudnative-pg"}] 5432,8000',
    ]);
    const deny = run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => get(p.inputs, "metadata", "name") === "default-deny-egress");
    assert.deepEqual(get(deny?.inputs, "spec"), { podSelector: {}, policyTypes: ["Egress"] });
  });

  it("installs the operators from their pinned charts without their CRDs", () => {
    const charts = run.byType("kubernetes:helm.sh/v4:Chart");
    assert.equal(charts.length, 3);
    for (const c of charts) assert.equal(c.inputs.skipCrds, true, c.name);
    // Each watches staging's namespace only, under a release of its own (two stacks on one cluster).
    const values = Object.fromEntries(charts.map((c) => [String(c.inputs.name), JSON.stringify(c.inputs.values)]));
    assert.deepEqual(Object.keys(values).sort(), ["cloudnative-pg-coexist-staging", "mongodb-kubernetes-coexist-staging", "strimzi-coexist-staging"]);
    assert.match(values["cloudnative-pg-coexist-staging"]!, /"clusterWide":false/);
    assert.match(values["mongodb-kubernetes-coexist-staging"]!, /"watchNamespace":"coexist-staging"/);
    assert.match(values["strimzi-coexist-staging"]!, /"watchAnyNamespace":false/);
  });

  it("protects the stateful resources", () => {
    for (const kind of ["Kafka", "KafkaNodePool", "Cluster", "MongoDBCommunity"]) {
      const r = oneCustom(run, kind);
      assert.equal(r.protect, true, kind);
      assert.equal(r.retainOnDelete, true, kind);
    }
    for (const t of customResources(run, "KafkaTopic")) assert.equal(t.protect, true, t.name);
  });

  it("puts each credential only in the Secret that holds it", () => {
    const secret = "kubernetes:core/v1:Secret";
    const leaks = credentialLeaks(run.resources, { ...SECRETS, ...KONG }, {
      "coexist:debeziumPassword": [{ type: secret, name: /-role-debezium$/, input: "stringData" }, { type: secret, name: /-connect-source-secret$/, input: "stringData" }],
      "coexist:mongodbPassword": [{ type: secret, name: /-user-password$/, input: "stringData" }],
      ...Object.fromEntries(Object.keys(KONG).map((k) => [k, [{ type: secret, name: /-gateway-secret-files$/, input: "stringData" }]])),
    });
    assert.deepEqual(leaks, []);
  });

  it("waits for the slot's release in the cluster: the offset reset's probe pod runs the worker image as the slot exporter's role", () => {
    const offsets = run.one("pulumi-nodejs:dynamic/coexist:StrimziConnectorOffsets").inputs;
    const exporter = run.one("kubernetes:apps/v1:Deployment", "slot-exporter").inputs as { spec: { template: { spec: { containers: { image: string }[] } } } };
    const exporterEnv = run.one("kubernetes:core/v1:Secret", "slot-exporter-env").inputs as { stringData: unknown };
    // A secret reaches the mocks wrapped: { <signature>: ..., value }.
    const plain = (v: unknown): unknown => (typeof v === "object" && v !== null && "value" in v ? (v as { value: unknown }).value : v);
    assert.equal(offsets.slotProbeUrl, undefined, "Pulumi does not reach CloudNativePG");
    assert.equal(offsets.inClusterProbeImage, exporter.spec.template.spec.containers[0]!.image);
    assert.notEqual(plain(offsets.inClusterProbeUrl), offsets.inClusterProbeUrl, "a secret");
    assert.equal(plain(offsets.inClusterProbeUrl), (plain(exporterEnv.stringData) as { POSTGRES_URL: unknown }).POSTGRES_URL);
    assert.match(String(plain(offsets.inClusterProbeUrl)), /^postgresql:\/\/coexist_slot_reader:[^@]+@postgres-rw[.:]/, "the slot exporter's login role, not the reconciler's");
    assert.equal(offsets.slotName, "coexist_staging");
  });

  it("registers no bridged provider: staging needs only the Kubernetes provider and dynamic resources", () => {
    const providers = run.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.type);
    assert.deepEqual([...new Set(providers)], ["pulumi:providers:kubernetes"]);
  });
});
