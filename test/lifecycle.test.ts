/**
 * What happens to documents over their life, on the real pipeline: an update that leaves a
 * real TOASTed column unchanged, tombstones expiring, and a TRUNCATE (issue 8, points 5, 10).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kafkaCli } from "./support/dataplane";
import { converged } from "./support/equality";
import { Pipeline } from "./support/pipeline";
import { reconcile, tableReport } from "./support/reconciler";
import { metricValue, type WorkerProcess } from "./support/worker-process";

const TTL_SECONDS = 4;
const p = new Pipeline(undefined, undefined, undefined, { workerConfig: (c) => ({ ...c, tombstones: { ttlSeconds: TTL_SECONDS, purgeIntervalSeconds: 1 } }) });
const orders = () => p.db.collection("orders");
const order = (id: number) => orders().findOne({ _id: id as never });
let worker: WorkerProcess;

describe("document lifecycle", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start();
    worker = await p.startWorker();
  });

  after(async () => {
    await p.teardown();
  });

  it("flags, then heals, a document created from an update that left a TOASTed column out", async () => {
    // ~20 kB of hex digits: stored out of line (TOAST), so an update that does not touch it
    // streams Debezium's unavailable-value placeholder instead of the text.
    await p.pool.query(`INSERT INTO public.orders (order_id, status, notes, created_at)
      VALUES (1, 'new', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 640) g), now())`);
    const toast = await p.pool.query("SELECT pg_relation_size(reltoastrelid) AS bytes FROM pg_class WHERE oid = 'public.orders'::regclass");
    assert.ok(Number(toast.rows[0].bytes) > 0, "the value lives in the TOAST table");
    await eventually("order 1", async () => ((await order(1))?.notes?.length === 640 * 32 ? true : undefined));

    // The document is lost (a restore, a manual delete): the next change is all the worker gets.
    await orders().deleteOne({ _id: 1 as never });
    await p.pool.query("UPDATE public.orders SET status = 'paid' WHERE order_id = 1");
    const partial = await eventually("order 1 recreated from the partial image", async () => {
      const d = await order(1);
      return d?.status === "paid" ? d : undefined;
    });
    assert.equal(partial.notes, undefined, "the unchanged TOASTed column was not in the change");
    assert.equal(partial._partial, true, "a document missing columns says so");

    const { report } = await reconcile(p, "--repair");
    assert.equal(tableReport(report)?.repaired.different, 1);
    const healed = await order(1);
    assert.equal(healed?.notes?.length, 640 * 32);
    assert.equal(healed?._partial, undefined);
    assert.equal(healed?.status, "paid");
  });

  it("purges a tombstone once it is older than the TTL, and only tombstones", async () => {
    await p.pool.query("INSERT INTO public.orders (order_id, status, created_at) VALUES (2, 'to delete', now()), (3, 'stays', now())");
    await p.pool.query("DELETE FROM public.orders WHERE order_id = 2");
    await eventually("the tombstone", async () => ((await order(2))?._deleted === true ? true : undefined));
    await eventually("the tombstone purged", async () => ((await order(2)) === null ? true : undefined), (TTL_SECONDS + 20) * 1000);
    assert.equal((await order(3))?.status, "stays");
    assert.ok(metricValue(await worker.metrics(), "coexist_sync_tombstones_purged_total", { collection: "orders" }) >= 1);
  });

  it("carries a TRUNCATE into the read model, and a replay from the earliest offsets resurrects nothing", async () => {
    await p.pool.query(`INSERT INTO public.orders (order_id, status, created_at) SELECT g, 'before the truncate', now() FROM generate_series(10, 29) g`);
    await converged(p);
    await p.pool.query("TRUNCATE public.orders");
    await p.pool.query(`INSERT INTO public.orders (order_id, status, created_at) SELECT g, 'after the truncate', now() FROM generate_series(25, 34) g`);
    await converged(p);
    assert.equal(await orders().countDocuments({ _deleted: { $ne: true } }), 10);
    assert.equal((await order(25))?.status, "after the truncate");
    assert.ok(metricValue(await worker.metrics(), "coexist_sync_truncated_documents_total", { collection: "orders" }) >= 20);

    // The tombstones expire (TTL 4 s); the truncate's watermark does not.
    await eventually("the truncated rows' tombstones purged", async () => ((await orders().countDocuments({ _deleted: true })) === 0 ? true : undefined), 30_000);
    await eventually("worker caught up", async () => ((await p.caughtUp()) ? true : undefined));
    assert.equal(await worker.stop("SIGTERM"), 0);
    await kafkaCli("kafka-consumer-groups", ["--group", p.groupId, "--reset-offsets", "--to-earliest", "--all-topics", "--execute"]);
    worker = await p.startWorker();
    await eventually("replay finished", async () => ((await p.caughtUp()) ? true : undefined));
    await converged(p);
    assert.equal(await orders().countDocuments({ _deleted: { $ne: true } }), 10, "no row truncated in PostgreSQL came back");
  });
});
