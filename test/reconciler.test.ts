/**
 * The reconciler against the real pipeline: it finds a missing, an extra
 * and a changed document injected into MongoDB while CDC keeps flowing,
 * repairs them with --repair, and a second run finds nothing.
 */
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { converged } from "./support/equality";
import { Pipeline, STORE_ENV } from "./support/pipeline";
import { WorkerProcess } from "./support/worker-process";

const p = new Pipeline();

interface Report {
  repair: boolean;
  tables: Array<{ table: string; rows: number; missing: number; extra: number; different: number; repaired: { missing: number; extra: number; different: number }; samples: { missing: string[]; extra: string[]; different: string[] } }>;
}

async function reconcile(...args: string[]): Promise<{ report: Report; metrics: string }> {
  const metricsFile = join(tmpdir(), `coexist-it-${p.id}-reconcile.prom`);
  const run = WorkerProcess.spawn(
    "workers/src/reconciler/main.ts",
    ["--metrics-file", metricsFile, ...args],
    { COEXIST_CONFIG: JSON.stringify(p.workerConfig), MONGODB_URL: p.env.MONGODB_URL, POSTGRES_URL: p.env.POSTGRES_URL, ...STORE_ENV },
    join(tmpdir(), `coexist-it-${p.id}-reconciler.log`),
  );
  const code = await run.exited;
  assert.equal(code, 0, `reconciler failed: ${run.tail()}`);
  const { readFileSync } = await import("node:fs");
  return { report: JSON.parse(run.stdout.join("")) as Report, metrics: readFileSync(metricsFile, "utf8") };
}

const orders = (r: Report) => r.tables.find((t) => t.table === "public.orders");

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
    assert.deepEqual(found?.repaired, { missing: 0, extra: 0, different: 0 }, "without --repair nothing is written");
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
});
