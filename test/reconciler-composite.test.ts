/**
 * The reconciler on a table with a composite primary key (issue 14 §1.7), against the data
 * plane's PostgreSQL and FerretDB: documents keyed by `_id: {tenant_id, order_id}` (the worker's
 * shape, change.ts), keyset pages that cut through a tenant, missing, different and extra
 * documents found and repaired.
 *
 * Not tested here, because FerretDB v1 differs from MongoDB: a document whose `_id` holds a row's
 * key values in another field order is another `_id` for MongoDB (and for FerretDB's queries), but
 * FerretDB's unique index on `_id` takes it for the same one (E11000 on insert). The worker and the
 * reconciler both write the configured order, so only a foreign document can have the other one;
 * workers/src/reconciler/keys.test.ts checks that such an `_id` names no row.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { decodeOptionsFor } from "../workers/src/mongo/compat.js";
import { reconcileTable, type TableReport } from "../workers/src/reconciler/reconcile.js";
import type { Capture } from "../workers/src/runtime/config.js";
import type { Logger } from "../workers/src/runtime/log.js";
import type { Db, MongoClient, pg } from "../workers/src/testing/deps.js";
import { loadDataplaneEnv, newMongo, newPool, type DataplaneEnv } from "./support/dataplane";
import { STORE_ENV } from "./support/pipeline";

const id = randomBytes(4).toString("hex");
const schema = `it${id}`;
const capture: Capture = { table: `${schema}.orders`, topic: "unused", collection: `${schema}_orders`, key: "tenant_id,order_id", transform: "identity" };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const TENANTS = ["t1", "t2", "t3"];
const ORDERS_PER_TENANT = 5;

let env: DataplaneEnv;
let pool: InstanceType<typeof pg.Pool>;
let mongo: InstanceType<typeof MongoClient>;
let db: Db;

const run = (repair: boolean): Promise<TableReport> =>
  // Pages of 4 rows: page boundaries fall inside a tenant, so the keyset cursor must compare the whole key.
  reconcileTable({ pool, db, batchSize: 4, repair, decode: decodeOptionsFor(STORE_ENV.COEXIST_MONGODB_COMPAT), log: quiet, generation: 0 }, capture);

const counts = (r: TableReport) => ({ rows: r.rows, missing: r.missing, different: r.different, extra: r.extra, ahead: r.ahead, unrepresentable: r.unrepresentable });

describe("the reconciler with a composite key", { timeout: 120_000 }, () => {
  before(async () => {
    env = loadDataplaneEnv();
    pool = newPool(env);
    mongo = await newMongo(env);
    db = mongo.db(`coexist_it_${id}`);
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${schema}.orders (order_id bigint NOT NULL, tenant_id text NOT NULL, status text, PRIMARY KEY (tenant_id, order_id))`);
    const docs = [];
    for (const tenant_id of TENANTS) {
      for (let order_id = 1; order_id <= ORDERS_PER_TENANT; order_id++) {
        if (tenant_id === "t2" && order_id === 3) {
          await pool.query(`INSERT INTO ${schema}.orders VALUES ($1, $2, 'new')`, [order_id, tenant_id]);
          continue; // missing from the read model
        }
        await pool.query(`INSERT INTO ${schema}.orders VALUES ($1, $2, 'new')`, [order_id, tenant_id]);
        const status = tenant_id === "t1" && order_id === 2 ? "tampered" : "new";
        // As the worker writes it: _id in the configured order, the row's columns, sync metadata.
        docs.push({ _id: { tenant_id, order_id }, order_id, tenant_id, status, _v: "0000000000000000000001", _lsn: 1, _source: `postgresql:${capture.table}`, _synced_at: new Date() });
      }
    }
    docs.push({ _id: { tenant_id: "t9", order_id: 1 }, order_id: 1, tenant_id: "t9", status: "ghost", _v: "0000000000000000000001", _lsn: 1, _source: `postgresql:${capture.table}`, _synced_at: new Date() });
    await db.collection(capture.collection).insertMany(docs as never[]);
  });

  after(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db?.dropDatabase().catch(() => undefined);
    await Promise.allSettled([pool?.end(), mongo?.close()]);
  });

  it("finds the missing, different and extra documents by the whole key", async () => {
    const r = await run(false);
    assert.equal(r.error, undefined);
    assert.deepEqual(counts(r), { rows: 15, missing: 1, different: 1, extra: 1, ahead: 0, unrepresentable: 0 });
    assert.deepEqual(r.samples.missing, ["tenant_id=t2,order_id=3"]);
    assert.deepEqual(r.samples.different, ["tenant_id=t1,order_id=2"]);
    assert.deepEqual(r.samples.extra, ["tenant_id=t9,order_id=1"]);
  });

  it("repairs them on FerretDB, then finds nothing", async () => {
    const r = await run(true);
    assert.deepEqual(r.repaired, { missing: 1, different: 1, extra: 1, ahead: 0 });
    assert.equal(r.repairRejected, 0);
    const col = db.collection(capture.collection);
    const inserted = await col.findOne({ _id: { tenant_id: "t2", order_id: 3 } } as never);
    assert.ok(inserted, "the missing document was written");
    assert.deepEqual(Object.keys(inserted._id as object), ["tenant_id", "order_id"], "its _id in the configured order");
    assert.equal((await col.findOne({ _id: { tenant_id: "t1", order_id: 2 } } as never))?.status, "new");
    assert.equal((await col.findOne({ _id: { tenant_id: "t9", order_id: 1 } } as never))?._deleted, true);
    assert.equal((await col.countDocuments({ _deleted: { $ne: true } })), 15);
    assert.deepEqual(counts(await run(false)), { rows: 15, missing: 0, different: 0, extra: 0, ahead: 0, unrepresentable: 0 });
  });
});
