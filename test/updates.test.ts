/**
 * The FerretDB deadlock trap, on the real pipeline: FerretDB v1.24's PostgreSQL backend holds
 * one pool connection per statement of an `update` command that matches a document, until the
 * command ends, so one bulk of 50 or more matched upserts against its default pool of 50 never
 * answers (issue 10). An update-heavy backlog is exactly that: every change is a guarded upsert
 * that matches the stored, older document. The answer chosen (workers/src/mongo/writer.ts: at
 * most 8 statements per command and 8 commands in flight per process; the data plane's FerretDB
 * pool of 200) must carry such a backlog, in the worker's deployed batches of 1,000, to the
 * store in bounded time and equal to PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually } from "./support/dataplane";
import { converged } from "./support/equality";
import { DEMO_CAPTURES, Pipeline } from "./support/pipeline";
import { metricValue } from "./support/worker-process";

const ROWS = 3_000;
const p = new Pipeline(
  DEMO_CAPTURES.filter((c) => c.table === "public.orders"),
  // The batch as the stack deploys it: up to 1,000 changes, so ~330 matched upserts per partition.
  { maxRecords: 1000, maxWaitMs: 50 },
);

describe("an update-heavy backlog on FerretDB's PostgreSQL backend", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start(async (pool) => {
      await pool.query(
        `INSERT INTO public.orders (order_id, customer_id, status, total, items, created_at)
         SELECT g, g % 100, 'new', g / 100.0, '[]'::jsonb, now() FROM generate_series(1, ${ROWS}) g`,
      );
    });
  });

  after(async () => {
    await p.teardown();
  });

  it("applies thousands of updates that all match stored documents, in batches of 1,000, without hanging the store", async () => {
    const first = await p.startWorker();
    await converged(p, 180_000);
    assert.equal(await first.stop("SIGTERM"), 0);

    // While the worker is down, every row is updated twice: the backlog it replays on restart
    // is 2 x ROWS updates, each a guarded upsert matching the older document in the store.
    await p.pool.query(`UPDATE public.orders SET status = 'paid', total = total + 1`);
    await p.pool.query(`UPDATE public.orders SET status = 'shipped', updated_at = now()`);

    const t0 = Date.now();
    const replay = await p.startWorker();
    // A deadlocked command never answers: the bound is generous for 2 cores, far from "never".
    await eventually("the update backlog applied", async () => ((await p.caughtUp()) ? true : undefined), 150_000, 250);
    const seconds = (Date.now() - t0) / 1000;
    const metrics = await replay.metrics();
    assert.ok(metricValue(metrics, "coexist_sync_events_applied_total") >= ROWS, "the updates were applied, not skipped");
    assert.equal(await p.db.collection("orders").countDocuments({ status: "shipped" }), ROWS, `every document carries the last update (after ${seconds} s)`);
    await converged(p);
  });
});
