import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, parseConfig, requireEnv } from "./config.js";

const valid = {
  kafka: { brokers: ["127.0.0.1:9092"], clientId: "coexist-sync", groupId: "coexist-sync" },
  mongodb: { database: "coexist" },
  dlqTopic: "coexist.dlq",
  captures: [{ table: "public.orders", topic: "coexist.public.orders", collection: "orders", key: "order_id", transform: "order" }],
  batch: { maxRecords: 1000, maxWaitMs: 0 },
  metrics: { port: 9464 },
  reconciler: { batchSize: 500, repair: false },
};

function rejects(mutate: (c: Record<string, any>) => void, key: RegExp): void {
  const c = structuredClone(valid) as Record<string, any>;
  mutate(c);
  assert.throws(() => parseConfig(c), (e: Error) => e instanceof ConfigError && key.test(e.message));
}

describe("parseConfig", () => {
  it("accepts the config the stack renders and keeps explicit zeros", () => {
    const c = parseConfig(valid);
    assert.equal(c.batch.maxWaitMs, 0);
    assert.equal(c.reconciler.batchSize, 500);
    assert.equal(c.captures[0]?.transform, "order");
  });

  it("defaults the optional sections", () => {
    const { batch, metrics, reconciler, ...required } = valid;
    const c = parseConfig(required);
    assert.deepEqual([c.batch, c.metrics, c.reconciler], [{ maxRecords: 1000, maxWaitMs: 50 }, { port: 9464 }, { batchSize: 1000, repair: false, statementTimeoutMs: 60_000 }]);
    assert.deepEqual([c.source, c.tombstones, c.health], [{ generation: 0 }, { ttlSeconds: 30 * 86_400, purgeIntervalSeconds: 3_600 }, { stallSeconds: 300 }]);
    assert.deepEqual([c.kafka.timeoutMs, c.mongodb.timeoutMs], [10_000, 60_000]);
  });

  it("names the key, the value found and the fix", () => {
    const c = structuredClone(valid) as Record<string, any>;
    c.batch.maxRecords = -5;
    assert.throws(() => parseConfig(c), { message: 'invalid config "batch.maxRecords": found -5; set an integer between 1 and 100000' });
  });

  it("rejects unknown transforms, unqualified tables, bad brokers and duplicate topics", () => {
    rejects((c) => (c.captures[0].transform = "orders"), /captures\[0\]\.transform.*order, customer, product, identity/);
    rejects((c) => (c.captures[0].table = "orders"), /captures\[0\]\.table.*schema-qualified/);
    rejects((c) => (c.kafka.brokers = ["kafka"]), /kafka\.brokers/);
    rejects((c) => c.captures.push({ ...c.captures[0], collection: "x", table: "public.x" }), /captures\[1\]\.topic/);
    rejects((c) => (c.reconciler.repair = "yes"), /reconciler\.repair/);
    rejects((c) => delete c.mongodb, /"mongodb"/);
    rejects((c) => (c.source = { generation: -1 }), /source\.generation.*between 0 and 4294967295/);
    rejects((c) => (c.tombstones = { ttlSeconds: 0 }), /tombstones\.ttlSeconds/);
    rejects((c) => (c.kafka.sasl = { mechanism: "GSSAPI", username: "u", password: "p" }), /kafka\.sasl\.mechanism.*SCRAM-SHA-512/);
    rejects((c) => (c.kafka.sasl = { username: "u" }), /KAFKA_SASL_PASSWORD/);
    rejects((c) => (c.kafka.tls = { verify: "no" }), /kafka\.tls\.verify/);
  });

  it("leaves Kafka SASL and TLS off by default and reads them when set (SCRAM-SHA-512 by default)", () => {
    const off = parseConfig(structuredClone(valid));
    assert.deepEqual([off.kafka.sasl, off.kafka.tls], [undefined, undefined]);
    const c = structuredClone(valid) as Record<string, any>;
    c.kafka.sasl = { username: "sync", password: "s3cret" };
    c.kafka.tls = { ca: "-----BEGIN CERTIFICATE-----" };
    const on = parseConfig(c);
    assert.deepEqual(on.kafka.sasl, { mechanism: "SCRAM-SHA-512", username: "sync", password: "s3cret" });
    assert.deepEqual(on.kafka.tls, { ca: "-----BEGIN CERTIFICATE-----" });
  });
});

describe("loadConfig", () => {
  it("reads --config <file> before COEXIST_CONFIG", () => {
    const dir = mkdtempSync(join(tmpdir(), "coexist-config-"));
    const file = join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ ...valid, dlqTopic: "from-file" }));
    assert.equal(loadConfig(["--config", file], { COEXIST_CONFIG: JSON.stringify(valid) }).dlqTopic, "from-file");
    assert.equal(loadConfig([], { COEXIST_CONFIG: JSON.stringify(valid) }).dlqTopic, "coexist.dlq");
  });

  it("explains a missing or malformed config", () => {
    assert.throws(() => loadConfig([], {}), /COEXIST_CONFIG.*--config/);
    assert.throws(() => loadConfig([], { COEXIST_CONFIG: "{" }), /must be JSON/);
    assert.throws(() => loadConfig(["--config"], {}), /file path/);
  });

  it("requires secrets from their own env vars", () => {
    assert.throws(() => requireEnv({}, "MONGODB_URL", "mongodb://..."), /MONGODB_URL.*never part of COEXIST_CONFIG/);
    assert.equal(requireEnv({ MONGODB_URL: "mongodb://x" }, "MONGODB_URL", ""), "mongodb://x");
  });
  it("logs in to Kafka with the SCRAM password from KAFKA_SASL_PASSWORD when the config names only the user, and TLS with KAFKA_SSL_CA_PEM", () => {
    const c = { ...valid, kafka: { ...valid.kafka, sasl: { mechanism: "SCRAM-SHA-512", username: "coexist-sync" }, tls: true } };
    const parsed = parseConfig(c, { KAFKA_SASL_PASSWORD: "pw", KAFKA_SSL_CA_PEM: "-----BEGIN CERTIFICATE-----" });
    assert.deepEqual(parsed.kafka.sasl, { mechanism: "SCRAM-SHA-512", username: "coexist-sync", password: "pw" });
    assert.deepEqual(parsed.kafka.tls, { ca: "-----BEGIN CERTIFICATE-----" });
    assert.throws(() => parseConfig(c, { KAFKA_SSL_CA_PEM: "x" }), /KAFKA_SASL_PASSWORD/);
    assert.throws(() => parseConfig(c, { KAFKA_SASL_PASSWORD: "pw" }), /KAFKA_SSL_CA_PEM/);
    assert.throws(() => parseConfig({ ...c, kafka: { ...c.kafka, sasl: { mechanism: "PLAIN", username: "u" } } }, { KAFKA_SASL_PASSWORD: "pw", KAFKA_SSL_CA_PEM: "x" }), /kafka\.sasl\.mechanism/);
    assert.equal(parseConfig(valid, {}).kafka.sasl, undefined);
  });
});
