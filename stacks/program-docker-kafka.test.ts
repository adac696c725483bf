import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { renderKongConfig } from "../components/kong/render";
import { kafkaAccess, renderStrimziAuthorization } from "../components/kafka/acls";
import { containerAclBindings, renderKafkaAcl } from "../components/kafka/container-auth";
import { connectInternalTopics } from "../components/kafka/topics";
import { stringsIn } from "../components/testing/inspect";
import { installMocks, MockRun, Recorded, settle } from "../components/testing/mocks";
import type { Capture } from "../components/capture";
import { KAFKA_PASSWORD_FILE } from "../components/workers/deployment";
import { generateKongCredentials } from "./kong-credentials";
import { stackConfig } from "./stack-files";

/**
 * Kafka on the Docker target (dev) under Pulumi mocks: who logs in as whom, which ACLs the broker
 * holds, and that no password is in a plain input. test/kafka-container-broker.test.ts runs the
 * same broker config and entrypoint on a real Kafka.
 */

const PASSWORDS = { "coexist:postgresPassword": "pg-Sup3r-s3cret", "coexist:debeziumPassword": "dbz-Sup3r-s3cret", "coexist:mongodbPassword": "mongo-Sup3r-s3cret" };
const KONG = generateKongCredentials(renderKongConfig("dev").secretVariables);
const devConfig = stackConfig("dev");
const CONTAINER = "docker:index/container:Container";
// The mock engine's value for a GeneratedSecret named N is "generated-N".
const GENERATED = {
  admin: "generated-coexist-kafka-admin-password",
  connect: "generated-coexist-kafka-connect-password",
  worker: "generated-coexist-kafka-worker-password",
  controller: "generated-coexist-kafka-controller-password",
};

let run: MockRun;

before(async () => {
  run = installMocks("dev", { ...devConfig, ...PASSWORDS, "coexist:kongCredentials": KONG }, [...Object.keys(PASSWORDS), "coexist:kongCredentials"]);
  const program = await import("./program");
  await run.runProgram(() => program.main());
  await settle();
});

const container = (host: string): Recorded => {
  const found = run.byType(CONTAINER).filter((c) => c.inputs.hostname === host);
  assert.equal(found.length, 1, `one container with hostname ${host}`);
  return found[0]!;
};
/** A container's uploads by path, with whether each content is a secret. */
const uploads = (host: string): Map<string, { content: string; secret: boolean }> => {
  const list = container(host).inputs.uploads as Array<Record<string, unknown>>;
  const value = (list as unknown as { value?: Array<Record<string, unknown>> }).value ?? list;
  const lifted = !Array.isArray(list);
  return new Map(value.map((u) => {
    const content = stringsIn(u.content, lifted);
    return [String(u.file), { content: content.map((c) => c.text).join(""), secret: content.every((c) => c.secret) }];
  }));
};
const envOf = (host: string) => stringsIn(container(host).inputs.envs);
const properties = (text: string): Record<string, string> =>
  Object.fromEntries(text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));

describe("dev program: Kafka authentication and authorisation on Docker", () => {
  it("runs the broker with SASL on every listener, deny-by-default ACLs, and only the admin and controller as super users", () => {
    const conf = properties(uploads("kafka").get("/etc/coexist/kafka/server.properties")!.content);
    const protocols = Object.fromEntries(conf["listener.security.protocol.map"]!.split(",").map((m) => m.split(":") as [string, string]));
    const listeners = conf.listeners!.split(",").map((l) => l.slice(0, l.indexOf(":")));
    assert.deepEqual(listeners.sort(), ["CONTROLLER", "HOST", "INTERNAL", "LOCAL"]);
    for (const l of listeners) assert.equal(protocols[l], "SASL_PLAINTEXT", `listener ${l}`);
    assert.ok(!Object.values(protocols).includes("PLAINTEXT"), "no PLAINTEXT listener");
    assert.equal(conf["sasl.enabled.mechanisms"], "SCRAM-SHA-512");
    assert.equal(conf["authorizer.class.name"], "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    assert.equal(conf["allow.everyone.if.no.acl.found"], "false");
    assert.equal(conf["super.users"], "User:admin;User:controller");
    // The controller and the entrypoint's PLAIN listener are on the container's loopback: nothing on the network reaches them.
    assert.match(conf.listeners!, /CONTROLLER:\/\/127\.0\.0\.1:/);
    assert.match(conf.listeners!, /LOCAL:\/\/127\.0\.0\.1:/);
    assert.equal(conf["listener.name.local.sasl.enabled.mechanisms"], "PLAIN");
  });

  it("formats the three SCRAM users from secret files, and no password reaches the broker's env or command", () => {
    const files = uploads("kafka");
    for (const [user, password] of [["admin", GENERATED.admin], ["coexist-connect", GENERATED.connect], ["coexist-sync", GENERATED.worker]]) {
      const f = files.get(`/etc/coexist/kafka-secrets/scram/${user}`);
      assert.equal(f?.content, password, `${user}'s password file`);
      assert.ok(f?.secret, `${user}'s password file is a secret`);
    }
    assert.ok(files.get("/etc/coexist/kafka-secrets/controller")?.secret);
    const broker = container("kafka");
    const plain = [...stringsIn(broker.inputs.envs), ...stringsIn(broker.inputs.entrypoints), ...stringsIn(broker.inputs.command), ...stringsIn(broker.inputs.healthcheck)].map((s) => s.text).join("\n");
    for (const password of Object.values(GENERATED)) assert.ok(!plain.includes(password), "a password in the broker's env, command or healthcheck");
    assert.deepEqual(broker.inputs.entrypoints, ["bash", "/etc/coexist/kafka/start.sh"]);
    const generated = run.byType("pulumi-nodejs:dynamic/coexist:GeneratedSecret").map((g) => g.name).filter((n) => n.startsWith("coexist-kafka-"));
    assert.deepEqual(generated.sort(), ["coexist-kafka-admin-password", "coexist-kafka-connect-password", "coexist-kafka-controller-password", "coexist-kafka-worker-password"]);
  });

  it("holds exactly the ACLs of the kafkaAccess description, the one Strimzi's KafkaUsers render", () => {
    const captures = (devConfig["coexist:capture"] as Capture[] | undefined) ?? [];
    assert.ok(captures.length > 0);
    const access = kafkaAccess({
      topicPrefix: "coexist",
      captures,
      connect: { user: "coexist-connect", group: "coexist-connect", internalTopics: connectInternalTopics("coexist-connect") },
      worker: { user: "coexist-sync", group: "coexist-sync" },
    });
    const key = (a: Record<string, unknown>) => JSON.stringify([a.aclPrincipal, a.aclResourceType, a.aclResourceName, a.resourcePatternTypeFilter, a.aclOperation, a.aclPermissionType, a.aclHost]);
    const want = containerAclBindings(access).map((b) => key(renderKafkaAcl(b) as unknown as Record<string, unknown>)).sort();
    const have = run.byType("kafka:index/acl:Acl").map((a) => key(a.inputs)).sort();
    assert.deepEqual(have, want);
    // The same rules as the staging/prod KafkaUsers for this access, read from Strimzi's rendering.
    const capital = (t: string) => t[0]!.toUpperCase() + t.slice(1);
    const strimzi = [access.connect, access.worker].flatMap((p) => renderStrimziAuthorization(p).acls.flatMap((acl) => {
      const r = acl.resource as { type: string; name: string; patternType: string };
      return (acl.operations as string[]).map((op) => key({ aclPrincipal: `User:${p.user}`, aclResourceType: capital(r.type), aclResourceName: r.name, resourcePatternTypeFilter: r.patternType === "prefix" ? "Prefixed" : "Literal", aclOperation: op, aclPermissionType: "Allow", aclHost: acl.host }));
    })).sort();
    assert.deepEqual(have, strimzi);
    // Spot checks against the description's meaning, so a wrong description cannot pass as itself.
    assert.ok(have.includes(key({ aclPrincipal: "User:coexist-sync", aclResourceType: "Topic", aclResourceName: "coexist.public.orders", resourcePatternTypeFilter: "Literal", aclOperation: "Read", aclPermissionType: "Allow", aclHost: "*" })));
    assert.ok(!have.some((k) => k.includes('"User:coexist-sync","Topic","coexist.public.orders","Literal","Write"')), "the worker never writes a capture topic");
    assert.ok(!have.some((k) => k.includes('"Cluster"')), "no client holds a cluster right");
  });

  it("creates the ACLs and topics through providers logged in as the admin, its password a secret", () => {
    const providers = run.byType("pulumi:providers:kafka");
    assert.equal(providers.length, 2, providers.map((p) => p.name).join(", "));
    for (const p of providers) {
      assert.equal(p.inputs.saslMechanism, "scram-sha512", p.name);
      assert.equal(p.inputs.saslUsername, "admin", p.name);
      assert.equal(String(p.inputs.tlsEnabled), "false", p.name);
      const password = stringsIn(p.inputs.saslPassword);
      assert.deepEqual(password, [{ text: GENERATED.admin, secret: true }], p.name);
    }
  });

  it("has Connect log in as its own user over SASL, its password only in its secret JAAS file", () => {
    const env = envOf("connect").map((e) => e.text);
    for (const prefix of ["", "PRODUCER_", "CONSUMER_", "ADMIN_"]) {
      assert.ok(env.includes(`CONNECT_${prefix}SECURITY_PROTOCOL=SASL_PLAINTEXT`), `${prefix}security.protocol`);
      assert.ok(env.includes(`CONNECT_${prefix}SASL_MECHANISM=SCRAM-SHA-512`), `${prefix}sasl.mechanism`);
    }
    assert.ok(!env.some((e) => e.includes(GENERATED.connect)), "Connect's Kafka password in its env");
    const jaas = uploads("connect").get("/kafka/rest-auth/jaas.conf")!;
    assert.ok(jaas.secret, "the JAAS file holding the login is a secret");
    assert.match(jaas.content, /KafkaClient \{\s+org\.apache\.kafka\.common\.security\.scram\.ScramLoginModule required\s+username="coexist-connect"\s+password="generated-coexist-kafka-connect-password";/);
    // The file config provider, which connector configs can use, may not read the JAAS file's directory.
    const allowed = env.find((e) => e.startsWith("CONNECT_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS=")) ?? "";
    assert.ok(!allowed.includes("/kafka/rest-auth"), allowed);
  });

  it("has the sync worker log in as its user, KAFKA_SASL_PASSWORD read from a secret file, and gives the reconciler no Kafka login", () => {
    const env = envOf("sync-0");
    const config = JSON.parse(env.find((e) => e.text.startsWith("COEXIST_CONFIG="))!.text.slice("COEXIST_CONFIG=".length)) as { kafka: { sasl?: unknown; brokers: string[] } };
    assert.deepEqual(config.kafka.sasl, { mechanism: "SCRAM-SHA-512", username: "coexist-sync" });
    assert.deepEqual(config.kafka.brokers, ["kafka:9092"]);
    assert.ok(!env.some((e) => e.text.includes(GENERATED.worker)), "the worker's Kafka password in its env (docker inspect shows it)");
    const file = uploads("sync-0").get(KAFKA_PASSWORD_FILE);
    assert.equal(file?.content, GENERATED.worker);
    assert.ok(file?.secret);
    const command = (container("sync-0").inputs.command as string[]).join(" ");
    assert.match(command, new RegExp(`KAFKA_SASL_PASSWORD="\\$\\(cat ${KAFKA_PASSWORD_FILE}\\)"; export KAFKA_SASL_PASSWORD; exec node dist/sync/main\\.js`));
    const reconciler = envOf("reconciler").map((e) => e.text);
    assert.ok(!reconciler.some((e) => e.startsWith("KAFKA_SASL_PASSWORD=")));
    const rconfig = JSON.parse(reconciler.find((e) => e.startsWith("COEXIST_CONFIG="))!.slice("COEXIST_CONFIG=".length)) as { kafka?: { sasl?: unknown } };
    assert.equal(rconfig.kafka?.sasl, undefined);
  });

  it("puts no Kafka password in any plain input of any resource", () => {
    for (const r of run.resources) {
      for (const s of stringsIn(r.inputs)) {
        for (const [who, password] of Object.entries(GENERATED)) {
          if (s.text.includes(password)) assert.ok(s.secret, `${who}'s Kafka password in plain text in ${r.type} ${r.name}`);
        }
      }
    }
  });
});
