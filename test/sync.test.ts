/**
 * The real pipeline on the local data plane: PostgreSQL → Debezium → Kafka →
 * sync worker → FerretDB. Snapshot and streamed inserts, updates and deletes
 * on the three demo tables end with MongoDB equal to PostgreSQL row by row,
 * and a replay from the earliest offsets changes nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually, kafkaCli } from "./support/dataplane";
import { converged, snapshotCollections } from "./support/equality";
import { Pipeline } from "./support/pipeline";
import { metricValue } from "./support/worker-process";

const p = new Pipeline();

describe("sync worker on the real pipeline", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start(async (pool) => {
      // Snapshot rows (op "r"): edge values of each type.
      await pool.query(`INSERT INTO public.customers (customer_id, name, email, address_line1, address_line2, city, state, zip_code, country, created_at) VALUES
        (1, 'Zoë Dubois-Éluard', 'zoe@example.fr', '12 rue de l''Église', NULL, 'Saint-Étienne', NULL, '42000', 'FR', '2024-02-29 23:59:59.999999+05:30'),
        (2, '山田 太郎', NULL, '1-2-3 Shibuya', 'Apt 4', '東京', 'Tokyo', '150-0002', 'JP', '1999-12-31 23:59:59+00'),
        (3, 'Bob', 'bob@example.com', NULL, NULL, NULL, NULL, NULL, NULL, now())`);
      await pool.query(`INSERT INTO public.products (product_id, sku, name, price, attributes) VALUES
        (1, 'SKU-1', 'Thé vert 🍵', 9999999999.99, '{"color": "vert", "tags": ["bio", "équitable"], "dims": {"w": 1.5, "h": null}}'),
        (2, 'SKU-2', 'Nothing', NULL, NULL)`);
      await pool.query(`INSERT INTO public.orders (order_id, customer_id, status, total, items, notes, created_at, updated_at) VALUES
        (1, 1, 'payée', 9999999999999999.999999999999999999, '[{"sku": "SKU-1", "qty": 2}]', 'première commande', '2024-11-23 10:15:30.123456+01', NULL),
        (2, 2, 'pending', -0.000000000000000001, '[]', NULL, '1970-01-01 00:00:00+00', '2024-01-01 00:00:00+00'),
        (3, 3, 'pending', 0, NULL, NULL, now(), NULL),
        (4, NULL, 'draft', NULL, NULL, NULL, now(), NULL)`);
    });
  });

  after(async () => {
    await p.teardown();
  });

  it("carries the snapshot into MongoDB with the transforms applied, equal row by row", async () => {
    await p.startWorker();
    await converged(p);
    const order = await p.db.collection("orders").findOne({ _id: 1 as never });
    assert.ok(order);
    // FerretDB v1 stores NUMERIC as exact text (COEXIST_MONGODB_COMPAT=ferretdb-v1); MongoDB gets Decimal128.
    assert.equal(order.total, "9999999999999999.999999999999999999");
    assert.equal(order.customer_id, "1");
    assert.deepEqual(order.items, [{ sku: "SKU-1", qty: 2 }]);
    assert.deepEqual(order.created_at, new Date("2024-11-23T09:15:30.123Z"));
    assert.equal(order._source, "postgresql:public.orders");
    assert.equal(typeof order._lsn, "number");
    assert.ok(order._synced_at instanceof Date);
    assert.equal((await p.db.collection("orders").findOne({ _id: 2 as never }))?.total, "-0.000000000000000001");
    const customer = await p.db.collection("customers").findOne({ _id: 1 as never });
    assert.deepEqual(customer?.address, { line1: "12 rue de l'Église", line2: null, city: "Saint-Étienne", state: null, zip: "42000", country: "FR" });
    assert.equal(customer?.address_line1, undefined);
    assert.deepEqual(customer?.created_at, new Date("2024-02-29T18:29:59.999Z"));
    const product = await p.db.collection("products").findOne({ _id: 1 as never });
    assert.deepEqual(product?.attributes, { color: "vert", tags: ["bio", "équitable"], dims: { w: 1.5, h: null } });
  });

  it("streams inserts, updates and deletes, including several changes of one row in one transaction", async () => {
    const pool = p.pool;
    await pool.query(`INSERT INTO public.orders (order_id, customer_id, status, total, items, created_at)
      SELECT g, g % 7, 'new', g * 1.000000000000000001, jsonb_build_array(jsonb_build_object('sku', 'SKU-' || g, 'qty', g % 5)), now()
      FROM generate_series(100, 399) g`);
    await pool.query("UPDATE public.orders SET status = 'shipped', updated_at = now(), total = total * 2 WHERE order_id BETWEEN 100 AND 199");
    await pool.query("DELETE FROM public.orders WHERE order_id BETWEEN 300 AND 349");
    await pool.query("UPDATE public.customers SET city = 'Lyon', address_line2 = 'Bât. B' WHERE customer_id = 1");
    await pool.query("UPDATE public.products SET attributes = attributes || '{\"color\": \"rouge\"}', price = 0.01 WHERE product_id = 1");
    await pool.query("DELETE FROM public.customers WHERE customer_id = 3");
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("UPDATE public.orders SET status = 'step-1' WHERE order_id = 3");
      await client.query("UPDATE public.orders SET status = 'step-2', notes = 'ünïcödé ✓' WHERE order_id = 3");
      await client.query("DELETE FROM public.orders WHERE order_id = 4");
      await client.query("INSERT INTO public.orders (order_id, status, created_at) VALUES (4, 'reborn', now())");
      await client.query("COMMIT");
    } finally {
      client.release();
    }
    await converged(p);
    const deleted = await p.db.collection("orders").findOne({ _id: 300 as never });
    assert.equal(deleted?._deleted, true, "a deleted row leaves a soft tombstone");
    assert.equal(deleted?.status, undefined, "the tombstone keeps no row content");
    assert.equal((await p.db.collection("orders").findOne({ _id: 3 as never }))?.status, "step-2");
    assert.equal((await p.db.collection("orders").findOne({ _id: 4 as never }))?.status, "reborn");
    assert.equal((await p.db.collection("customers").findOne({ _id: 1 as never }))?.address?.city, "Lyon");
  });

  it("changes nothing when the consumer group is reset to the earliest offsets and everything is replayed", async () => {
    await eventually("worker caught up", async () => ((await p.caughtUp()) ? true : undefined));
    const [worker] = p.workers;
    assert.equal(await worker?.stop("SIGTERM"), 0, "SIGTERM ends the worker with exit code 0");
    const before = await snapshotCollections(p);

    await kafkaCli("kafka-consumer-groups", ["--group", p.groupId, "--reset-offsets", "--to-earliest", "--all-topics", "--execute"]);
    assert.equal(await p.caughtUp(), false, "the reset moved the group back");
    const replay = await p.startWorker();
    await eventually("replay finished", async () => ((await p.caughtUp()) ? true : undefined));

    const metrics = await replay.metrics();
    assert.ok(metricValue(metrics, "coexist_sync_events_stale_total") > 0, "the replayed events were seen and skipped as stale");
    assert.equal(metricValue(metrics, "coexist_sync_events_applied_total"), 0, "no replayed event was applied");
    assert.deepEqual(await snapshotCollections(p), before, "every document, _synced_at included, is untouched");
    await converged(p);
  });
});
