/**
 * Slot health on the real data plane: the slot exporter (workers/src/slot) reads the stack's
 * replication slot as a role with LOGIN and nothing else, and its figures move the way an
 * operator needs them to. What pins WAL is the connector not consuming the slot; the sync
 * worker is downstream of Kafka and cannot.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectRequest, eventually, freePort } from "./support/dataplane";
import { Pipeline } from "./support/pipeline";
import { metricValue, WorkerProcess } from "./support/worker-process";

const p = new Pipeline();
const reader = `coexist_slot_reader_${p.id}`;
const readerPassword = randomBytes(12).toString("hex");
let exporter: WorkerProcess | undefined;
let nextOrderId = 1;

async function scrape(): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${exporter!.metricsPort}/metrics`);
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.equal(metricValue(text, "coexist_slot_up"), 1, `the exporter queries PostgreSQL: ${exporter!.tail()}`);
  return text;
}

const retained = async () => metricValue(await scrape(), "coexist_slot_retained_wal_bytes", { slot: p.slot });

/** Inserts `rows` orders (about 400 bytes of WAL each) and returns the WAL bytes written meanwhile. */
async function writeOrders(rows: number): Promise<number> {
  const before = await p.pool.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
  const first = nextOrderId;
  nextOrderId += rows;
  await p.pool.query(
    "INSERT INTO public.orders (order_id, status, total, notes, created_at) SELECT g, 'pending', g, repeat(md5(g::text), 8), now() FROM generate_series($1::bigint, $2::bigint) g",
    [first, nextOrderId - 1],
  );
  const written = await p.pool.query<{ bytes: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint::text AS bytes", [before.rows[0]!.lsn]);
  return Number(written.rows[0]!.bytes);
}

async function connectorState(): Promise<string> {
  const s = (await connectRequest(p.env, "GET", `/connectors/${p.connector}/status`)).json as { connector: { state: string }; tasks: { state: string }[] };
  return [s.connector.state, ...s.tasks.map((t) => t.state)].join("/");
}

const MiB = 1024 * 1024;

describe("slot health on the real data plane", { timeout: 600_000 }, () => {
  before(async () => {
    await p.start();
    await p.pool.query(`CREATE ROLE ${reader} LOGIN PASSWORD '${readerPassword}'`);
    const url = new URL(p.env.POSTGRES_URL);
    url.username = reader;
    url.password = readerPassword;
    const port = await freePort();
    exporter = WorkerProcess.spawn(
      "workers/src/slot/main.ts",
      [],
      { POSTGRES_URL: url.toString(), COEXIST_SLOTS: p.slot, COEXIST_METRICS_PORT: String(port), COEXIST_METRICS_HOST: "127.0.0.1", COEXIST_SLOT_QUERY_TIMEOUT_MS: "5000" },
      join(tmpdir(), `coexist-it-${p.id}-slot-exporter.log`),
    );
    exporter.metricsPort = port;
    await eventually("slot exporter ready", async () => {
      if (exporter!.exitCode !== null) throw new Error(`exporter exited ${exporter!.exitCode}: ${exporter!.tail()}`);
      return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined;
    }, 30_000);
  });

  after(async () => {
    await exporter?.stop("SIGTERM");
    await p.pool.query(`DROP ROLE IF EXISTS ${reader}`).catch(() => undefined);
    await connectRequest(p.env, "PUT", `/connectors/${p.connector}/resume`).catch(() => undefined);
    await p.teardown();
  });

  it("reads the slot as a role with LOGIN and no other privilege, membership or grant", async () => {
    const role = (await p.pool.query(
      "SELECT rolsuper, rolreplication, rolcreaterole, rolcreatedb, rolbypassrls, (SELECT count(*)::int FROM pg_auth_members m WHERE m.member = r.oid) AS memberships FROM pg_roles r WHERE rolname = $1",
      [reader],
    )).rows[0];
    assert.deepEqual(role, { rolsuper: false, rolreplication: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, memberships: 0 });
    // It cannot read application data: least privilege, not just any role.
    const { pg } = await import("../workers/src/testing/deps.js");
    const url = new URL(p.env.POSTGRES_URL);
    url.username = reader;
    url.password = readerPassword;
    const asReader = new pg.Client({ connectionString: url.toString() });
    await asReader.connect();
    try {
      await assert.rejects(asReader.query("SELECT * FROM public.orders LIMIT 1"), /permission denied for table orders/);
    } finally {
      await asReader.end();
    }

    const text = await scrape();
    const keep = (await p.pool.query<{ b: string }>("SELECT pg_size_bytes(current_setting('max_slot_wal_keep_size'))::text AS b")).rows[0]!.b;
    assert.equal(metricValue(text, "coexist_slot_max_wal_keep_size_bytes"), Number(keep));
    assert.equal(metricValue(text, "coexist_slot_exists", { slot: p.slot }), 1);
    assert.equal(metricValue(text, "coexist_slot_active", { slot: p.slot }), 1, "the connector's task holds the slot");
    assert.equal(metricValue(text, "coexist_slot_wal_status", { slot: p.slot, status: "reserved" }), 1);
    assert.ok(metricValue(text, "coexist_slot_safe_wal_size_bytes", { slot: p.slot }) > 0);
  });

  it("retains nothing while only the sync worker is down: the running connector keeps consuming the slot", async (t) => {
    assert.equal(p.workers.length, 0, "no sync worker runs in this test");
    const written = await writeOrders(10_000);
    assert.ok(written > 2 * MiB, `wrote ${written} bytes of WAL`);
    const settled = await eventually("the slot to release what the connector consumed", async () => {
      const r = await retained();
      return r < written / 4 ? r : undefined;
    }, 120_000, 1_000);
    t.diagnostic(`worker down, connector running: wrote ${(written / MiB).toFixed(1)} MiB of WAL, slot retains ${settled} bytes`);
  });

  it("retains every byte written while the connector is paused, and releases it after the connector resumes", async (t) => {
    const put = await connectRequest(p.env, "PUT", `/connectors/${p.connector}/pause`);
    assert.equal(put.status, 202);
    await eventually("connector paused", async () => ((await connectorState()) === "PAUSED/PAUSED" ? true : undefined), 60_000);
    const r0 = await retained();
    const written = await writeOrders(20_000);
    const text = await scrape();
    const r1 = metricValue(text, "coexist_slot_retained_wal_bytes", { slot: p.slot });
    t.diagnostic(`paused: retained ${r0} → ${r1} bytes after writing ${(written / MiB).toFixed(1)} MiB; active=${metricValue(text, "coexist_slot_active", { slot: p.slot })}`);
    assert.ok(r1 >= r0 + written * 0.95, `retained grew by ${r1 - r0} bytes for ${written} written`);
    assert.ok(metricValue(text, "coexist_slot_confirmed_lag_bytes", { slot: p.slot }) >= written * 0.95, "nothing written since the pause is confirmed");
    // A paused task keeps its replication connection: the slot looks healthy by `active` alone,
    // which is why the alert is on retained bytes, not only on activity.
    assert.equal(metricValue(text, "coexist_slot_active", { slot: p.slot }), 1);

    assert.equal((await connectRequest(p.env, "PUT", `/connectors/${p.connector}/resume`)).status, 202);
    const released = await eventually("the slot to release the WAL after resuming", async () => {
      const r = await retained();
      return r < written / 4 ? r : undefined;
    }, 180_000, 1_000);
    t.diagnostic(`resumed: retained ${released} bytes`);
  });

  it("reports the slot inactive while the connector is stopped", async () => {
    assert.equal((await connectRequest(p.env, "PUT", `/connectors/${p.connector}/stop`)).status, 204);
    await eventually("slot inactive in the metrics", async () => (metricValue(await scrape(), "coexist_slot_active", { slot: p.slot }) === 0 ? true : undefined), 60_000, 500);
    assert.equal((await connectRequest(p.env, "PUT", `/connectors/${p.connector}/resume`)).status, 202);
    await eventually("slot active again", async () => (metricValue(await scrape(), "coexist_slot_active", { slot: p.slot }) === 1 ? true : undefined), 60_000, 500);
  });
});
