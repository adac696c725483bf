/**
 * Where the reconciler's `unrepresentable=441` of a local demo run came from (issue 14, "Noticed").
 *
 * The demo writer's rows, written for real into a copy of the demo schema (every column type it
 * uses: bigint, text, numeric(12,2), numeric(38,18), jsonb, timestamptz), are all typed and
 * transformed by the reconciler: not one is counted unrepresentable. A row the demo writer wrote
 * before its fix of 2026-12-07 (7fa8509: orders.items as a JSON object) is, and rightly so: the
 * worker's `order` transform refuses it too (the worker dead-letters it, transform-error), so
 * the read model can never hold it. Rows like it, left in the data plane's public.orders by the
 * older demo writer, are what the count was: a count of real rows the pipeline cannot carry,
 * not a decoding bug.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { rng } from "../components/testing/seeded";
import { DemoWriter, parseSchema } from "../scripts/start.d/demo";
import { decodeOptionsFor } from "../workers/src/mongo/compat.js";
import { reconcileTable, type TableReport } from "../workers/src/reconciler/reconcile.js";
import type { Capture } from "../workers/src/runtime/config.js";
import type { Logger } from "../workers/src/runtime/log.js";
import { TransformError, transforms, type TransformName } from "../workers/src/transform/transforms.js";
import type { Db, MongoClient, pg } from "../workers/src/testing/deps.js";
import { loadDataplaneEnv, newMongo, newPool, ROOT } from "./support/dataplane";
import { STORE_ENV } from "./support/pipeline";

const SEED = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);
const id = randomBytes(4).toString("hex");
const schemaName = `it${id}`;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const TABLES: Array<{ table: string; key: string; transform: TransformName }> = [
  { table: "customers", key: "customer_id", transform: "customer" },
  { table: "products", key: "product_id", transform: "product" },
  { table: "orders", key: "order_id", transform: "order" },
];
const captures: Capture[] = TABLES.map((t) => ({ table: `${schemaName}.${t.table}`, topic: "unused", collection: `${schemaName}_${t.table}`, key: t.key, transform: t.transform }));

let pool: InstanceType<typeof pg.Pool>;
let mongo: InstanceType<typeof MongoClient>;
let db: Db;

const reconcile = (c: Capture): Promise<TableReport> =>
  reconcileTable({ pool, db, batchSize: 200, repair: false, decode: decodeOptionsFor(STORE_ENV.COEXIST_MONGODB_COMPAT), log: quiet, generation: 0 }, c);

describe(`the reconciler on the demo writer's rows (seed ${SEED})`, { timeout: 120_000 }, () => {
  before(async () => {
    const env = loadDataplaneEnv();
    pool = newPool(env);
    mongo = await newMongo(env);
    db = mongo.db(`coexist_it_${id}`);
    // The demo schema, every table in a schema of this test's own.
    const sql = readFileSync(join(ROOT, "components", "postgres", "demo-schema.sql"), "utf8")
      .replace("CREATE SCHEMA IF NOT EXISTS coexist;", `CREATE SCHEMA ${schemaName};`)
      .replaceAll("coexist.heartbeat", `${schemaName}.heartbeat`)
      .replaceAll("public.", `${schemaName}.`);
    await pool.query(sql);
    const writer = new DemoWriter(
      captures.map((c) => ({ table: c.table, key: c.key })),
      parseSchema(sql),
      rng(SEED),
    );
    for (let i = 0; i < 600; i++) {
      const s = writer.next();
      await pool.query(s.sql, s.params);
    }
  });

  after(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${schemaName} CASCADE`).catch(() => undefined);
    await db?.dropDatabase().catch(() => undefined);
    await Promise.allSettled([pool?.end(), mongo?.close()]);
  });

  it("types and transforms every row the demo writes: none is unrepresentable", async () => {
    let rows = 0;
    for (const c of captures) {
      const r = await reconcile(c);
      assert.equal(r.error, undefined, `${c.table}: ${r.error}`);
      assert.deepEqual([c.table, r.unrepresentable, r.samples.unrepresentable], [c.table, 0, []]);
      // Nothing was synced here: every row is missing, each one read and compared.
      assert.equal(r.missing, r.rows, c.table);
      rows += r.rows;
    }
    assert.ok(rows >= 60, `the demo wrote rows (${rows})`);
  });

  it("counts a row of the older demo writer (orders.items a JSON object) as unrepresentable, as the worker refuses it too", async () => {
    const orders = captures.find((c) => c.table.endsWith(".orders"))!;
    await pool.query(`INSERT INTO ${orders.table} (order_id, customer_id, total, items, updated_at) VALUES (1, 7, '12.50', '{"demo": true, "n": 3}', now())`);
    const r = await reconcile(orders);
    assert.deepEqual([r.unrepresentable, r.samples.unrepresentable], [1, ["1"]]);
    // The worker's transform of the same row: a TransformError, which the worker dead-letters (reason transform-error).
    assert.throws(() => transforms.order({ order_id: 1, items: '{"demo": true, "n": 3}' }), TransformError);
  });
});
