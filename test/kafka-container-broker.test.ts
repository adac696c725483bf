// test-lane: control-plane
/**
 * The Docker target's Kafka broker, for real: components/kafka/broker-start.sh (the container's
 * entrypoint) runs on the Kafka distribution the data plane installs, with the server.properties
 * the stack renders (renderBrokerProperties) and the secret files it uploads. The image's
 * bin/kafka-storage.sh and bin/kafka-server-start.sh are stood in for by two-line shims that run
 * the same main classes. Then: the format wrote the SCRAM users, the healthcheck's command works
 * with the client config the script writes, anonymous and wrong-password clients are refused,
 * and Connect's and the worker's users hold exactly the rights of the ACL bindings the stack
 * turns into kafka.Acl resources (containerAclBindings), applied here with Kafka's AclCommand.
 *
 * Needs only `scripts/dataplane install` (the Kafka jars and a JVM), not a running data plane, so
 * it runs in the control-plane lane (scripts/test), beside the data-plane tests, on ports of its own.
 */
import assert from "node:assert/strict";
import { ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { inspect, promisify } from "node:util";
import { TRANSFORMS } from "../components/capture";
import { cdcTopics, dlqTopic, heartbeatTopic } from "../components/connect/connector-config";
import { AclBinding, kafkaAccess } from "../components/kafka/acls";
import { ADMIN_CLIENT_CONFIG, BROKER_RUN_DIR, brokerEnv, brokerHealthcheck, containerAclBindings, KAFKA_ADMIN_USER, renderBrokerProperties } from "../components/kafka/container-auth";
import { CONNECT_REST_USER, connectWorkerEnv, restJaasConfig, SECRETS_DIR } from "../components/connect/connect";
import { connectSaslEnv, kafkaClientJaasSection } from "../components/connect/container-auth";
import { connectInternalTopics } from "../components/kafka/topics";
import { Admin, Producer } from "../workers/src/testing/deps.js";
import { eventually, freePort, ROOT } from "./support/dataplane";
import { consumeFirst } from "./support/kafka-source";

const SCRIPT = path.join(ROOT, "components", "kafka", "broker-start.sh");
const KAFKA_DIST = execFileSync("bash", ["-c", '. scripts/dataplane.d/lib.sh && printf %s "$KAFKA_DIST"'], { cwd: ROOT, encoding: "utf8" });
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, "bin", "java") : "java";
const TOOLS_LOG4J = path.join(ROOT, "scripts", "dataplane.d", "log4j2-tools.properties");
const SERVER_LOG4J = path.join(ROOT, "scripts", "dataplane.d", "log4j2-server.properties");

const id = randomBytes(3).toString("hex");
const topicPrefix = `dockerauth${id}`;
const captures = ["public.orders", "public.customers"].map((table) => ({ table, collection: table.slice(7), key: "id", transform: TRANSFORMS[0] }));
const connectGroup = `${topicPrefix}-connect`;
const internal = connectInternalTopics(connectGroup);
const access = kafkaAccess({
  topicPrefix,
  captures,
  connect: { user: `${topicPrefix}-connect`, group: connectGroup, internalTopics: internal },
  worker: { user: `${topicPrefix}-sync`, group: `${topicPrefix}-sync` },
});
const captureTopics = cdcTopics(topicPrefix, captures);
const outside = `${topicPrefix}.public.payroll`;
const password = () => randomBytes(24).toString("base64url");
const logins = { [KAFKA_ADMIN_USER]: password(), [access.connect.user]: password(), [access.worker.user]: password() };
const as = (user: string) => ({ mechanism: "SCRAM-SHA-512" as const, username: user, password: logins[user]! });

const REFUSED = /AUTHORIZATION_FAILED|not authorized|authoriz|SASL_AUTHENTICATION_FAILED|Authentication failed/i;
const refused = (what: string) => (e: unknown) => {
  const text = inspect(e, { depth: 8 });
  assert.match(text, REFUSED, `${what} failed, but not with Kafka's refusal: ${text.slice(0, 600)}`);
  return true;
};

let dir: string;
let ports: { internal: number; host: number; controller: number; local: number };
let broker: ChildProcess | undefined;
let brokerLog: string;

/** The image's layout, with its bin scripts as shims running the same main classes on the data plane's jars. */
function fakeKafkaHome(home: string): void {
  fs.mkdirSync(path.join(home, "bin"), { recursive: true });
  const shim = (file: string, main: string, jvm: string) =>
    fs.writeFileSync(path.join(home, "bin", file), `#!/usr/bin/env bash\nexec ${JSON.stringify(JAVA)} ${jvm} -cp ${JSON.stringify(`${KAFKA_DIST}/libs/*`)} "-Dlog4j2.configurationFile=${TOOLS_LOG4J}" ${main} "$@"\n`, { mode: 0o755 });
  shim("kafka-storage.sh", "kafka.tools.StorageTool", "-Xmx256m -XX:+UseSerialGC");
  shim("kafka-server-start.sh", "kafka.Kafka", "$KAFKA_HEAP_OPTS -XX:+UseSerialGC");
  shim("kafka-broker-api-versions.sh", "org.apache.kafka.tools.BrokerApiVersionsCommand", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
  shim("kafka-configs.sh", "kafka.admin.ConfigCommand", "$KAFKA_HEAP_OPTS -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
}

function writeInputs(root: string, logDir: string): { conf: string; secrets: string; run: string } {
  const conf = path.join(root, "conf");
  const secrets = path.join(root, "secrets");
  fs.mkdirSync(conf, { recursive: true });
  fs.mkdirSync(path.join(secrets, "scram"), { recursive: true });
  fs.writeFileSync(path.join(conf, "server.properties"), renderBrokerProperties({ internalHost: "127.0.0.1", internalPort: ports.internal, hostPort: ports.host, controllerPort: ports.controller, localPort: ports.local, logDir }));
  for (const [user, pw] of Object.entries(logins)) fs.writeFileSync(path.join(secrets, "scram", user), pw);
  fs.writeFileSync(path.join(secrets, "controller"), password());
  return { conf, secrets, run: path.join(root, "run") };
}

function startEnv(root: string, inputs: { conf: string; secrets: string; run: string }): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_HOME: path.join(root, "kafka"),
    COEXIST_KAFKA_CONF: inputs.conf,
    COEXIST_KAFKA_SECRETS: inputs.secrets,
    COEXIST_KAFKA_RUN: inputs.run,
    // The same plain env the container gets.
    ...brokerEnv("MkU3OEVBNTcwNTJENDM2Qk"),
    KAFKA_HEAP_OPTS: "-Xms64m -Xmx384m",
  };
}

/** The container's healthcheck command, with the image's paths mapped onto this test's. */
function healthcheck(run: string): string[] {
  return brokerHealthcheck(ports.internal).command.map((a) => a.replace("/opt/kafka", path.join(dir, "kafka")).replace(ADMIN_CLIENT_CONFIG, path.join(run, path.relative(BROKER_RUN_DIR, ADMIN_CLIENT_CONFIG))).replace("localhost:", "127.0.0.1:"));
}

/**
 * The debezium/connect image's entrypoint: BOOTSTRAP_SERVERS, GROUP_ID and the storage settings by
 * name, every CONNECT_FOO_BAR as foo.bar, plus the image's converter defaults. REST on loopback here.
 */
function debeziumImageProperties(env: Record<string, string>, restPort: number): string {
  const named: Record<string, string> = {
    BOOTSTRAP_SERVERS: "bootstrap.servers", GROUP_ID: "group.id",
    CONFIG_STORAGE_TOPIC: "config.storage.topic", OFFSET_STORAGE_TOPIC: "offset.storage.topic", STATUS_STORAGE_TOPIC: "status.storage.topic",
    CONFIG_STORAGE_REPLICATION_FACTOR: "config.storage.replication.factor", OFFSET_STORAGE_REPLICATION_FACTOR: "offset.storage.replication.factor", STATUS_STORAGE_REPLICATION_FACTOR: "status.storage.replication.factor",
  };
  const props: Record<string, string> = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "offset.storage.partitions": "1", "status.storage.partitions": "1",
    listeners: `http://127.0.0.1:${restPort}`, "rest.advertised.host.name": "127.0.0.1", "rest.advertised.port": String(restPort),
  };
  for (const [k, v] of Object.entries(env)) {
    if (named[k]) props[named[k]] = v;
    else if (k.startsWith("CONNECT_")) props[k.slice("CONNECT_".length).toLowerCase().replace(/_/g, ".")] = v;
  }
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

function aclCommandArgs(b: AclBinding): string[] {
  return ["--add", "--allow-principal", b.principal, `--${b.resourceType}`, b.resourceName, "--resource-pattern-type", b.patternType === "prefix" ? "prefixed" : "literal", "--operation", b.operation];
}

async function java(main: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(JAVA, ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", `-Dlog4j2.configurationFile=${TOOLS_LOG4J}`, "-cp", `${KAFKA_DIST}/libs/*`, main, ...args], { maxBuffer: 8 << 20 });
  return stdout;
}

const bootstrap = (listener: "internal" | "host") => [`127.0.0.1:${listener === "internal" ? ports.internal : ports.host}`];

async function produce(user: string | undefined, topic: string, value: string, sasl = user ? as(user) : undefined): Promise<void> {
  const producer = new Producer({ clientId: "coexist-it-docker-producer", bootstrapBrokers: bootstrap("internal"), ...(sasl ? { sasl } : {}), retries: 0, timeout: 10_000, connectTimeout: 10_000 });
  try {
    await producer.send({ messages: [{ topic, key: Buffer.from("k"), value: Buffer.from(value) }] });
  } finally {
    await producer.close();
  }
}


async function stopBroker(): Promise<void> {
  const b = broker;
  if (!b?.pid || b.exitCode !== null) return;
  const exited = new Promise((r) => b.once("exit", r));
  process.kill(-b.pid, "SIGTERM");
  await exited;
}

async function startBroker(logDir = path.join(dir, "data")): Promise<void> {
  const inputs = writeInputs(dir, logDir);
  brokerLog = path.join(dir, "broker.log");
  const out = fs.openSync(brokerLog, "a");
  broker = spawn("bash", [SCRIPT], { env: startEnv(dir, inputs), stdio: ["ignore", out, out], detached: true });
  const admin = new Admin({ clientId: "coexist-it-docker-admin", bootstrapBrokers: bootstrap("host"), sasl: as(KAFKA_ADMIN_USER), retries: 0, timeout: 5_000, connectTimeout: 5_000 });
  try {
    const outcome = await eventually("the broker to take the admin's SCRAM login on the host listener", async () => {
      if (broker?.exitCode !== null) return "exited";
      return (await admin.listTopics()) ? "up" : undefined;
    }, 180_000, 1000);
    assert.equal(outcome, "up", `broker-start.sh exited ${broker?.exitCode}: ${fs.readFileSync(brokerLog, "utf8").split("\n").filter((l) => !/ INFO /.test(l)).join("\n").slice(-2000)}`);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

describe("the Docker broker's entrypoint on the real Kafka distribution", { timeout: 600_000 }, () => {
  before(async () => {
    assert.ok(fs.existsSync(path.join(KAFKA_DIST, "libs")), `no Kafka jars at ${KAFKA_DIST}; run scripts/dataplane install`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-docker-kafka-"));
    ports = { internal: await freePort(), host: await freePort(), controller: await freePort(), local: await freePort() };
    fakeKafkaHome(path.join(dir, "kafka"));
    await startBroker();
    const admin = new Admin({ clientId: "coexist-it-docker-admin", bootstrapBrokers: bootstrap("internal"), sasl: as(KAFKA_ADMIN_USER), retries: 0, timeout: 10_000 });
    try {
      await admin.createTopics({ topics: [...captureTopics, dlqTopic(topicPrefix), heartbeatTopic(topicPrefix), outside], partitions: 1, replicas: 1 });
      // Compacted, as the stack makes them (topicPlan): Connect refuses internal topics that are not.
      await admin.createTopics({ topics: [internal.configs, internal.offsets, internal.status], partitions: 1, replicas: 1, configs: [{ name: "cleanup.policy", value: "compact" }] });
    } finally {
      await admin.close();
    }
    const adminConfig = path.join(dir, "run", "admin-client.properties");
    for (const b of containerAclBindings(access)) await java("org.apache.kafka.tools.AclCommand", ["--bootstrap-server", bootstrap("host")[0]!, "--command-config", adminConfig, ...aclCommandArgs(b)]);
    await produce(KAFKA_ADMIN_USER, captureTopics[0]!, "change-1");
    await produce(KAFKA_ADMIN_USER, outside, "salary");
    // The first group request creates __consumer_offsets; until it has a leader every group gets
    // COORDINATOR_NOT_AVAILABLE, which is not what the tests below are about.
    await eventually("the group coordinator", async () => (await consumeOne(KAFKA_ADMIN_USER, captureTopics[0]!, `${topicPrefix}-warmup`)) === "change-1" ? true : undefined, 60_000, 1000);
  });

  after(() => {
    if (broker?.pid && broker.exitCode === null) process.kill(-broker.pid, "SIGKILL");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("formats the log dir with every SCRAM user, and keeps passwords out of the plain config", () => {
    const marker = fs.readFileSync(path.join(dir, "data", ".coexist-scram-sha-512"), "utf8");
    for (const user of Object.keys(logins)) assert.ok(marker.includes(user), `${user} in ${marker}`);
    const plain = fs.readFileSync(path.join(dir, "conf", "server.properties"), "utf8");
    for (const pw of Object.values(logins)) assert.ok(!plain.includes(pw));
    assert.equal(fs.statSync(path.join(dir, "run", "server.properties")).mode & 0o077, 0, "the rendered config with the logins is private to its owner");
  });

  it("passes the container's healthcheck command with the client config the script writes", async () => {
    const [cmd, ...args] = healthcheck(path.join(dir, "run"));
    const { stdout } = await promisify(execFile)(cmd!, args, { maxBuffer: 8 << 20 });
    assert.match(stdout, /ApiVersion|\(id: 1 rack: null/);
  });

  it("refuses a client without credentials and one with a wrong password, on both listeners", async () => {
    for (const listener of ["internal", "host"] as const) {
      const anonymous = new Admin({ clientId: "coexist-it-anonymous", bootstrapBrokers: bootstrap(listener), retries: 0, timeout: 5_000, connectTimeout: 5_000 });
      try {
        await assert.rejects(anonymous.listTopics());
      } finally {
        await anonymous.close().catch(() => undefined);
      }
    }
    await assert.rejects(produce(undefined, dlqTopic(topicPrefix), "x", { ...as(access.worker.user), password: `${logins[access.worker.user]}x` }), refused("a wrong password"));
  });

  it("lets the worker consume its capture topics in its group and produce to its DLQ", async () => {
    assert.equal(await consumeOne(access.worker.user, captureTopics[0]!, access.worker.user), "change-1");
    await produce(access.worker.user, dlqTopic(topicPrefix), "dead letter");
  });

  it("refuses the worker a topic outside its capture list, a write to a capture topic, and Connect's group", async () => {
    await assert.rejects(consumeOne(access.worker.user, outside, access.worker.user), refused("reading a topic outside the capture list"));
    await assert.rejects(produce(access.worker.user, captureTopics[1]!, "forged change"), refused("writing a capture topic"));
    await assert.rejects(consumeOne(access.worker.user, captureTopics[0]!, connectGroup), refused("joining Connect's group"));
  });

  it("lets Connect write the capture topics, the heartbeat and its internal topics, and read nothing it does not own", async () => {
    await produce(access.connect.user, captureTopics[1]!, "change-2");
    await produce(access.connect.user, heartbeatTopic(topicPrefix), "beat");
    await produce(access.connect.user, internal.status, "status");
    assert.equal(await consumeOne(access.connect.user, internal.status, connectGroup), "status");
    await assert.rejects(consumeOne(access.connect.user, captureTopics[0]!, connectGroup), refused("Connect reading a capture topic"));
    await assert.rejects(produce(access.connect.user, dlqTopic(topicPrefix), "x"), refused("Connect writing the DLQ"));
  });

  it("runs Kafka Connect as its user with the stack's env and JAAS file: the worker joins its group and writes its config topic", async () => {
    const connectDir = path.join(dir, "connect");
    fs.mkdirSync(connectDir);
    const restPort = await freePort();
    const restPassword = password();
    fs.writeFileSync(path.join(connectDir, "users.properties"), `${CONNECT_REST_USER}: ${restPassword}\n`);
    // What the container gets (connect.ts, connect/container-auth.ts): its JAAS file and its env, as the
    // debezium/connect image's entrypoint turns them into worker properties.
    fs.writeFileSync(path.join(connectDir, "jaas.conf"), restJaasConfig(path.join(connectDir, "users.properties")) + kafkaClientJaasSection(access.connect.user, logins[access.connect.user]!));
    const env = { ...connectWorkerEnv({ bootstrapServers: bootstrap("internal")[0]!, groupId: connectGroup }), ...connectSaslEnv() };
    // The file config provider refuses an allowed path that does not exist: the container's, here.
    fs.mkdirSync(path.join(connectDir, "secrets"));
    fs.writeFileSync(path.join(connectDir, "worker.properties"), debeziumImageProperties(env, restPort).replace(`=${SECRETS_DIR}\n`, `=${path.join(connectDir, "secrets")}\n`));
    const log = fs.openSync(path.join(connectDir, "connect.log"), "a");
    const worker = spawn(JAVA, ["-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", `-Dlog4j2.configurationFile=${SERVER_LOG4J}`, `-Djava.security.auth.login.config=${path.join(connectDir, "jaas.conf")}`,
      "-cp", `${KAFKA_DIST}/libs/*`, "org.apache.kafka.connect.cli.ConnectDistributed", path.join(connectDir, "worker.properties")], { stdio: ["ignore", log, log], detached: true });
    const admin = new Admin({ clientId: "coexist-it-docker-admin", bootstrapBrokers: bootstrap("host"), sasl: as(KAFKA_ADMIN_USER), retries: 0, timeout: 10_000 });
    try {
      // The leader writes its session key to the config topic once it joined: a write as Connect's user.
      const outcome = await eventually("Connect's session key on its config topic", async () => {
        if (worker.exitCode !== null) return "exited";
        const offsets = await admin.listOffsets({ topics: [{ name: internal.configs, partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
        return (offsets[0]?.partitions[0]?.offset ?? 0n) >= 1n ? "joined" : undefined;
      }, 180_000, 1000);
      assert.equal(outcome, "joined", `Connect exited ${worker.exitCode}: ${fs.readFileSync(path.join(connectDir, "connect.log"), "utf8").split("\n").filter((l) => !/ INFO /.test(l)).join("\n").slice(-3000)}`);
      // (describeGroups would decode the members' metadata as the consumer protocol; Connect's is its own.)
      const groups = await admin.listGroups();
      assert.ok(groups.has(connectGroup), `Connect's group among ${[...groups.keys()].join(", ")}`);
      // The REST resources come up after the herder (404 until then).
      const authorization = `Basic ${Buffer.from(`${CONNECT_REST_USER}:${restPassword}`).toString("base64")}`;
      await eventually("Connect's REST API", async () => ((await fetch(`http://127.0.0.1:${restPort}/connectors`, { headers: { authorization } })).status === 200 ? true : undefined), 60_000, 1000);
      // The worker's properties carry no password: the login is in the JAAS file alone.
      assert.ok(!fs.readFileSync(path.join(connectDir, "worker.properties"), "utf8").includes(logins[access.connect.user]!));
    } finally {
      if (worker.pid && worker.exitCode === null) process.kill(-worker.pid, "SIGKILL");
      await admin.close();
    }
  });

  it("upserts the SCRAM users at every start: after a restart with a new password the new one works and the old one is refused", async () => {
    await stopBroker();
    const worker = access.worker.user;
    const old = logins[worker]!;
    logins[worker] = password();
    await startBroker(path.join(dir, "data"));
    await eventually("the worker's new password", async () => (await produce(worker, dlqTopic(topicPrefix), "after rotation"), true), 120_000, 2000);
    await assert.rejects(produce(undefined, dlqTopic(topicPrefix), "x", { ...as(worker), password: old }), refused("the old password"));
  });

  it("adds the SCRAM users to a log dir formatted before the broker had any (a dev volume from before SASL)", async () => {
    await stopBroker();
    const logDir = path.join(dir, "pre-sasl");
    const conf = path.join(dir, "pre-sasl.properties");
    fs.writeFileSync(conf, renderBrokerProperties({ internalHost: "127.0.0.1", internalPort: ports.internal, hostPort: ports.host, controllerPort: ports.controller, localPort: ports.local, logDir }));
    execFileSync(path.join(dir, "kafka", "bin", "kafka-storage.sh"), ["format", "--cluster-id", "MkU3OEVBNTcwNTJENDM2Qk", "--config", conf], { stdio: "pipe" });
    assert.ok(fs.existsSync(path.join(logDir, "meta.properties")) && !fs.existsSync(path.join(logDir, ".coexist-scram-sha-512")));
    await startBroker(logDir);
    // startBroker returns once the admin logs in; the users are upserted one by one, in no set
    // order, so the worker's login is only due once the reconcile wrote its marker (CI saw the
    // worker refused a moment after the admin was let in).
    const marker = path.join(logDir, ".coexist-scram-sha-512");
    await eventually("the reconcile's marker", async () => (fs.existsSync(marker) && /^reconciled /m.test(fs.readFileSync(marker, "utf8")) ? true : undefined), 60_000, 500);
    // The credential is committed by the controller when kafka-configs returns; the broker applies
    // the metadata record a moment later. Bounded: a user never added fails here.
    const topics = await eventually("the worker's SCRAM login on the reconciled log dir", async () => {
      const admin = new Admin({ clientId: "coexist-it-docker-worker", bootstrapBrokers: bootstrap("internal"), sasl: as(access.worker.user), retries: 0, timeout: 5_000 });
      try {
        return await admin.listTopics();
      } finally {
        await admin.close().catch(() => undefined);
      }
    }, 15_000, 500);
    assert.deepEqual(topics, [], "the worker logs in, and sees no topic it may not describe");
  });
});

function consumeOne(user: string, topic: string, groupId: string): Promise<string> {
  return consumeFirst({ clientId: "coexist-it-docker-consumer", bootstrapBrokers: bootstrap("internal"), sasl: as(user) }, topic, groupId);
}
