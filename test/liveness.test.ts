/**
 * A hung store, for real: FerretDB is frozen with SIGSTOP (connections stay open, nothing
 * answers). The worker's MongoDB timeouts turn that into failed, retried batches, /healthz
 * turns 503 within the configured bound, a poison record in the failing batch is dead-lettered
 * once however often the batch is retried, and after SIGCONT everything converges
 * (issue 8, points 14 and 4).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dlqTopic, topicFor } from "../components/connect/connector-config";
import { Consumer, MessagesStreamModes, Producer } from "../workers/src/testing/deps.js";
import { eventually, kafkaClientOptions, ROOT } from "./support/dataplane";
import { converged } from "./support/equality";
import { Pipeline } from "./support/pipeline";
import { metricValue, type WorkerProcess } from "./support/worker-process";

const STALL_SECONDS = 6;
const p = new Pipeline(undefined, { maxRecords: 500, maxWaitMs: 200 }, undefined, {
  workerConfig: (c) => ({ ...c, health: { stallSeconds: STALL_SECONDS }, mongodb: { ...c.mongodb, timeoutMs: 2_000 } }),
});
let worker: WorkerProcess;
let frozen = false;

function ferretPid(): number {
  return Number(readFileSync(join(process.env.COEXIST_DATAPLANE_DIR ?? join(ROOT, ".dataplane"), "run", "ferretdb.pid"), "utf8").trim());
}

function freeze(on: boolean): void {
  // The pid is FerretDB's process group (scripts/dataplane starts it with setsid).
  process.kill(-ferretPid(), on ? "SIGSTOP" : "SIGCONT");
  frozen = on;
}

const health = async () => (await fetch(`http://127.0.0.1:${worker.metricsPort}/healthz`)).status;

/** All records of a topic, read from the earliest offset with a throwaway group. */
async function readAll(topic: string, atLeast: number): Promise<Array<{ key: string; value: string; headers: Record<string, string> }>> {
  const consumer = new Consumer({ clientId: "coexist-it-reader", groupId: `dlq-reader-${p.id}-${Date.now()}`, ...kafkaClientOptions(p.env), maxWaitTime: 200 });
  const out: Array<{ key: string; value: string; headers: Record<string, string> }> = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    stream.on("data", (m: { key?: Buffer; value?: Buffer; headers: Map<Buffer, Buffer> }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
      out.push({ key: m.key?.toString() ?? "", value: m.value?.toString() ?? "", headers });
    });
    await eventually(`${atLeast} records on ${topic}`, async () => (out.length >= atLeast ? true : undefined));
    // Anything more that was going to arrive has arrived.
    await new Promise((r) => setTimeout(r, 3_000));
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return out;
}

describe("a hung store", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start();
    worker = await p.startWorker();
    await p.pool.query("INSERT INTO public.orders (order_id, status, created_at) VALUES (1, 'before', now())");
    await eventually("order 1", async () => (await p.db.collection("orders").findOne({ _id: 1 as never })) ?? undefined);
  });

  after(async () => {
    if (frozen) freeze(false);
    await p.teardown();
  });

  it("turns /healthz 503 within the bound, dead-letters a poison record once across the retries, and recovers", async () => {
    assert.equal(await health(), 200);
    const ordersTopic = topicFor(p.topicPrefix, "public.orders");
    const [real] = await readAll(ordersTopic, 1);
    assert.ok(real);

    freeze(true);
    const frozenAt = Date.now();
    // One produce request: the poison record and a valid change land in the same batch, whose write cannot succeed.
    const producer = new Producer({ clientId: "coexist-it-poison", ...kafkaClientOptions(p.env) });
    try {
      await producer.send({
        messages: [
          { topic: ordersTopic, partition: 0, key: Buffer.from('{"order_id":777}'), value: Buffer.from("poison {") },
          { topic: ordersTopic, partition: 0, key: Buffer.from(real.key), value: Buffer.from(real.value) },
        ],
      });
    } finally {
      await producer.close();
    }
    await p.pool.query("INSERT INTO public.orders (order_id, status, created_at) SELECT g, 'while frozen', now() FROM generate_series(2, 5) g");

    await eventually("/healthz 503", async () => ((await health()) === 503 ? true : undefined), (STALL_SECONDS + 20) * 1000, 200);
    const after = (Date.now() - frozenAt) / 1000;
    assert.ok(after >= STALL_SECONDS - 1, `not before the bound (${after}s)`);
    assert.ok(after < STALL_SECONDS + 15, `within the bound plus one lag poll (${after}s)`);
    await eventually("a few failed attempts", async () => (metricValue(await worker.metrics(), "coexist_sync_errors_total", { stage: "write" }) >= 3 ? true : undefined), 60_000);
    assert.equal(await health(), 503);

    freeze(false);
    await eventually("/healthz 200 again", async () => ((await health()) === 200 ? true : undefined), 90_000, 200);
    await converged(p);
    assert.equal(worker.exitCode, null, "the worker recovered without a restart");

    const letters = (await readAll(dlqTopic(p.topicPrefix), 1)).filter((l) => l.key === '{"order_id":777}');
    assert.equal(letters.length, 1, `one dead letter for one poison record, after ${metricValue(await worker.metrics(), "coexist_sync_errors_total", { stage: "write" })} failed attempts`);
    assert.equal(letters[0]?.headers["coexist-error-reason"], "invalid-json");
  });
});
