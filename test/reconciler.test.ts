/**
 * The reconciler against the real pipeline: it finds a missing, an extra
 * and a changed document injected into MongoDB while CDC keeps flowing,
 * repairs them with --repair, and a second run finds nothing.
 */
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeOptionsFor } from "../workers/src/mongo/compat.js";
import { reconcileTable } from "../workers/src/reconciler/reconcile.js";
import type { Logger } from "../workers/src/runtime/log.js";
import { pg } from "../workers/src/testing/deps.js";
import { eventually, freePort } from "./support/dataplane";
import { converged } from "./support/equality";
import { Pipeline, STORE_ENV } from "./support/pipeline";
import { reconcile as run, tableReport } from "./support/reconciler";
import { metricValue, WorkerProcess } from "./support/worker-process";

const p = new Pipeline();
const reconcile = (...args: string[]) => run(p, ...args);
const orders = tableReport;

describe("reconciler", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start(async (pool) => {
      await pool.query(`INSERT INTO public.orders (order_id, customer_id, status, total, items, created_at)
        SELECT g, g, 'new', g / 7.0, jsonb_build_array(jsonb_build_object('n', g)), now() - g * interval '1 minute' FROM generate_series(1, 300) g`);
      await pool.query("INSERT INTO public.customers (customer_id, name, city) SELECT g, 'c' || g, 'Nantes' FROM generate_series(1, 50) g");
      await pool.query("INSERT INTO public.products (product_id, sku, name, price, attributes) SELECT g, 'S' || g, 'p' || g, g, '{}' FROM generate_series(1, 20) g");
    });
    await p.startWorker();
    await converged(p);
  });

  after(async () => {
    await p.teardown();
  });

  it("reports nothing when MongoDB matches PostgreSQL", async () => {
    const { report } = await reconcile();
    for (const t of report.tables) assert.deepEqual([t.table, t.missing, t.extra, t.different], [t.table, 0, 0, 0]);
    assert.equal(orders(report)?.rows, 300);
  });

  it("finds an injected missing, extra and changed document, repairs them while CDC flows, then finds nothing", async () => {
    const col = p.db.collection("orders");
    await col.deleteOne({ _id: 10 as never });
    await col.insertOne({ _id: 9999 as never, status: "ghost", _lsn: 1, _source: "postgresql:public.orders", _synced_at: new Date() });
    await col.updateOne({ _id: 20 as never }, { $set: { status: "tampered" } });

    const found = orders((await reconcile()).report);
    assert.deepEqual([found?.missing, found?.extra, found?.different], [1, 1, 1]);
    assert.deepEqual([found?.samples.missing, found?.samples.extra, found?.samples.different], [["10"], ["9999"], ["20"]]);
    assert.deepEqual(found?.repaired, { missing: 0, extra: 0, different: 0, ahead: 0 }, "without --repair nothing is written");
    assert.equal((await col.findOne({ _id: 20 as never }))?.status, "tampered");

    // CDC keeps flowing during the repair run; a repair must never win over these newer writes.
    const writes = p.pool.query("UPDATE public.orders SET status = 'concurrent', updated_at = now() WHERE order_id BETWEEN 100 AND 200");
    const { report, metrics } = await reconcile("--repair");
    await writes;
    const repaired = orders(report);
    assert.deepEqual([repaired?.repaired.missing, repaired?.repaired.extra], [1, 1]);
    // Rows updated by the concurrent statement but not yet applied by the worker may also count as
    // different (CDC lag); repairing them is harmless because the later CDC event carries a newer LSN.
    assert.ok((repaired?.repaired.different ?? 0) >= 1);
    assert.equal(repaired?.samples.different[0], "20");
    assert.match(metrics, /coexist_reconcile_repaired_documents\{table="public.orders",collection="orders",kind="missing"\} 1/);

    await converged(p);
    assert.equal((await col.findOne({ _id: 9999 as never }))?._deleted, true, "the extra document is soft-deleted");
    assert.equal((await col.findOne({ _id: 20 as never }))?.status, "new");
    assert.equal((await col.findOne({ _id: 150 as never }))?.status, "concurrent", "no repair overwrote a newer CDC write");
    const clean = orders((await reconcile()).report);
    assert.deepEqual([clean?.missing, clean?.extra, clean?.different], [0, 0, 0]);
  });

  it("holds no transaction open across pages: each page of rows is read in its own short snapshot", async () => {
    const app = `coexist-reconcile-probe-${p.id}`;
    const pool = new pg.Pool({ connectionString: p.env.POSTGRES_URL, max: 2, application_name: app });
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const capture = p.workerConfig.captures.find((c) => c.table === "public.orders");
    assert.ok(capture);
    let longest = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        const r = await p.pool.query("SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float AS s FROM pg_stat_activity WHERE application_name = $1", [app]);
        longest = Math.max(longest, Number(r.rows[0].s));
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    const t0 = Date.now();
    try {
      const report = await reconcileTable({ pool, db: p.db, batchSize: 10, repair: false, decode: decodeOptionsFor(STORE_ENV.COEXIST_MONGODB_COMPAT), log: quiet, generation: 0 }, capture);
      assert.equal(report.rows, 300);
    } finally {
      done = true;
      await watch;
      await pool.end();
    }
    const runSeconds = (Date.now() - t0) / 1000;
    assert.ok(runSeconds > 1, `the scan must last long enough to tell (${runSeconds}s)`);
    assert.ok(longest < runSeconds / 4, `the longest transaction lasted ${longest.toFixed(3)}s of a ${runSeconds.toFixed(3)}s scan`);
  });

  it("serves its metrics on metrics.port while it runs on a schedule", async () => {
    const port = await freePort();
    const config = { ...p.workerConfig, metrics: { port } };
    const scheduled = WorkerProcess.spawn(
      "workers/src/reconciler/main.ts",
      ["--schedule", "0 0 1 1 *", "--run-at-start"],
      { COEXIST_CONFIG: JSON.stringify(config), MONGODB_URL: p.env.MONGODB_URL, POSTGRES_URL: p.env.POSTGRES_URL, COEXIST_METRICS_HOST: "127.0.0.1", ...STORE_ENV },
      join(tmpdir(), `coexist-it-${p.id}-reconciler-scheduled.log`),
    );
    try {
      const text = await eventually(
        "the first run's gauges on /metrics",
        async () => {
          if (scheduled.exitCode !== null) throw new Error(`reconciler exited ${scheduled.exitCode}: ${scheduled.tail()}`);
          const body = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
          return metricValue(body, "coexist_reconcile_last_run_timestamp_seconds") > 0 && metricValue(body, "coexist_reconcile_running") === 0 ? body : undefined;
        },
        60_000,
      );
      assert.equal(metricValue(text, "coexist_reconcile_rows", { table: "public.orders" }), 300);
      assert.equal(metricValue(text, "coexist_reconcile_divergent_documents", { table: "public.orders", kind: "missing" }), 0);
      assert.ok(metricValue(text, "coexist_reconcile_process_resident_memory_bytes") > 0, "process metrics too");
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    } finally {
      assert.equal(await scheduled.stop("SIGTERM"), 0);
    }
  });
});
