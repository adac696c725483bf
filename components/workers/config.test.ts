import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { topicPlan } from "../kafka/topics";
import fc from "fast-check";
import { parseConfig } from "../../stacks/config";
import { reconcilerConfig, renderWorkerConfig, tombstoneTtlSeconds } from "./config";
import { stackSettings, WORKER_SETTINGS } from "./settings";

const input = {
  brokers: ["kafka:9092"],
  topicPrefix: "coexist",
  groupId: "coexist-sync",
  database: "coexist",
  dlqTopic: "coexist.dlq",
  captures: [{ table: "public.orders", collection: "orders", key: "order_id", transform: "order" as const }],
  settings: {},
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

  it("renders every stack-set setting of the worker-config contract at its path: the stack's value when set, else the contract's default", () => {
    const arb = fc.record(Object.fromEntries(stackSettings().map(([, s]) => [s.stack, s.type === "boolean" ? fc.boolean() : fc.integer({ min: Math.max(s.min ?? 0, s.type === "port" ? 1024 : 0), max: Math.min(s.max ?? 1e6, 65_535) })])), { requiredKeys: [] });
    fc.assert(
      fc.property(arb, (values) => {
        const raw = { "coexist:target": "docker", "coexist:capture": JSON.stringify(input.captures), "coexist:workers": JSON.stringify(values) };
        const parsed = parseConfig(raw, "dev");
        const rendered = renderWorkerConfig({ ...input, settings: parsed.workers.settings }) as unknown as Record<string, Record<string, unknown>>;
        for (const [name, s] of stackSettings()) {
          const [group, field] = name.split(".") as [string, string];
          assert.equal(rendered[group]?.[field], (values as Record<string, unknown>)[s.stack] ?? s.default, name);
        }
      }),
      { verbose: true },
    );
  });

  it("refuses a stack-set setting outside the contract's range, naming the coexist:workers key", () => {
    for (const [name, s] of stackSettings()) {
      if (s.type !== "integer") continue;
      const raw = { "coexist:target": "docker", "coexist:capture": JSON.stringify(input.captures), "coexist:workers": JSON.stringify({ [s.stack]: (s.max ?? 0) + 1 }) };
      assert.throws(() => parseConfig(raw, "dev"), new RegExp(`coexist:workers\\.${s.stack}`), name);
    }
    assert.ok(Object.keys(WORKER_SETTINGS).length >= 10);
  });
});

describe("reconcilerConfig", () => {
  // Without a kafka.sasl the worker's parser asks for no Kafka password (workers/src/runtime/config.test.ts):
  // the reconciler holds none and must still start.
  it("gives the reconciler no Kafka login", () => {
    const withLogin = { ...renderWorkerConfig(input), kafka: { ...renderWorkerConfig(input).kafka, sasl: { mechanism: "SCRAM-SHA-512" as const, username: "coexist-sync" }, tls: true as const } };
    const r = reconcilerConfig(withLogin);
    assert.equal("sasl" in r.kafka, false);
    assert.equal("tls" in r.kafka, false);
    assert.deepEqual({ ...r, kafka: undefined }, { ...withLogin, kafka: undefined }, "everything else is the workers' config");
  });
});
