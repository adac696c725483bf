import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { topicPlan } from "../kafka/topics";
import { renderWorkerConfig, tombstoneTtlSeconds } from "./config";

const input = {
  brokers: ["kafka:9092"],
  topicPrefix: "coexist",
  groupId: "coexist-sync",
  database: "coexist",
  dlqTopic: "coexist.dlq",
  captures: [{ table: "public.orders", collection: "orders", key: "order_id", transform: "order" as const }],
  batchMaxRecords: 1000,
  batchMaxWaitMs: 50,
  metricsPort: 9464,
  retentionHours: 168,
};

describe("renderWorkerConfig", () => {
  it("keeps tombstones longer than any record the CDC topics or the DLQ still hold", () => {
    const c = renderWorkerConfig(input);
    const plan = topicPlan({ topicPrefix: "coexist", captures: input.captures, partitions: 3, replicationFactor: 1, retentionHours: 168, connectGroup: "g" });
    const longestRetentionMs = Math.max(...plan.filter((t) => t.config["cleanup.policy"] === "delete").map((t) => Number(t.config["retention.ms"])));
    assert.ok(c.tombstones.ttlSeconds * 1000 > longestRetentionMs + 7 * 86_400_000, `${c.tombstones.ttlSeconds}s vs ${longestRetentionMs}ms + a segment roll`);
    assert.equal(renderWorkerConfig({ ...input, retentionHours: 336 }).tombstones.ttlSeconds, tombstoneTtlSeconds(336));
    assert.ok(tombstoneTtlSeconds(336) > tombstoneTtlSeconds(168));
  });

  it("carries the source generation for the reconciler's repairs", () => {
    assert.equal(renderWorkerConfig(input).source.generation, 0);
    assert.equal(renderWorkerConfig({ ...input, generation: 4 }).source.generation, 4);
  });

  it("refuses a retention it cannot derive a TTL from, naming the key", () => {
    assert.throws(() => renderWorkerConfig({ ...input, retentionHours: 0 }), /coexist:kafka\.retentionHours.*got 0/);
  });
});
