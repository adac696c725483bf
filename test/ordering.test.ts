/**
 * Ordering across the snapshot and across source epochs, on the real pipeline:
 * - a transaction that starts before the connector's snapshot and commits after it streams
 *   with a change LSN below the snapshot's; its value must still win (issue 8, point 1);
 * - documents written from an older source epoch at a high LSN must lose to the new epoch's
 *   lower LSNs, and a document frozen at an LSN the source never reached must be healed by the
 *   reconciler so that later changes apply again (point 2).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeVersion, STREAM, version } from "../workers/src/sync/version.js";
import type { pg } from "../workers/src/testing/deps.js";
import { eventually } from "./support/dataplane";
import { converged } from "./support/equality";
import { Pipeline } from "./support/pipeline";
import { reconcile, tableReport } from "./support/reconciler";

const EPOCH = 1;
const p = new Pipeline(undefined, undefined, undefined, { epoch: EPOCH });
const HIGH_LSN = 2 ** 40;
let spanning: pg.PoolClient;

const order = (id: number) => p.db.collection("orders").findOne({ _id: id as never });

/** A document as a worker for an older source (or one whose LSNs restarted) would have left it. */
async function plant(id: number, status: string, epoch: number): Promise<void> {
  await p.db.collection("orders").replaceOne(
    { _id: id as never },
    { status, _v: encodeVersion(version(epoch, STREAM, HIGH_LSN)), _lsn: HIGH_LSN, _source: "postgresql:public.orders", _synced_at: new Date() },
    { upsert: true },
  );
}

describe("ordering across the snapshot and across source epochs", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start(
      async (pool) => {
        await pool.query(`INSERT INTO public.orders (order_id, customer_id, status, total, created_at)
          SELECT g, g, 'seeded', g, now() FROM generate_series(1, 4) g`);
      },
      {
        beforeConnector: async () => {
          // Begins (and writes) before the connector exists, so before its snapshot.
          spanning = await p.pool.connect();
          await spanning.query("BEGIN");
          await spanning.query("UPDATE public.orders SET status = 'committed after the snapshot' WHERE order_id = 1");
          // Order 2 as the read model of the previous server left it: epoch 0, a high LSN.
          await plant(2, "from the old server", 0);
        },
      },
    );
  });

  after(async () => {
    await spanning?.query("ROLLBACK").catch(() => undefined);
    spanning?.release();
    await p.teardown();
  });

  it("applies a transaction that began before the snapshot and committed after it", async () => {
    await p.startWorker();
    // The snapshot ran without the open transaction's change.
    await eventually("snapshot applied", async () => ((await order(1))?.status === "seeded" && (await order(4)) ? true : undefined));
    await spanning.query("COMMIT");
    await eventually("the committed value in MongoDB", async () => ((await order(1))?.status === "committed after the snapshot" ? true : undefined), 60_000).catch(
      async (e: Error) => {
        throw new Error(`${e.message}; order 1 is ${JSON.stringify(await order(1))}`);
      },
    );
  });

  it("lets the new epoch's snapshot and changes overwrite a document written at a higher LSN from the old epoch", async () => {
    await eventually("order 2 from the new source", async () => ((await order(2))?.status === "seeded" ? true : undefined), 60_000).catch(async (e: Error) => {
      throw new Error(`${e.message}; order 2 is ${JSON.stringify(await order(2))}`);
    });
    await p.pool.query("UPDATE public.orders SET status = 'updated on the new server' WHERE order_id = 2");
    await eventually("the update", async () => ((await order(2))?.status === "updated on the new server" ? true : undefined));
  });

  it("heals documents frozen at an LSN the source never reached, so later changes apply again", async () => {
    await converged(p);
    // Same epoch, LSN far ahead of the server: an LSN reset without a generation bump.
    await plant(3, "frozen and wrong", EPOCH);
    const right = await order(4);
    await p.db.collection("orders").updateOne({ _id: 4 as never }, { $set: { _v: encodeVersion(version(EPOCH, STREAM, HIGH_LSN)) } });
    assert.equal((await order(4))?.status, right?.status, "order 4 is frozen but its content is right");

    const { report } = await reconcile(p, "--repair");
    const t = tableReport(report);
    assert.deepEqual([t?.different, t?.ahead], [1, 1], JSON.stringify(t));
    assert.deepEqual([t?.repaired.different, t?.repaired.ahead], [1, 1]);

    await p.pool.query("UPDATE public.orders SET status = 'changed after the repair' WHERE order_id IN (3, 4)");
    await eventually("changes after the repair applied", async () => ((await order(3))?.status === "changed after the repair" && (await order(4))?.status === "changed after the repair" ? true : undefined), 60_000).catch(
      async (e: Error) => {
        throw new Error(`${e.message}; orders 3, 4: ${JSON.stringify([await order(3), await order(4)])}`);
      },
    );
    await converged(p);
  });
});
