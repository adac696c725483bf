import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { consumerConfig, securityConfig } from "./librdkafka.js";

const base = { brokers: ["127.0.0.1:9092", "127.0.0.1:9093"], clientId: "c", groupId: "g", bufferRecords: 10 };

describe("consumerConfig", () => {
  it("leaves commits, the offset store and assignment to the source: no auto commit, no local store, cooperative-sticky", () => {
    const c = consumerConfig(base);
    assert.equal(c["enable.auto.commit"], false);
    assert.equal(c["enable.auto.offset.store"], false);
    assert.equal(c["partition.assignment.strategy"], "cooperative-sticky");
    assert.equal(c["bootstrap.servers"], "127.0.0.1:9092,127.0.0.1:9093");
    assert.equal(c["security.protocol"], "plaintext");
  });

  it("lets librdkafka prefetch its default 64 MB: 16 MB capped the source at a third of the rate", () => {
    assert.ok(Number(consumerConfig(base)["queued.max.messages.kbytes"]) >= 65_536);
  });
});

describe("securityConfig", () => {
  it("maps SASL/SCRAM and TLS to librdkafka's properties, verifying certificates by default", () => {
    assert.deepEqual(securityConfig({ sasl: { mechanism: "SCRAM-SHA-512", username: "u", password: "p" }, ssl: { ca: "PEM" } }), {
      "security.protocol": "sasl_ssl",
      "sasl.mechanisms": "SCRAM-SHA-512",
      "sasl.username": "u",
      "sasl.password": "p",
      "ssl.ca.pem": "PEM",
      "enable.ssl.certificate.verification": true,
      "ssl.endpoint.identification.algorithm": "https",
    });
    assert.equal(securityConfig({ sasl: { mechanism: "SCRAM-SHA-512", username: "u", password: "p" } })["security.protocol"], "sasl_plaintext");
    assert.equal(securityConfig({ ssl: {} })["security.protocol"], "ssl");
  });
});
