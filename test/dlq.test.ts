/**
 * Poison records go to the dead-letter topic with their original bytes and
 * the reason in headers, and the worker keeps applying what follows.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dlqTopic, topicFor } from "../components/connect/connector-config";
import { Consumer, MessagesStreamModes, Producer } from "../workers/src/testing/deps.js";
import { eventually, kafkaClientOptions } from "./support/dataplane";
import { Pipeline } from "./support/pipeline";
import { metricValue } from "./support/worker-process";

const p = new Pipeline();

interface Letter {
  key: string;
  value: string;
  headers: Record<string, string>;
}

async function readDeadLetters(count: number): Promise<Letter[]> {
  const consumer = new Consumer({ clientId: "coexist-it-dlq-reader", groupId: `dlq-reader-${p.id}`, ...kafkaClientOptions(p.env), maxWaitTime: 200 });
  const letters: Letter[] = [];
  try {
    const stream = await consumer.consume({ topics: [dlqTopic(p.topicPrefix)], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    stream.on("data", (m: { key?: Buffer; value?: Buffer; headers: Map<Buffer, Buffer> }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
      letters.push({ key: m.key?.toString() ?? "", value: m.value?.toString() ?? "", headers });
    });
    await eventually(`${count} dead letters`, async () => (letters.length >= count ? true : undefined));
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return letters;
}

describe("poison records", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start();
  });

  after(async () => {
    await p.teardown();
  });

  it("dead-letters garbage and an unrepresentable NUMERIC with the reason, and later records still arrive", async () => {
    const worker = await p.startWorker();
    await p.pool.query("INSERT INTO public.orders (order_id, status, total, created_at) VALUES (1, 'before', 1.5, now())");
    await eventually("order 1", async () => ((await p.db.collection("orders").findOne({ _id: 1 as never })) ?? undefined));

    const ordersTopic = topicFor(p.topicPrefix, "public.orders");
    const producer = new Producer({ clientId: "coexist-it-poison", ...kafkaClientOptions(p.env) });
    try {
      await producer.send({ messages: [{ topic: ordersTopic, key: Buffer.from('{"order_id":777}'), value: Buffer.from("this is not json {") }] });
    } finally {
      await producer.close();
    }
    // 38 significant digits: valid in NUMERIC(38,18), not storable exactly as Decimal128.
    await p.pool.query("INSERT INTO public.orders (order_id, status, total, created_at) VALUES (2, 'too wide', 99999999999999999999.999999999999999999, now())");
    await p.pool.query("INSERT INTO public.orders (order_id, status, total, created_at) VALUES (3, 'after', -0.000000000000000001, now())");

    const after3 = await eventually("order 3, written after the poison", async () => (await p.db.collection("orders").findOne({ _id: 3 as never })) ?? undefined);
    assert.equal(after3.total, "-0.000000000000000001");
    assert.equal(await p.db.collection("orders").findOne({ _id: 2 as never }), null, "the unrepresentable row is not written rounded");

    const letters = await readDeadLetters(2);
    const garbage = letters.find((l) => l.headers["coexist-error-reason"] === "invalid-json");
    assert.ok(garbage, JSON.stringify(letters));
    assert.equal(garbage.value, "this is not json {");
    assert.equal(garbage.key, '{"order_id":777}');
    assert.equal(garbage.headers["coexist-source-topic"], ordersTopic);
    assert.match(garbage.headers["coexist-source-offset"] ?? "", /^\d+$/);
    assert.match(garbage.headers["coexist-source-partition"] ?? "", /^\d+$/);
    const wide = letters.find((l) => l.headers["coexist-error-reason"] === "unrepresentable-value");
    assert.ok(wide, JSON.stringify(letters));
    assert.match(wide.headers["coexist-error-message"] ?? "", /"total".*34 significant digits/);
    assert.equal(JSON.parse(wide.key).order_id, 2);

    const metrics = await worker.metrics();
    assert.equal(metricValue(metrics, "coexist_sync_dlq_total", { reason: "invalid-json" }), 1);
    assert.equal(metricValue(metrics, "coexist_sync_dlq_total", { reason: "unrepresentable-value" }), 1);
    assert.equal(worker.exitCode, null, "the worker is still running");
  });
});
