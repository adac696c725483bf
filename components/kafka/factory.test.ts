import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { externalKafka } from "./external";

/** The external realisation of Kafka: the endpoint alone, no resource (kafkaFor's "external" case). */

describe("externalKafka", () => {
  it("gives the workloads the brokers as a list, and creates the topics through the admin API there", () => {
    const e = externalKafka("kafka", { bootstrapServers: ["b-1.example.com:9092", "b-2.example.com:9092"] });
    assert.deepEqual(e.bootstrapServers, ["b-1.example.com:9092", "b-2.example.com:9092"]);
    assert.deepEqual(e.topics, { kind: "provider", bootstrapServers: ["b-1.example.com:9092", "b-2.example.com:9092"] });
    assert.deepEqual(e.auth, { kind: "none" });
  });

  it("leaves the topics alone when the platform team made them, and logs the worker in with its SCRAM user", () => {
    const e = externalKafka("kafka", { bootstrapServers: ["b-1.example.com:9096"], topics: "existing", sasl: { mechanism: "SCRAM-SHA-256", username: "coexist-sync" } });
    assert.equal(e.topics, undefined);
    assert.deepEqual(e.auth, { kind: "sasl", mechanism: "SCRAM-SHA-256", username: "coexist-sync" });
  });

  it("refuses an empty broker list, naming the key", () => {
    assert.throws(() => externalKafka("kafka", { bootstrapServers: [] }), /kafka: no bootstrap servers; fix: list the brokers in coexist:kafka\.external\.bootstrapServers/);
  });
});
