/**
 * Kafka on the data plane authenticates (SCRAM-SHA-512) and authorises (StandardAuthorizer, deny by
 * default) every client: a worker user with exactly the ACLs of components/kafka/acls.ts for one
 * capture list may consume its capture topics in its group and produce to its DLQ, and nothing else.
 * Every refusal asserted is Kafka's authorisation or authentication error, never any error, so on a
 * PLAINTEXT broker these tests fail.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import { TRANSFORMS } from "../components/capture";
import { cdcTopics, dlqTopic } from "../components/connect/connector-config";
import { kafkaAccess, kafkaAclsArgs } from "../components/kafka/acls";
import { Admin, Producer } from "../workers/src/testing/deps.js";
import { eventually, kafkaCli, loadDataplaneEnv, newAdmin } from "./support/dataplane";
import { consumeFirst } from "./support/kafka-source";

const env = loadDataplaneEnv();
const id = randomBytes(4).toString("hex");
const topicPrefix = `itauth${id}`;
const captures = ["public.orders", "public.customers"].map((table) => ({ table, collection: table.slice(7), key: "id", transform: TRANSFORMS[0] }));
const captureTopics = cdcTopics(topicPrefix, captures);
// Same prefix, same shape, not in the capture list: the worker must not read it.
const outside = `${topicPrefix}.public.payroll`;
const group = `${topicPrefix}-sync`;
const user = `coexist-it-worker-${id}`;
const password = randomBytes(18).toString("hex");
const sasl = { mechanism: "SCRAM-SHA-512" as const, username: user, password };
const access = kafkaAccess({
  topicPrefix,
  captures,
  connect: { user: `coexist-it-connect-${id}`, group: `${topicPrefix}-connect`, internalTopics: { configs: "c", offsets: "o", status: "s" } },
  worker: { user, group },
});

/** Kafka's own words for a refusal: TOPIC_/GROUP_AUTHORIZATION_FAILED, SASL_AUTHENTICATION_FAILED (codes 29, 30, 58). */
const REFUSED = /AUTHORIZATION_FAILED|not authorized|authoriz|SASL_AUTHENTICATION_FAILED|Authentication failed/i;
function assertRefused(e: unknown, what: string): void {
  const text = inspect(e, { depth: 8 });
  assert.match(text, REFUSED, `${what} failed, but not with Kafka's authorisation error: ${text.slice(0, 600)}`);
}

async function produce(who: { username: string; password: string } | undefined, topic: string, value: string): Promise<void> {
  const producer = new Producer({
    clientId: "coexist-it-auth-producer",
    bootstrapBrokers: env.KAFKA_BROKERS.split(","),
    ...(who ? { sasl: { mechanism: "SCRAM-SHA-512" as const, ...who } } : {}),
    retries: 0,
    timeout: 10_000,
    connectTimeout: 10_000,
  });
  try {
    await producer.send({ messages: [{ topic, key: Buffer.from("k"), value: Buffer.from(value) }] });
  } finally {
    await producer.close();
  }
}


describe("Kafka authentication and ACLs on the data plane", { timeout: 240_000 }, () => {
  before(async () => {
    await kafkaCli("kafka-configs", ["--alter", "--entity-type", "users", "--entity-name", user, "--add-config", `SCRAM-SHA-512=[password=${password}]`]);
    for (const args of kafkaAclsArgs(access.worker)) await kafkaCli("kafka-acls", args);
    const admin = newAdmin(env);
    try {
      await admin.createTopics({ topics: [...captureTopics, dlqTopic(topicPrefix), outside], partitions: 1, replicas: 1 });
    } finally {
      await admin.close();
    }
    await produce({ username: env.KAFKA_ADMIN_USER, password: env.KAFKA_ADMIN_PASSWORD }, captureTopics[0]!, "change-1");
    await produce({ username: env.KAFKA_ADMIN_USER, password: env.KAFKA_ADMIN_PASSWORD }, outside, "salary");
  });

  after(async () => {
    const admin = newAdmin(env);
    try {
      await admin.deleteTopics({ topics: [...captureTopics, dlqTopic(topicPrefix), outside] });
    } finally {
      await admin.close();
    }
    await kafkaCli("kafka-acls", ["--remove", "--force", "--principal", `User:${user}`]).catch(() => undefined);
    await kafkaCli("kafka-configs", ["--alter", "--entity-type", "users", "--entity-name", user, "--delete-config", "SCRAM-SHA-512"]);
  });

  it("refuses a client without credentials and one with a wrong password", async () => {
    const anonymous = new Admin({ clientId: "coexist-it-anonymous", bootstrapBrokers: env.KAFKA_BROKERS.split(","), retries: 0, timeout: 5_000, connectTimeout: 5_000 });
    try {
      // A SASL listener drops a client that skips the handshake; the admin sees a closed connection.
      await assert.rejects(anonymous.listTopics());
    } finally {
      await anonymous.close().catch(() => undefined);
    }
    // The same request as the admin succeeds, so the refusal above is the missing login.
    const admin = newAdmin(env);
    try {
      assert.ok((await admin.listTopics()).includes(outside));
    } finally {
      await admin.close();
    }
    await assert.rejects(produce({ username: user, password: `${password}x` }, dlqTopic(topicPrefix), "x"), (e) => (assertRefused(e, "a wrong password"), true));
  });

  it("lets the worker consume its capture topics in its group and produce to its DLQ", async () => {
    assert.equal(await consumeOne(captureTopics[0]!, group), "change-1");
    await produce(sasl, dlqTopic(topicPrefix), "dead letter");
    const admin = newAdmin(env);
    try {
      await eventually("the dead letter on the DLQ", async () => {
        const offsets = await admin.listOffsets({ topics: [{ name: dlqTopic(topicPrefix), partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
        const end = offsets[0]?.partitions[0]?.offset ?? 0n;
        return end >= 1n ? true : undefined;
      }, 20_000);
    } finally {
      await admin.close();
    }
  });

  it("refuses the worker a topic outside its capture list, a write to a capture topic, and another group", async () => {
    await assert.rejects(consumeOne(outside, group), (e) => (assertRefused(e, "reading a topic outside the capture list"), true));
    await assert.rejects(produce(sasl, captureTopics[1]!, "forged change"), (e) => (assertRefused(e, "writing a capture topic"), true));
    await assert.rejects(consumeOne(captureTopics[0]!, `${topicPrefix}-connect`), (e) => (assertRefused(e, "joining Connect's group"), true));
  });
});

function consumeOne(topic: string, groupId: string): Promise<string> {
  return consumeFirst({ clientId: "coexist-it-auth-consumer", bootstrapBrokers: env.KAFKA_BROKERS.split(","), sasl }, topic, groupId);
}
