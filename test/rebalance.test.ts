/**
 * Rebalances under load, end to end: while PostgreSQL takes a steady stream of inserts,
 * multi-update transactions, deletes and re-inserts, a second worker process joins and leaves
 * cleanly, and a third joins and is killed. The group's committed offsets never move backwards
 * and MongoDB ends equal to PostgreSQL (issue 8, point 3).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cdcTopics } from "../components/connect/connector-config";
import { eventually, newAdmin } from "./support/dataplane";
import { converged } from "./support/equality";
import { Pipeline } from "./support/pipeline";
import { metricValue, type WorkerProcess } from "./support/worker-process";

const p = new Pipeline(undefined, { maxRecords: 20, maxWaitMs: 20 });
const KEYS = 120;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One transaction of the load: several changes per key, deletes and re-inserts of the same keys. */
async function transaction(i: number): Promise<void> {
  const client = await p.pool.connect();
  try {
    const k = (i * 7) % KEYS;
    await client.query("BEGIN");
    await client.query(
      `INSERT INTO public.orders (order_id, customer_id, status, total, items, created_at)
       SELECT g, g, 'new', g / 3.0, jsonb_build_array(jsonb_build_object('i', $1::int)), now() FROM generate_series($2::bigint, $2::bigint + 4) g
       ON CONFLICT (order_id) DO UPDATE SET status = 'reinserted', total = EXCLUDED.total`,
      [i, k],
    );
    await client.query("UPDATE public.orders SET status = 'step-1', updated_at = now() WHERE order_id BETWEEN $1 AND $1 + 4", [k]);
    await client.query("UPDATE public.orders SET status = 'step-2', total = total + 1 WHERE order_id BETWEEN $1 AND $1 + 2", [k]);
    await client.query("DELETE FROM public.orders WHERE order_id = $1 + 3", [k]);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

describe("consumer-group rebalances under load", { timeout: 420_000 }, () => {
  before(async () => {
    await p.start();
  });

  after(async () => {
    await p.teardown();
  });

  it("never commits an offset backwards and ends equal to PostgreSQL while workers join and leave", async () => {
    const a = await p.startWorker();
    const backwards: string[] = [];
    const last = new Map<string, bigint>();
    let watching = true;
    const watch = (async () => {
      const admin = newAdmin(p.env);
      const topics = new Set(cdcTopics(p.topicPrefix, p.captures));
      try {
        while (watching) {
          const [group] = await admin.listConsumerGroupOffsets({ groups: [p.groupId] }).catch(() => [undefined]);
          for (const t of group?.topics ?? []) {
            if (!topics.has(t.name)) continue;
            for (const pt of t.partitions) {
              const k = `${t.name}:${pt.partitionIndex}`;
              const prev = last.get(k);
              if (pt.committedOffset < 0n) continue;
              if (prev !== undefined && pt.committedOffset < prev) backwards.push(`${k}: ${prev} -> ${pt.committedOffset}`);
              last.set(k, pt.committedOffset);
            }
          }
          await sleep(100);
        }
      } finally {
        await admin.close();
      }
    })();

    let stop = false;
    let done = 0;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        await transaction(i);
        done++;
        await sleep(40);
      }
    })();

    let b: WorkerProcess | undefined;
    let c: WorkerProcess | undefined;
    try {
      await sleep(5_000);
      b = await p.startWorker(); // joins: A gives up partitions
      await sleep(10_000);
      assert.equal(await b.stop("SIGTERM"), 0); // leaves cleanly: A takes them back
      await sleep(3_000);
      c = await p.startWorker(); // joins again
      await sleep(8_000);
      await c.stop("SIGKILL"); // dies: its partitions move after the session timeout
      await sleep(4_000);
    } finally {
      stop = true;
      await load;
    }
    await eventually("group caught up", async () => ((await p.caughtUp()) ? true : undefined), 180_000);
    watching = false;
    await watch;
    await converged(p, 120_000);

    assert.deepEqual(backwards, [], "committed offsets moved backwards");
    assert.ok(done > 50, `the load ran (${done} transactions)`);
    assert.ok(metricValue(await a.metrics(), "coexist_sync_group_joins") >= 3, "worker A went through the rebalances");
  });
});
