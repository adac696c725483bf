/**
 * scripts/chaos (`npm run chaos`): the proof run. See scripts/chaos for what it does; this file
 * is the run itself. It prints one JSON document on stdout; progress goes to stderr.
 *
 * Figures (each target 0):
 * - missing: rows of PostgreSQL without a live document;
 * - extra: live documents whose key has no row and was never deleted by the load;
 * - different: live documents whose content differs from their row;
 * - resurrected: live documents whose key has no row because the load deleted it;
 * - changedByReplay: documents (tombstones included) whose content, version or deletion
 *   differs after the topics were replayed from the earliest offsets.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg, uptime } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { contentHash } from "../../workers/src/reconciler/hash.js";
import { idKey } from "../../workers/src/sync/compact.js";
import type { Document } from "../../workers/src/testing/deps.js";
import { eventually, kafkaCli, ROOT } from "../../test/support/dataplane";
import { expectedDocs } from "../../test/support/equality";
import { DEMO_CAPTURES, Pipeline } from "../../test/support/pipeline";
import type { WorkerProcess } from "../../test/support/worker-process";
import { rng } from "../../components/testing/seeded";

const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SECONDS = Number(process.env.CHAOS_SECONDS ?? 240);
const WORKER_KILLS = Number(process.env.CHAOS_WORKER_KILLS ?? 5);
const CONNECT_KILLS = Number(process.env.CHAOS_CONNECT_KILLS ?? 3);
const KEYS = Number(process.env.CHAOS_KEYS ?? 300);
const ORDERS = DEMO_CAPTURES.filter((c) => c.table === "public.orders");
const capture = ORDERS[0] as (typeof ORDERS)[number];

const log = (msg: string, fields: Record<string, unknown> = {}) => process.stderr.write(`[chaos ${new Date().toISOString()}] ${msg} ${JSON.stringify(fields)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const random = rng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const digits = (n: number) => Array.from({ length: n }, () => int(0, 9)).join("");

const p = new Pipeline(ORDERS, { maxRecords: 200, maxWaitMs: 50 });

// ---- the write load ----------------------------------------------------------------------------

const STATUSES = ["new", "payée", "expédiée ✓", "キャンセル", "pending", "📦 shipped"];
const NOTES = [null, null, "ünïcödé ✓", "東京 🍣 配達", "Zoë Dubois-Éluard", "a \"quoted\" note\nwith a newline", "emoji 🇫🇷👩‍💻"];

/** NUMERIC(38,18) within Decimal128's 34 significant digits: up to 16 integer digits. */
function total(): string | null {
  const r = random();
  if (r < 0.1) return null;
  if (r < 0.15) return "-0.000000000000000001";
  if (r < 0.2) return "9999999999999999.999999999999999999";
  return `${random() < 0.2 ? "-" : ""}${int(0, 9)}${digits(int(0, 15))}.${digits(18)}`;
}

function items(): string | null {
  if (random() < 0.1) return null;
  return JSON.stringify(Array.from({ length: int(0, 3) }, () => ({ sku: pick(["Thé-🍵", "café", "naïve", "SKU-1"]), qty: int(1, 9), price: int(1, 99999) / 100, tags: ["bio", "équitable"], meta: { ok: random() < 0.5, n: null } })));
}

/** timestamptz with microseconds and a non-UTC offset. */
function timestamp(): string {
  const d = new Date(Date.UTC(int(1999, 2030), int(0, 11), int(1, 28), int(0, 23), int(0, 59), int(0, 59)));
  return `${d.toISOString().slice(0, 19).replace("T", " ")}.${digits(6)}${pick(["+00", "+05:30", "-08", "+01"])}`;
}

const row = (id: number) => [id, random() < 0.15 ? null : int(1, 1000), pick(STATUSES), total(), items(), pick(NOTES), timestamp(), random() < 0.5 ? null : timestamp()];
const INSERT = `INSERT INTO public.orders (order_id, customer_id, status, total, items, notes, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (order_id) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status, total = EXCLUDED.total,
    items = EXCLUDED.items, notes = EXCLUDED.notes, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`;

const load = { transactions: 0, inserts: 0, updates: 0, deletes: 0, reinserts: 0, failed: 0 };
const deletedKeys = new Set<number>();

async function transaction(): Promise<void> {
  const client = await p.pool.connect();
  const k = int(1, KEYS);
  try {
    await client.query("BEGIN");
    const r = random();
    if (r < 0.35) {
      for (const id of [k, int(1, KEYS), int(1, KEYS)]) await client.query(INSERT, row(id));
      load.inserts += 3;
    } else if (r < 0.7) {
      // Several updates of one key in one transaction.
      await client.query(INSERT, row(k));
      await client.query("UPDATE public.orders SET status = $2, updated_at = now() WHERE order_id = $1", [k, pick(STATUSES)]);
      await client.query("UPDATE public.orders SET total = $2 WHERE order_id = $1", [k, total()]);
      await client.query("UPDATE public.orders SET items = $2, notes = $3 WHERE order_id = $1", [k, items(), pick(NOTES)]);
      load.updates += 3;
    } else if (r < 0.85) {
      await client.query("DELETE FROM public.orders WHERE order_id = $1", [k]);
      deletedKeys.add(k);
      load.deletes++;
    } else {
      // Delete and re-insert the same key in one transaction.
      await client.query("DELETE FROM public.orders WHERE order_id = $1", [k]);
      await client.query(INSERT, row(k));
      deletedKeys.add(k);
      load.reinserts++;
    }
    await client.query("COMMIT");
    load.transactions++;
  } catch (e) {
    load.failed++;
    await client.query("ROLLBACK").catch(() => undefined);
    log("load transaction failed", { error: (e as Error).message });
  } finally {
    client.release();
  }
}

// ---- chaos -------------------------------------------------------------------------------------

let main: WorkerProcess;
const chaos = { workerKills: 0, connectKills: 0, connectRestartSeconds: [] as number[], rebalance: { joinedAt: 0, leftAt: 0 }, workerRestarts: 0 };
const t0 = Date.now();
const at = () => Math.round((Date.now() - t0) / 100) / 10;

async function killWorker(): Promise<void> {
  const victim = main;
  await victim.stop("SIGKILL");
  chaos.workerKills++;
  log("kill -9 sync worker", { t: at(), pid: victim.child.pid });
  main = await p.startWorker();
  chaos.workerRestarts++;
}

const connectPidFile = join(process.env.COEXIST_DATAPLANE_DIR ?? join(ROOT, ".dataplane"), "run", "connect.pid");

async function killConnect(): Promise<void> {
  const pid = Number(readFileSync(connectPidFile, "utf8").trim());
  // Connect runs in its own process group (scripts/dataplane starts it with setsid).
  process.kill(-pid, "SIGKILL");
  chaos.connectKills++;
  log("kill -9 Kafka Connect", { t: at(), pid });
  const down = Date.now();
  await eventually("Connect JVM gone", async () => {
    try {
      process.kill(pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  // The restart `scripts/dataplane up` does: it is idempotent and starts only what is down.
  await promisify(execFile)(join(ROOT, "scripts", "dataplane"), ["up"], { maxBuffer: 16 * 1024 * 1024 });
  await p.connectorRunning(180_000);
  const seconds = Math.round((Date.now() - down) / 100) / 10;
  chaos.connectRestartSeconds.push(seconds);
  log("Kafka Connect back, connector RUNNING", { t: at(), seconds });
}

async function rebalance(): Promise<void> {
  chaos.rebalance.joinedAt = at();
  const second = await p.startWorker();
  log("second worker joined", { t: at() });
  await sleep(15_000);
  await second.stop("SIGTERM");
  chaos.rebalance.leftAt = at();
  log("second worker left", { t: at() });
}

/** Random times in [from, to) of the load window, at least `gap` seconds apart. */
function schedule(count: number, from: number, to: number, gap: number): number[] {
  for (;;) {
    const ts = Array.from({ length: count }, () => from + random() * (to - from)).sort((a, b) => a - b);
    if (ts.every((t, i) => i === 0 || t - (ts[i - 1] as number) >= gap)) return ts;
  }
}

// ---- comparison --------------------------------------------------------------------------------

interface Figures {
  rows: number;
  liveDocuments: number;
  missing: number;
  extra: number;
  different: number;
  resurrected: number;
  samples: Record<string, string[]>;
}

async function compare(): Promise<Figures> {
  const expected = await expectedDocs(p, capture);
  const all = await p.db.collection(capture.collection).find().toArray();
  const live = new Map(all.filter((d) => d._deleted !== true).map((d) => [idKey(d._id as never), d]));
  const f: Figures = { rows: expected.size, liveDocuments: live.size, missing: 0, extra: 0, different: 0, resurrected: 0, samples: { missing: [], extra: [], different: [], resurrected: [] } };
  const note = (kind: keyof Omit<Figures, "rows" | "liveDocuments" | "samples">, key: string) => {
    f[kind]++;
    if ((f.samples[kind] as string[]).length < 10) (f.samples[kind] as string[]).push(key);
  };
  for (const [k, doc] of expected) {
    const d = live.get(k);
    if (!d) note("missing", k);
    else if (contentHash(d) !== contentHash(doc)) note("different", k);
  }
  for (const [k, d] of live) if (!expected.has(k)) note(deletedKeys.has(Number(d._id)) ? "resurrected" : "extra", k);
  return f;
}

async function snapshot(): Promise<Map<string, Document>> {
  const docs = await p.db.collection(capture.collection).find().toArray();
  return new Map(docs.map((d) => [idKey(d._id as never), d]));
}

function replayChanges(before: Map<string, Document>, after: Map<string, Document>): { changed: number; rewritten: number; samples: string[] } {
  let changed = 0;
  let rewritten = 0;
  const samples: string[] = [];
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(k);
    const b = after.get(k);
    const same = a && b && contentHash(a) === contentHash(b) && a._v === b._v && a._deleted === b._deleted && a._partial === b._partial;
    if (!same) {
      changed++;
      if (samples.length < 10) samples.push(k);
    } else if (a._synced_at?.getTime() !== b._synced_at?.getTime()) rewritten++;
  }
  return { changed, rewritten, samples };
}

async function drain(): Promise<number> {
  const started = Date.now();
  const target = (await p.pool.query("SELECT pg_current_wal_lsn()::text AS lsn")).rows[0].lsn as string;
  await eventually(
    "Debezium past the last write",
    async () => {
      const r = await p.pool.query("SELECT pg_wal_lsn_diff(confirmed_flush_lsn, $2::pg_lsn) >= 0 AS done FROM pg_replication_slots WHERE slot_name = $1", [p.slot, target]);
      return r.rows[0]?.done ? true : undefined;
    },
    600_000,
    500,
  );
  await eventually("the worker group caught up", async () => ((await p.caughtUp()) ? true : undefined), 900_000, 500);
  return Math.round((Date.now() - started) / 100) / 10;
}

// ---- the run -----------------------------------------------------------------------------------

async function run(): Promise<Record<string, unknown>> {
  const machineBefore = { uptimeSeconds: Math.round(uptime()), loadavg: loadavg().map((x) => Math.round(x * 100) / 100) };
  log("starting", { seed: SEED, seconds: SECONDS, workerKills: WORKER_KILLS, connectKills: CONNECT_KILLS, keys: KEYS });
  await p.start(async (pool) => {
    // Rows present before the connector starts arrive through the snapshot.
    for (let id = 1; id <= Math.min(50, KEYS); id++) await pool.query(INSERT, row(id));
  });
  main = await p.startWorker();

  let loading = true;
  const loadLoop = (async () => {
    while (loading) {
      await transaction();
      await sleep(int(50, 250));
    }
  })();

  const window = SECONDS * 1000;
  const workerKillsAt = schedule(WORKER_KILLS, 0.05 * window, 0.95 * window, 5_000);
  // Connect restarts take tens of seconds here; spread the kills so each restart finishes first.
  const connectKillsAt = schedule(CONNECT_KILLS, 0.1 * window, 0.85 * window, Math.min(60_000, (0.75 * window) / Math.max(1, CONNECT_KILLS)));
  const rebalanceAt = 0.2 * window + random() * 0.5 * window;
  log("schedule", { workerKillsAt: workerKillsAt.map((t) => Math.round(t / 1000)), connectKillsAt: connectKillsAt.map((t) => Math.round(t / 1000)), rebalanceAt: Math.round(rebalanceAt / 1000) });

  let workerLock = Promise.resolve();
  const events: Array<Promise<void>> = [];
  for (const t of workerKillsAt) events.push(sleep(t).then(() => (workerLock = workerLock.then(killWorker))));
  let connectLock = Promise.resolve();
  for (const t of connectKillsAt) events.push(sleep(t).then(() => (connectLock = connectLock.then(killConnect))));
  events.push(sleep(rebalanceAt).then(rebalance));
  await sleep(window);
  loading = false;
  await loadLoop;
  await Promise.all(events);
  await workerLock;
  await connectLock;
  log("load done, draining", { t: at(), ...load });

  const drainSeconds = await drain();
  const afterDrain = await compare();
  log("compared after drain", { t: at(), ...afterDrain });

  const before = await snapshot();
  for (const w of p.workers) await w.stop("SIGTERM");
  await kafkaCli("kafka-consumer-groups", ["--group", p.groupId, "--reset-offsets", "--to-earliest", "--all-topics", "--execute"]);
  const replayStarted = Date.now();
  main = await p.startWorker();
  await eventually("the replay caught up", async () => ((await p.caughtUp()) ? true : undefined), 900_000, 500);
  const replaySeconds = Math.round((Date.now() - replayStarted) / 100) / 10;
  const afterReplay = await compare();
  const replay = replayChanges(before, await snapshot());
  log("compared after the replay", { t: at(), ...afterReplay, changedByReplay: replay.changed });

  const figures = {
    missing: afterDrain.missing + afterReplay.missing,
    extra: afterDrain.extra + afterReplay.extra,
    different: afterDrain.different + afterReplay.different,
    resurrected: afterDrain.resurrected + afterReplay.resurrected,
    changedByReplay: replay.changed,
  };
  return {
    seed: SEED,
    loadSeconds: SECONDS,
    load: { ...load, keys: KEYS, keysDeleted: deletedKeys.size },
    chaos,
    drainSeconds,
    replaySeconds,
    afterDrain,
    afterReplay,
    replay: { changedByReplay: replay.changed, rewrittenByReplay: replay.rewritten, samples: replay.samples },
    figures,
    targetsMet: Object.values(figures).every((n) => n === 0),
    machine: { before: machineBefore, after: { uptimeSeconds: Math.round(uptime()), loadavg: loadavg().map((x) => Math.round(x * 100) / 100) }, uptime: await promisify(execFile)("uptime").then((r) => r.stdout.trim()) },
    totalSeconds: at(),
  };
}

run()
  .then(
    async (result) => {
      await p.teardown().catch((e: Error) => log("teardown failed", { error: e.message }));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      process.exit(result.targetsMet ? 0 : 1);
    },
    async (e: Error) => {
      log("chaos run failed", { error: e.stack ?? e.message });
      await p.teardown().catch(() => undefined);
      process.exit(2);
    },
  );
