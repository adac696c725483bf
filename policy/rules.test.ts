import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as mongodbatlas from "@pulumi/mongodbatlas";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { DebeziumConnector } from "../components/connect";
import { createStrimziKafka } from "../components/kafka/strimzi";
import { KafkaTopics } from "../components/kafka/topics";
import { KongGateway } from "../components/kong/gateway";
import { renderKongConfig } from "../components/kong/render";
import { PostgresServer } from "../components/postgres/server";
import { SqlScript } from "../components/postgres/sql-script";
import { deploy } from "../components/runtime";
import { POLICIES } from "./policies";
import { cnpgCluster, dockerTarget, editedKongDir, kubeTarget, pgRole } from "./programs";
import { kongConfigs } from "./rules/gateway";
import { generateKongCredentials } from "../stacks/kong-credentials";
import { check, realProgram, resourcesOf, Violation } from "./testing";
import type { Resource } from "./shapes";

/**
 * Each policy of the pack on a program that breaks it (it must report the resource, the value and
 * the fix) and on the repository's real programs for dev (Docker), local, staging and prod
 * (Kubernetes), which must hold every policy.
 */

const parent = () => new pulumi.ComponentResource("coexist:test:Program", "program");
const policy = (name: string) => {
  const p = POLICIES.find((x) => x.name === name);
  if (!p) throw new Error(`no policy ${name}`);
  return p;
};
const messages = (vs: readonly Violation[]) => vs.map((v) => v.message);
/** Asserts one finding matches, showing every finding when none does (registration order is not fixed). */
const has = (found: readonly string[], pattern: RegExp) => assert.ok(found.some((m) => pattern.test(m)), `no finding matches ${pattern}; found:\n${found.join("\n")}`);
const CONNECTOR_BASE = { "connector.class": "io.debezium.connector.postgresql.PostgresConnector", "publication.autocreate.mode": "disabled", "database.user": "coexist_debezium", "database.password": "${file:/kafka/secrets/postgres.properties:password}" };
const restConnect = { kind: "rest" as const, url: "http://127.0.0.1:8083", passwordRef: "${file:/kafka/secrets/postgres.properties:password}", ready: [] };

const real: Record<string, Resource[]> = {};
before(async () => {
  for (const stack of ["dev", "local", "staging", "prod"] as const) real[stack] = await realProgram(stack);
});

describe("every policy holds on the repository's programs", () => {
  for (const p of POLICIES) {
    it(`${p.name} holds on dev, local, staging and prod`, async () => {
      for (const [stack, resources] of Object.entries(real)) {
        // prod's stack file carries example addresses (documentation ranges) that a real deploy must
        // replace: this policy is what refuses them; its findings there are asserted below.
        if (p.name === "no-example-addresses" && stack === "prod") continue;
        assert.deepEqual(messages(await check(p, resources)), [], `${p.name} on ${stack}`);
      }
    });
  }

  it("has something to judge in each program (a policy that sees nothing holds vacuously)", () => {
    for (const [stack, resources] of Object.entries(real)) {
      assert.ok(resources.some((r) => kongConfigs(r).length > 0), `${stack}: a Kong config is found in the gateway's files`);
      assert.ok(resources.some((r) => r.type === "pulumi-nodejs:dynamic/coexist:Connector" || (r.props.kind === "KafkaConnector")), `${stack}: a connector`);
    }
    assert.ok(real.staging?.some((r) => r.props.kind === "Cluster" && r.props.apiVersion === "postgresql.cnpg.io/v1"), "staging: a CloudNativePG cluster");
    assert.ok(real.prod?.some((r) => r.type === "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList"), "prod: an Atlas access list");
    assert.ok(real.dev?.some((r) => r.type === "postgresql:index/role:Role"), "dev: the Debezium role");
  });
});

describe("no-public-control-plane-ports", () => {
  it("catches a database container published on every interface, and Connect REST made public through the Service type", async () => {
    const resources = await resourcesOf("dev", () => {
      new docker.Container("postgres", { name: "coexist-dev-postgres", image: "postgres:15.10-bookworm", ports: [{ internal: 5432, external: 5432 }] });
      new docker.Container("kong", { name: "coexist-dev-kong", image: "kong:3.9.1", ports: [{ internal: 8001, external: 8001, ip: "0.0.0.0" }, { internal: 8000, external: 8000, ip: "0.0.0.0" }] });
      deploy("connect", { host: "connect", image: "quay.io/debezium/connect:3.6.1.Final", ports: [{ name: "rest", container: 8083, exposure: "public" }] }, kubeTarget("LoadBalancer"), {});
      createStrimziKafka("kafka", { target: kubeTarget("ClusterIP") }, { parent: parent() });
    });
    const found = messages(await check(policy("no-public-control-plane-ports"), resources));
    has(found, /Container coexist-dev-postgres publishes PostgreSQL \(container port 5432\) on 0\.0\.0\.0:5432.*fix: bind it to 127\.0\.0\.1/);
    has(found, /coexist-dev-kong publishes the Kong Admin API/);
    assert.ok(!found.some((m) => /port 8000/.test(m)), "the proxy may be public");
    has(found, /Service connect exposes the Kafka Connect REST API \(port 8083\) with type LoadBalancer/);
    assert.equal(found.length, 3, found.join("\n"));
  });

  it("catches a Strimzi listener exposed outside the cluster", async () => {
    const resources = await resourcesOf("staging", () => {
      new k8s.apiextensions.CustomResource("kafka", { apiVersion: "kafka.strimzi.io/v1", kind: "Kafka", metadata: { name: "kafka" }, spec: { kafka: { listeners: [{ name: "plain", port: 9092, type: "internal", tls: false }, { name: "external", port: 9094, type: "loadbalancer", tls: true }] } } });
    });
    assert.deepEqual(messages(await check(policy("no-public-control-plane-ports"), resources)).map((m) => m.split(",")[0]), ['Kafka kafka has listener "external" of type loadbalancer']);
  });
});

describe("no-plaintext-secrets", () => {
  it("catches a literal password in connector config even when the program made it a Pulumi secret", async () => {
    const resources = await resourcesOf("dev", () => {
      new DebeziumConnector("connector", { connect: restConnect, config: { name: "c", ...CONNECTOR_BASE, "database.password": "hunter2" } });
    });
    const found = messages(await check(policy("no-plaintext-secrets"), resources));
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0] ?? "", /^Connector c has a literal value in its config key "database\.password", readable by anyone with the Connect REST API; fix: reference it through a config provider/);
  });

  it("catches a credential as a literal env value on Kubernetes, and a sensitively named literal on Docker", async () => {
    const resources = await resourcesOf("staging", () => {
      deploy("sync", { host: "sync", image: "coexist-worker:1", env: { MONGODB_URL: "mongodb://sync:hunter2@mongodb:27017/", LOG_LEVEL: "info" } }, kubeTarget(), {});
      new docker.Container("pg", { name: "coexist-dev-postgres", image: "postgres:15", envs: ["POSTGRES_PASSWORD=hunter2", "POSTGRES_PASSWORD_FILE=/run/secret", "POSTGRES_DB=app"] });
    });
    const found = messages(await check(policy("no-plaintext-secrets"), resources));
    assert.equal(found.length, 2, found.join("\n"));
    has(found, /Deployment sync container sync sets MONGODB_URL to a literal value in its pod spec; fix: take it from a Secret \(valueFrom\.secretKeyRef\)/);
    has(found, /Container coexist-dev-postgres sets POSTGRES_PASSWORD to a literal value.*fix: upload it as a secret file and pass POSTGRES_PASSWORD_FILE/);
  });
});

describe("debezium-role-not-superuser", () => {
  it("catches a superuser replication role, and a connector logging in as a superuser", async () => {
    const resources = await resourcesOf("dev", () => {
      pgRole("coexist_debezium", true);
      new DebeziumConnector("as-postgres", { connect: restConnect, config: { name: "as-postgres", ...CONNECTOR_BASE, "database.user": "postgres" } });
      new DebeziumConnector("as-declared", { connect: restConnect, config: { name: "as-declared", ...CONNECTOR_BASE, "database.user": "coexist_debezium" } });
      cnpgCluster({ instances: 1, postgresql: { parameters: { max_slot_wal_keep_size: "2GB" } }, managed: { roles: [{ name: "cdc", login: true, replication: true, superuser: true }] } });
    });
    const found = messages(await check(policy("debezium-role-not-superuser"), resources));
    assert.equal(found.length, 4, found.join("\n"));
    has(found, /^Role coexist_debezium has REPLICATION and SUPERUSER.*fix: set superuser false/);
    has(found, /Cluster postgres declares role cdc with REPLICATION and SUPERUSER/);
    has(found, /as-postgres logs in to PostgreSQL as postgres, a superuser/);
    has(found, /as-declared logs in as coexist_debezium, which Role coexist_debezium declares SUPERUSER/);
  });
});

describe("publication-not-all-tables", () => {
  it("catches FOR ALL TABLES in every form: provider resource, operator resource, SQL, and a connector left to Debezium's default", async () => {
    const resources = await resourcesOf("dev", () => {
      new postgresql.Publication("pub", { name: "coexist_dev", allTables: true });
      new k8s.apiextensions.CustomResource("cnpg-pub", { apiVersion: "postgresql.cnpg.io/v1", kind: "Publication", metadata: { name: "coexist" }, spec: { cluster: { name: "postgres" }, dbname: "app", name: "coexist", target: { allTables: true } } });
      new SqlScript("sql-pub", { connection: "postgresql://x", up: "CREATE PUBLICATION p FOR ALL TABLES;" });
      const { ["publication.autocreate.mode"]: _mode, ...defaulted } = CONNECTOR_BASE;
      new DebeziumConnector("defaulted", { connect: restConnect, config: { name: "defaulted", ...defaulted } });
    });
    const found = messages(await check(policy("publication-not-all-tables"), resources));
    assert.equal(found.length, 4, found.join("\n"));
    has(found, /Publication coexist_dev is FOR ALL TABLES/);
    has(found, /Publication coexist targets all tables/);
    has(found, /SqlScript .* runs CREATE PUBLICATION \.\.\. FOR ALL TABLES/);
    has(found, /publication\.autocreate\.mode unset \(Debezium's default, all_tables\)/);
  });
});

describe("slot-wal-capped", () => {
  it("catches the stack's own server told -1, and an operator cluster without the setting", async () => {
    const resources = await resourcesOf("dev", () => {
      new PostgresServer("postgres", { target: dockerTarget(), database: "app", superuserPassword: "x", hostPort: 15432, maxSlotWalKeepSize: "-1" });
      cnpgCluster({ instances: 1, postgresql: { parameters: { wal_level: "logical" } } });
    });
    const found = messages(await check(policy("slot-wal-capped"), resources));
    assert.equal(found.length, 2, found.join("\n"));
    has(found, /coexist-test-postgres sets max_slot_wal_keep_size to -1 \(no cap\)/);
    has(found, /Cluster postgres runs PostgreSQL without max_slot_wal_keep_size.*spec\.postgresql\.parameters\.max_slot_wal_keep_size/);
  });
});

describe("prod-stateful-protected", () => {
  const topics = () => new KafkaTopics("topics", {
    topicPrefix: "coexist", captures: [{ table: "public.orders", collection: "orders", key: "order_id", transform: "order" }],
    partitions: 3, replicationFactor: 3, retentionHours: 24, connectGroup: "coexist-connect",
    via: { kind: "strimzi", target: kubeTarget(), cluster: "kafka" },
  });

  it("catches unprotected topics and volumes in prod, naming what is lost", async () => {
    const resources = await resourcesOf("prod", () => {
      topics();
      new docker.Volume("data", { name: "coexist-prod-postgres-data" });
    });
    const found = messages(await check(policy("prod-stateful-protected"), resources));
    assert.equal(found.length, 7, found.join("\n"));
    has(found, /KafkaTopic coexist\.public\.orders is not protected in prod \(Kafka topic: its records\); fix: pass protect: true/);
    has(found, /Volume coexist-prod-postgres-data is not protected/);
  });

  it("leaves other stacks alone, and holds when the component is given protect", async () => {
    assert.deepEqual(await check(policy("prod-stateful-protected"), await resourcesOf("staging", () => topics())), []);
    const resources = await resourcesOf("prod", () => new KafkaTopics("topics", {
      topicPrefix: "coexist", captures: [{ table: "public.orders", collection: "orders", key: "order_id", transform: "order" }],
      partitions: 3, replicationFactor: 3, retentionHours: 24, connectGroup: "coexist-connect",
      via: { kind: "strimzi", target: kubeTarget(), cluster: "kafka" },
    }, { protect: true }));
    assert.deepEqual(await check(policy("prod-stateful-protected"), resources), []);
  });

  it("treats the stacks listed in its config as prod", async () => {
    const found = await check(policy("prod-stateful-protected"), await resourcesOf("production-eu", () => topics()), { prodStacks: ["production-eu"] });
    assert.equal(found.length, 6);
  });
});

describe("atlas-access-list-not-open", () => {
  it("catches 0.0.0.0/0 and ::/0, and accepts a /32", async () => {
    const resources = await resourcesOf("prod", () => {
      new mongodbatlas.ProjectIpAccessList("open", { projectId: "p", cidrBlock: "0.0.0.0/0" });
      new mongodbatlas.ProjectIpAccessList("open6", { projectId: "p", cidrBlock: "::/0" });
      new mongodbatlas.ProjectIpAccessList("egress", { projectId: "p", cidrBlock: "203.0.113.10/32" });
    });
    const found = messages(await check(policy("atlas-access-list-not-open"), resources));
    assert.equal(found.length, 2, found.join("\n"));
    assert.match(found[0] ?? "", /admits 0\.0\.0\.0\/0, the whole internet, to the Atlas project; fix: list the cluster's egress addresses/);
  });
});

describe("no-example-addresses", () => {
  it("catches documentation-range egress rules and Atlas entries, and accepts real ranges, even ones around a documentation range", async () => {
    const resources = await resourcesOf("prod", () => {
      const t = kubeTarget();
      const egress = (name: string, cidrs: string[]) => new k8s.networking.v1.NetworkPolicy(name, {
        metadata: { name, namespace: t.namespace },
        spec: { podSelector: {}, policyTypes: ["Egress"], egress: cidrs.map((cidr) => ({ to: [{ ipBlock: { cidr } }], ports: [{ port: 27017, protocol: "TCP" }] })) },
      }, { provider: t.provider });
      egress("allow-sync-egress", ["198.51.100.0/24", "10.20.0.0/16", "198.0.0.0/8", "198.51.100.0/16"]);
      egress("allow-slot-exporter-egress", ["192.0.2.7/32", "2001:db8::/48"]);
      new mongodbatlas.ProjectIpAccessList("example", { projectId: "p", cidrBlock: "203.0.113.10/32" });
      new mongodbatlas.ProjectIpAccessList("real", { projectId: "p", cidrBlock: "34.240.1.2/32" });
      new mongodbatlas.ProjectIpAccessList("example-ip", { projectId: "p", ipAddress: "203.0.113.11" });
    });
    const found = messages(await check(policy("no-example-addresses"), resources));
    assert.equal(found.length, 5, found.join("\n"));
    has(found, /^NetworkPolicy allow-sync-egress opens 198\.51\.100\.0\/24, a documentation range .*fix: set coexist:kubernetes\.egressCidrs\.sync to the real addresses/);
    has(found, /allow-slot-exporter-egress opens 192\.0\.2\.7\/32.*egressCidrs\.slotExporter/);
    has(found, /allow-slot-exporter-egress opens 2001:db8::\/48/);
    has(found, /^ProjectIpAccessList .* admits 203\.0\.113\.10\/32, a documentation address .*fix: set coexist:mongodb\.atlas\.accessList/);
    has(found, /admits 203\.0\.113\.11,/);
  });

  it("refuses the prod stack file's example addresses, so a real prod preview fails until they are replaced", async () => {
    const found = messages(await check(policy("no-example-addresses"), real.prod!)).map((m) => m.split(",")[0]).sort();
    assert.deepEqual(found, [
      "NetworkPolicy allow-mongo-init-egress opens 198.51.100.0/24",
      "NetworkPolicy allow-reconciler-egress opens 198.51.100.0/24",
      "NetworkPolicy allow-sync-egress opens 198.51.100.0/24",
      "ProjectIpAccessList coexist-atlas-access-0 admits 203.0.113.10/32",
      "ProjectIpAccessList coexist-atlas-access-1 admits 203.0.113.11/32",
    ]);
  });
});

describe("prod-kafka-replication", () => {
  it("catches topics, brokers and Connect's internal topics under RF 3 in prod, and leaves staging alone", async () => {
    const program = () => {
      const t = kubeTarget();
      createStrimziKafka("kafka", { target: t, brokers: 1, replicationFactor: 1 }, { parent: parent() });
      new KafkaTopics("topics", {
        topicPrefix: "coexist", captures: [{ table: "public.orders", collection: "orders", key: "order_id", transform: "order" }],
        partitions: 3, replicationFactor: 1, retentionHours: 24, connectGroup: "coexist-connect",
        via: { kind: "strimzi", target: t, cluster: "kafka" },
      }, { protect: true });
    };
    const found = messages(await check(policy("prod-kafka-replication"), await resourcesOf("prod", program)));
    has(found, /KafkaTopic coexist\.public\.orders has replicas 1 in prod; one broker lost loses acknowledged records; fix: set spec\.replicas to 3/);
    has(found, /Kafka kafka has default\.replication\.factor 1/);
    has(found, /Kafka kafka has min\.insync\.replicas 1/);
    has(found, /KafkaNodePool dual-role has broker replicas 1/);
    assert.deepEqual(await check(policy("prod-kafka-replication"), await resourcesOf("staging", program)), []);
  });
});

describe("gateway-routes-authenticated", () => {
  it("catches a route that is neither tagged public nor behind jwt, in the file the gateway loads", async () => {
    const kongDir = editedKongDir({
      base: (b) => {
        const services = b.services as { name: string; plugins?: { name: string }[] }[];
        const analytics = services.find((s) => s.name === "analytics")!;
        analytics.plugins = (analytics.plugins ?? []).filter((p) => p.name !== "jwt");
      },
    });
    const resources = await resourcesOf("dev", () => {
      const rendered = renderKongConfig("dev", { kongDir, lint: false });
      new KongGateway("kong", { target: dockerTarget(), rendered, credentials: generateKongCredentials(rendered.secretVariables), proxyHostPort: 18000 });
    });
    const found = messages(await check(policy("gateway-routes-authenticated"), resources));
    assert.equal(found.length, 1, found.join("\n"));
    assert.match(found[0] ?? "", /Kong route analytics \(service analytics\) in Container coexist-test-kong is not tagged "public" and no jwt plugin applies: anyone can call it; fix:/);
  });
});

describe("gateway-rate-limit-shared", () => {
  it("catches local rate limiting on a gateway Deployment with three replicas", async () => {
    const kongDir = editedKongDir({ overlay: { name: "local", edit: (o) => (o.replicas = 3) } });
    const resources = await resourcesOf("local", () => {
      const rendered = renderKongConfig("local", { kongDir, lint: false });
      new KongGateway("kong", { target: kubeTarget("ClusterIP"), rendered, credentials: generateKongCredentials(rendered.secretVariables) });
    });
    const found = messages(await check(policy("gateway-rate-limit-shared"), resources));
    assert.ok(found.length >= 1, "found nothing");
    assert.ok(found.every((m) => /uses policy local while 3 gateway processes share the config \(Deployment kong \(3\)\).*fix: policy redis/.test(m)), found.join("\n"));
  });

  it("holds with one replica, and with three replicas counting in Redis (prod)", async () => {
    const resources = await resourcesOf("local", () => {
      const rendered = renderKongConfig("local");
      new KongGateway("kong", { target: kubeTarget("ClusterIP"), rendered, credentials: generateKongCredentials(rendered.secretVariables) });
    });
    assert.deepEqual(await check(policy("gateway-rate-limit-shared"), resources), []);
  });
});
