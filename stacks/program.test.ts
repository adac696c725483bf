import { stackConfig } from "./stack-files";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { controlListenProblem } from "../components/kong/listen";
import { renderKongConfig } from "../components/kong/render";
import { credentialLeaks, SECRET_SIG, stringsIn } from "../components/testing/inspect";
import { installMocks, MockRun, Recorded, settle } from "../components/testing/mocks";
import { generateKongCredentials } from "./kong-credentials";

/**
 * The whole dev program under Pulumi mocks: what it would ask the engine to create, with which
 * inputs, which secrets, and which parents. Mocks are installed before the program is imported.
 */

const PASSWORDS = { "coexist:postgresPassword": "pg-Sup3r-s3cret", "coexist:debeziumPassword": "dbz-Sup3r-s3cret", "coexist:mongodbPassword": "mongo-Sup3r-s3cret" };
const KONG = generateKongCredentials(renderKongConfig("dev").secretVariables);
const devConfig = stackConfig("dev");

const CONTAINER = "docker:index/container:Container";

let run: MockRun;
let outputs: Record<string, unknown>;

before(async () => {
  run = installMocks("dev", { ...devConfig, ...PASSWORDS, "coexist:kongCredentials": KONG }, [...Object.keys(PASSWORDS), "coexist:kongCredentials"]);
  const program = await import("./program");
  outputs = { ...(await run.runProgram(() => program.main())) };
  await settle();
});

const containers = (): Recorded[] => run.byType(CONTAINER);
const container = (host: string): Recorded => {
  const found = containers().filter((c) => c.inputs.hostname === host);
  assert.equal(found.length, 1, `one container with hostname ${host}`);
  return found[0];
};

const strings = (value: unknown) => stringsIn(value);

describe("dev program", () => {
  it("runs PostgreSQL with wal_level=logical", () => {
    const command = container("postgres").inputs.command as string[];
    assert.ok(command.includes("wal_level=logical"), `postgres command: ${command.join(" ")}`);
    assert.ok(command.includes("max_slot_wal_keep_size=2GB"));
  });

  it("creates the Debezium role without superuser, with LOGIN and REPLICATION", () => {
    const role = run.one("postgresql:index/role:Role", "cdc-role").inputs;
    assert.equal(role.name, "debezium");
    assert.equal(role.superuser, false);
    assert.equal(role.login, true);
    assert.equal(role.replication, true);
  });

  it("gives the reconciler its own role: LOGIN, no REPLICATION, SELECT on the captured tables only", () => {
    const role = run.one("postgresql:index/role:Role", "reader-coexist_reconciler").inputs;
    assert.equal(role.name, "coexist_reconciler");
    assert.equal(role.replication, false);
    assert.equal(role.superuser, false);
    const grants = run.byType("postgresql:index/grant:Grant").filter((g) => g.name.includes("reader-coexist_reconciler")).map((g) => g.inputs);
    assert.deepEqual(grants.flatMap((g) => g.privileges as string[]).sort(), ["SELECT", "USAGE"]);
    assert.deepEqual(grants.filter((g) => g.objectType === "table").flatMap((g) => g.objects as string[]).sort(), ["customers", "orders", "products"]);
  });

  it("publishes exactly the capture list plus the heartbeat table", () => {
    const publication = run.one("postgresql:index/publication:Publication").inputs;
    const captured = (devConfig["coexist:capture"] as { table: string }[]).map((c) => c.table);
    assert.deepEqual([...(publication.tables as string[])].sort(), [...captured, "coexist.heartbeat"].sort());
  });

  it("grants SELECT on the captured tables only", () => {
    const grants = run.byType("postgresql:index/grant:Grant").filter((g) => !g.name.includes("reader")).map((g) => g.inputs);
    const select = grants.filter((g) => (g.privileges as string[]).includes("SELECT") && g.objectType === "table" && g.schema === "public");
    assert.deepEqual(select.flatMap((g) => g.objects as string[]).sort(), ["customers", "orders", "products"]);
    assert.ok(grants.every((g) => !(g.privileges as string[]).includes("ALL")));
  });

  it("owns the replication slot, created for pgoutput", () => {
    const slot = run.one("postgresql:index/replicationSlot:ReplicationSlot").inputs;
    assert.equal(slot.plugin, "pgoutput");
    assert.equal(slot.name, "coexist_dev");
  });

  it("registers the connector with slot, publication, heartbeat, truncates and the source epoch", () => {
    const connector = run.one("pulumi-nodejs:dynamic/coexist:Connector").inputs;
    const config = connector.config as Record<string, string>;
    assert.equal(config["slot.name"], "coexist_dev");
    assert.equal(config["publication.name"], "coexist_dev");
    assert.equal(config["publication.autocreate.mode"], "disabled");
    assert.equal(config["heartbeat.interval.ms"], "10000");
    assert.match(config["heartbeat.action.query"], /"coexist"\."heartbeat"/);
    assert.equal(config["skipped.operations"], "none");
    assert.equal(config["transforms.epoch.static.field"], "__epoch");
    assert.equal(config["database.hostname"], "postgres");
    // The REST API wants credentials; the URL carrying them is a secret.
    const url = connector.connectUrl as { value: string } & Record<string, unknown>;
    assert.ok(url[SECRET_SIG] !== undefined, "connectUrl is a secret");
    assert.equal(url.value, "http://coexist:generated-coexist-connect-rest-password@127.0.0.1:18083");
  });

  it("puts credentials on Connect's REST API, in files the file config provider cannot read", () => {
    const envs = strings(container("connect").inputs.envs).map((s) => s.text);
    assert.ok(envs.includes("CONNECT_REST_EXTENSION_CLASSES=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"));
    assert.ok(envs.includes("KAFKA_OPTS=-Djava.security.auth.login.config=/kafka/rest-auth/jaas.conf"));
    const allowed = envs.find((e) => e.startsWith("CONNECT_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS=")) ?? "";
    assert.ok(!allowed.includes("/kafka/rest-auth"), allowed);
    const uploads = strings(container("connect").inputs.uploads).map((u) => u.text);
    assert.ok(uploads.includes("/kafka/rest-auth/users.properties"));
  });

  it("serialises the connector provider into a self-contained module the engine can load", async () => {
    const text = String(run.one("pulumi-nodejs:dynamic/coexist:Connector").inputs.__provider);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "coexist-provider-")), "provider.js");
    fs.writeFileSync(file, text);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = (require(file) as { handler: unknown }).handler;
    const provider = (typeof handler === "function" ? handler() : handler) as { diff: (id: string, o: unknown, n: unknown) => Promise<{ replaces: string[] }> };
    const state = (slot: string) => ({ connectUrl: "http://127.0.0.1:1", name: "c", config: { "slot.name": slot } });
    assert.deepEqual((await provider.diff("c", state("a"), state("b"))).replaces, ['config["slot.name"]']);
  });

  it("pre-creates the CDC, dead-letter, heartbeat and compacted Connect topics", () => {
    const topics = run.byType("kafka:index/topic:Topic").map((t) => t.inputs);
    const names = topics.map((t) => t.name).sort();
    assert.deepEqual(names, [
      "__debezium-heartbeat.coexist", "coexist-connect.configs", "coexist-connect.offsets", "coexist-connect.status",
      "coexist.dlq", "coexist.public.customers", "coexist.public.orders", "coexist.public.products",
    ]);
    for (const t of topics.filter((t) => String(t.name).startsWith("coexist-connect."))) {
      assert.equal((t.config as Record<string, string>)["cleanup.policy"], "compact", String(t.name));
      assert.equal(t.replicationFactor, 1);
    }
  });

  it("logs the topics' kafka provider in as the broker's admin (SCRAM-SHA-512 on the loopback listener, no TLS)", () => {
    const provider = run.one("pulumi:providers:kafka", "topics-provider").inputs;
    // Provider inputs reach the engine as strings.
    assert.equal(String(provider.tlsEnabled), "false");
    assert.deepEqual(JSON.parse(String(provider.bootstrapServers)), ["127.0.0.1:19092"]);
    assert.equal(provider.saslMechanism, "scram-sha512");
    assert.equal(provider.saslUsername, "admin");
  });

  it("enables the file config provider on Connect, and the connector only references the password", () => {
    const envs = strings(container("connect").inputs.envs).map((s) => s.text);
    assert.ok(envs.includes("CONNECT_CONFIG_PROVIDERS=file"));
    assert.ok(envs.includes("CONNECT_CONFIG_PROVIDERS_FILE_CLASS=org.apache.kafka.common.config.provider.FileConfigProvider"));
    const config = run.one("pulumi-nodejs:dynamic/coexist:Connector").inputs.config as Record<string, string>;
    assert.equal(config["database.password"], "${file:/kafka/secrets/postgres.properties:password}");
  });

  it("puts each credential only where it belongs, and only as a secret", () => {
    const generated = { kafkaAdmin: "generated-coexist-kafka-admin-password", kafkaConnect: "generated-coexist-kafka-connect-password", kafkaWorker: "generated-coexist-kafka-worker-password", kafkaController: "generated-coexist-kafka-controller-password", connectRest: "generated-coexist-connect-rest-password", reconciler: "generated-coexist-reconciler-password", slotReader: "generated-coexist-slot-reader-password", mongoApp: "generated-coexist-mongodb-app-password", keyFile: "generated-coexist-mongodb-keyfile" };
    const C = CONTAINER;
    const leaks = credentialLeaks(run.resources, { ...PASSWORDS, ...KONG, ...generated }, {
      "coexist:postgresPassword": [
        { type: C, name: /-postgres-server$/, input: "uploads" },
        { type: "pulumi:providers:postgresql", name: /-cdc-provider$/, input: "password" },
        { type: "pulumi-nodejs:dynamic/coexist:SqlScript", name: /-heartbeat-table$/, input: "connection" },
      ],
      "coexist:debeziumPassword": [{ type: "postgresql:index/role:Role", name: /-cdc-role$/, input: "password" }, { type: C, name: /-connect-worker$/, input: "uploads" }],
      kafkaAdmin: [
        { type: C, name: /-kafka-broker$/, input: "uploads" },
        { type: "pulumi:providers:kafka", name: /-topics-provider$/, input: "saslPassword" },
        { type: "pulumi:providers:kafka", name: /-kafka-acls-provider$/, input: "saslPassword" },
      ],
      kafkaConnect: [{ type: C, name: /-kafka-broker$/, input: "uploads" }, { type: C, name: /-connect-worker$/, input: "uploads" }],
      kafkaWorker: [{ type: C, name: /-kafka-broker$/, input: "uploads" }, { type: C, name: /-sync-0$/, input: "uploads" }],
      kafkaController: [{ type: C, name: /-kafka-broker$/, input: "uploads" }],
      connectRest: [{ type: C, name: /-connect-worker$/, input: "uploads" }, { type: "pulumi-nodejs:dynamic/coexist:Connector", name: /-connector-registration$/, input: "connectUrl" }],
      "coexist:mongodbPassword": [{ type: C, name: /-mongodb-server$/, input: "uploads" }, { type: C, name: /-mongodb-init$/, input: "envs" }],
      reconciler: [
        { type: "postgresql:index/role:Role", name: /-cdc-reader-coexist_reconciler$/, input: "password" },
        { type: C, name: /-reconciler$/, input: "envs" },
        { type: "pulumi-nodejs:dynamic/coexist:Connector", name: /-connector-registration$/, input: "slotProbeUrl" },
      ],
      slotReader: [{ type: "postgresql:index/role:Role", name: /-cdc-reader-coexist_slot_reader$/, input: "password" }, { type: C, name: /-slot-exporter$/, input: "envs" }],
      mongoApp: [{ type: C, name: /-mongodb-init$/, input: "uploads" }, { type: C, name: /-sync-0$/, input: "envs" }, { type: C, name: /-reconciler$/, input: "envs" }],
      keyFile: [{ type: C, name: /-mongodb-server$/, input: "uploads" }],
      ...Object.fromEntries(Object.keys(KONG).map((k) => [k, [{ type: C, name: /-kong-gateway$/, input: "uploads" }]])),
    });
    assert.deepEqual(leaks, []);
  });

  it("gives the slot exporter a role with LOGIN and no grant at all", () => {
    const role = run.one("postgresql:index/role:Role", "reader-coexist_slot_reader").inputs;
    assert.equal(role.login, true);
    assert.equal(role.replication, false);
    assert.deepEqual(run.byType("postgresql:index/grant:Grant").filter((g) => g.name.includes("slot_reader")), []);
    const env = strings(container("slot-exporter").inputs.envs).map((e) => e.text);
    assert.ok(env.includes("COEXIST_SLOTS=coexist_dev"));
    assert.ok(env.some((e) => e.startsWith("POSTGRES_URL=postgresql://coexist_slot_reader:")));
  });

  it("gives the sync worker no PostgreSQL credentials, and the reconciler its read-only role", () => {
    const envOf = (host: string) => strings(container(host).inputs.envs).map((e) => e.text);
    assert.ok(!envOf("sync-0").some((e) => e.startsWith("POSTGRES_URL=")), "the sync worker never reads PostgreSQL");
    const url = envOf("reconciler").find((e) => e.startsWith("POSTGRES_URL=")) ?? "";
    assert.match(url, /^POSTGRES_URL=postgresql:\/\/coexist_reconciler:/);
  });

  it("marks the connection-string outputs as secrets", async () => {
    for (const key of ["postgresUrl", "mongodbUrl"]) {
      const output = outputs[key] as { isSecret: Promise<boolean> };
      assert.equal(await output.isSecret, true, key);
    }
  });

  it("never publishes a port beyond 127.0.0.1", () => {
    const published = containers().flatMap((c) => ((c.inputs.ports as { ip?: string; internal: number }[] | undefined) ?? []).map((p) => ({ c: c.name, ...p })));
    assert.ok(published.length >= 6, "postgres, kafka, connect, mongodb and kong publish ports");
    for (const p of published) assert.equal(p.ip, "127.0.0.1", `${p.c} publishes ${p.internal} on ${p.ip ?? "0.0.0.0 (the default)"}`);
  });

  it("never publishes the Connect REST port beyond loopback", () => {
    const ports = container("connect").inputs.ports as { ip: string; internal: number; external: number }[];
    assert.deepEqual(ports, [{ internal: 8083, external: 18083, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("loads the rendered gateway config, with a reviewable copy that holds no credential", () => {
    const uploads = strings(container("kong").inputs.uploads).map((s) => s.text);
    const rendered = uploads.filter((t) => t.startsWith("# Rendered from kong/base.yaml"));
    assert.equal(rendered.length, 2, "the loaded file and its review copy");
    const review = rendered.find((t) => t.includes('${{ env "DECK_')) ?? "";
    assert.match(review, /\/orders/);
    for (const value of Object.values(KONG)) assert.ok(!review.includes(value), "the review copy carries no credential");
    assert.ok(uploads.some((t) => Object.values(KONG).every((v) => t.includes(v.split("\n")[1] ?? v))), "the loaded file carries the credentials");
  });

  it("keeps the Kong Admin API and Kong Manager on the container's loopback, where no other container reaches them, and publishes only the proxy", () => {
    const kong = container("kong");
    const env = strings(kong.inputs.envs).map((s) => s.text);
    const setting = (name: string) => env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
    assert.equal(controlListenProblem("KONG_ADMIN_LISTEN", setting("KONG_ADMIN_LISTEN")), undefined, `KONG_ADMIN_LISTEN=${setting("KONG_ADMIN_LISTEN")}`);
    assert.equal(controlListenProblem("KONG_ADMIN_GUI_LISTEN", setting("KONG_ADMIN_GUI_LISTEN")), undefined, `KONG_ADMIN_GUI_LISTEN=${setting("KONG_ADMIN_GUI_LISTEN")}`);
    assert.deepEqual(kong.inputs.ports, [{ internal: 8000, external: 8000, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("gives every resource its component as parent", () => {
    const orphans = run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && r.type !== "coexist:index:Platform" && r.parentType === undefined);
    assert.deepEqual(orphans.map((r) => `${r.type} ${r.name}`), []);
    const byComponent = (type: string) => run.resources.filter((r) => r.parentType === type).map((r) => r.type);
    assert.ok(byComponent("coexist:postgres:CdcSource").includes("postgresql:index/role:Role"));
    assert.ok(byComponent("coexist:kafka:KafkaTopics").includes("kafka:index/topic:Topic"));
    assert.ok(byComponent("coexist:connect:DebeziumConnector").includes("pulumi-nodejs:dynamic/coexist:Connector"));
    assert.ok(byComponent("coexist:postgres:PostgresServer").includes(CONTAINER));
  });

  it("prefixes every child name with its component's name", () => {
    for (const r of run.resources) {
      if (r.parentName === undefined || r.parentType === "pulumi:pulumi:Stack") continue;
      assert.ok(r.name.startsWith(`${r.parentName}-`), `${r.type} "${r.name}" is not named after its parent "${r.parentName}"`);
    }
  });

  it("gives the workers their capture mapping and DLQ topic, and MongoDB's URL only as a secret", () => {
    const sync = container("sync-0");
    const env = strings(sync.inputs.envs);
    const config = env.find((s) => s.text.startsWith("COEXIST_CONFIG="));
    assert.ok(config, "COEXIST_CONFIG is set");
    // (The mock engine lifts a nested secret to the whole list, so per-element secrecy is
    // asserted in components/runtime/docker.test.ts instead.)
    const parsed = JSON.parse(config.text.slice("COEXIST_CONFIG=".length)) as { dlqTopic: string; captures: { topic: string; collection: string }[] };
    assert.equal(parsed.dlqTopic, "coexist.dlq");
    assert.deepEqual(parsed.captures.map((c) => `${c.topic}->${c.collection}`), [
      "coexist.public.orders->orders", "coexist.public.customers->customers", "coexist.public.products->products",
    ]);
    const mongo = env.find((s) => s.text.startsWith("MONGODB_URL="));
    assert.ok(mongo?.secret, "MONGODB_URL is a secret");
  });

  it("creates the read-model collections from the capture list", () => {
    const init = container("mongodb-init");
    const script = strings(init.inputs.uploads).map((s) => s.text).find((t) => t.includes("createCollection")) ?? "";
    assert.match(script, /\["orders","customers","products"\]/);
  });
});
