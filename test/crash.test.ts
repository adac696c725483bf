/**
 * At-least-once plus the LSN guard: a worker killed with SIGKILL in the
 * middle of a stream of changes (offsets of in-flight batches uncommitted)
 * and then restarted ends with exactly PostgreSQL's state.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { eventually } from "./support/dataplane";
import { converged } from "./support/equality";
import { Pipeline } from "./support/pipeline";

const p = new Pipeline(undefined, { maxRecords: 20, maxWaitMs: 10 });
// Sized for FerretDB v1, whose cost per write grows with the collection (no _id pushdown for integers).
const TRANSACTIONS = 40;
const ROWS_PER_TRANSACTION = 10;

/** Inserts, then updates and deletes part of each chunk, one transaction per chunk. */
async function writeChanges(from: number, to: number): Promise<void> {
  for (let t = from; t < to; t++) {
    const first = t * ROWS_PER_TRANSACTION + 1;
    const last = first + ROWS_PER_TRANSACTION - 1;
    const client = await p.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO public.orders (order_id, customer_id, status, total, items, created_at)
         SELECT g, g % 100, 'new', g / 1000.0, jsonb_build_array(jsonb_build_object('line', g)), now() FROM generate_series($1::bigint, $2::bigint) g`,
        [first, last],
      );
      await client.query("UPDATE public.orders SET status = 'paid', updated_at = now() WHERE order_id BETWEEN $1 AND $2 AND order_id % 3 = 0", [first, last]);
      await client.query("DELETE FROM public.orders WHERE order_id BETWEEN $1 AND $2 AND order_id % 10 = 0", [first, last]);
      await client.query("COMMIT");
    } finally {
      client.release();
    }
  }
}

describe("a worker killed mid-stream", { timeout: 300_000 }, () => {
  before(async () => {
    await p.start();
  });

  after(async () => {
    await p.teardown();
  });

  it("loses no row: after SIGKILL and restart, MongoDB equals PostgreSQL", async () => {
    const first = await p.startWorker();
    const writing = writeChanges(0, TRANSACTIONS / 2);
    // Kill once part of the stream is applied and more is still coming.
    await eventually("some changes applied", async () => ((await p.db.collection("orders").countDocuments()) >= 60 ? true : undefined), 60_000, 20);
    assert.equal(await first.stop("SIGKILL"), null);
    assert.equal(first.signal, "SIGKILL");
    const appliedAtKill = await p.db.collection("orders").countDocuments();
    await writing;
    await writeChanges(TRANSACTIONS / 2, TRANSACTIONS);
    const total = TRANSACTIONS * ROWS_PER_TRANSACTION;
    assert.ok(appliedAtKill < total, `the kill happened mid-stream (${appliedAtKill} of ${total} documents applied)`);

    await p.startWorker();
    await converged(p, 120_000);
    const live = await p.db.collection("orders").countDocuments({ _deleted: { $ne: true } });
    const rows = Number((await p.pool.query("SELECT count(*) AS n FROM public.orders")).rows[0].n);
    assert.equal(live, rows);
    assert.equal(rows, total - total / 10);
  });
});
