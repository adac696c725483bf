import { test } from "node:test";
import assert from "node:assert/strict";
import { SyncMetrics } from "../../workers/src/runtime/metrics.js";
import { buckets, deriveView, histogramQuantile, parseMetrics, renderPlain, renderScreen, type Scrape } from "./live";
import { rng } from "../../components/testing/seeded";

// A small seeded generator (mulberry32); the seed is printed so a failure can be replayed with COEXIST_SEED.
const SEED = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);

test("parseMetrics reads the worker's own registry (prom-client's exposition) back", async () => {
  const m = new SyncMetrics();
  m.applied.inc({ collection: "orders", op: "c" }, 3);
  m.applied.inc({ collection: 'we"ird\\name', op: "u" }, 2);
  m.consumerLag.set({ topic: "coexist.public.orders", partition: "2" }, 7);
  m.endToEndLag.observe(0.03);
  const samples = parseMetrics(await m.registry.metrics());
  const applied = samples.filter((s) => s.name === "coexist_sync_events_applied_total");
  assert.deepEqual(applied.map((s) => [s.labels.collection, s.value]), [["orders", 3], ['we"ird\\name', 2]]);
  assert.ok(samples.some((s) => s.name === "coexist_sync_end_to_end_lag_seconds_bucket" && s.labels.le === "+Inf" && s.value === 1));
});

test("parseMetrics names a malformed line", () => {
  assert.throws(() => parseMetrics("ok 1\nbroken{a=1} 2\n"), /malformed .*broken\{a=1\} 2/);
  assert.throws(() => parseMetrics("x notanumber\n"), /malformed|not a sample value/);
});

test(`histogramQuantile lands in the bucket that holds the true quantile (generated observations, seed ${SEED})`, async () => {
  const r = rng(SEED);
  for (let run = 0; run < 200; run++) {
    const m = new SyncMetrics();
    const n = 1 + Math.floor(r() * 300);
    const obs: number[] = [];
    const scale = [0.02, 0.3, 3, 100][Math.floor(r() * 4)]!;
    for (let i = 0; i < n; i++) {
      const v = r() * r() * scale;
      obs.push(v);
      m.endToEndLag.observe(v);
    }
    obs.sort((a, b) => a - b);
    const h = buckets(parseMetrics(await m.registry.metrics()), "coexist_sync_end_to_end_lag_seconds");
    const bounds = [...h.keys()].sort((a, b) => a - b);
    for (const q of [0.5, 0.95]) {
      const got = histogramQuantile(q, h)!;
      const truth = obs[Math.max(0, Math.ceil(q * n) - 1)]!;
      // The bucket [lo, hi] holding the true value bounds any interpolation.
      const hi = bounds.find((b) => truth <= b)!;
      const lo = bounds.filter((b) => b < hi).at(-1) ?? 0;
      const top = hi === Infinity ? lo : hi;
      assert.ok(got >= lo - 1e-12 && got <= top + 1e-12, `seed ${SEED} run ${run}: q=${q} got ${got}, true ${truth} in (${lo}, ${hi}]`);
    }
  }
});

test("histogramQuantile: empty histogram is undefined, not zero", () => {
  assert.equal(histogramQuantile(0.5, new Map()), undefined);
  assert.equal(histogramQuantile(0.5, new Map([[0.1, 0], [Infinity, 0]])), undefined);
});

const workerText = (applied: number, stale: number, lag: Record<string, number>, obs: number[] = []) => {
  const m = new SyncMetrics();
  m.applied.inc({ collection: "orders", op: "c" }, applied);
  if (stale) m.stale.inc({ collection: "orders" }, stale);
  for (const [p, l] of Object.entries(lag)) m.consumerLag.set({ topic: "coexist.public.orders", partition: p }, l);
  for (const o of obs) m.endToEndLag.observe(o);
  m.deadLettered.inc({ reason: "decode" }, 2);
  return m.registry.metrics();
};

test("deriveView: rates over the window, restarts, slot, reconciler, DLQ, per-partition lag", async () => {
  const before: Scrape = { at: 0, worker: parseMetrics(await workerText(100, 0, { "0": 5 }, [0.01, 0.01])) };
  const slot = parseMetrics('coexist_slot_retained_wal_bytes{slot="a"} 1024\ncoexist_slot_retained_wal_bytes{slot="b"} 5000000\ncoexist_slot_active{slot="a"} 1\n');
  const reconciler = parseMetrics(
    'coexist_reconcile_last_run_timestamp_seconds 1000\ncoexist_reconcile_divergent_documents{table="t",collection="c",kind="missing"} 3\ncoexist_reconcile_divergent_documents{table="u",collection="d",kind="missing"} 1\n',
  );
  const now: Scrape = { at: 2000, worker: parseMetrics(await workerText(300, 20, { "1": 0, "0": 9 }, [0.01, 0.01, 0.2, 0.2, 0.2])), slot, reconciler };
  const v = deriveView(now, before);
  assert.equal(v.outPerSec, 100);
  assert.equal(v.inPerSec, 110);
  // Only the window's observations (three at 0.2 s) count, not the two older ones at 10 ms.
  assert.ok(v.lagP50! > 0.15 && v.lagP50! <= 0.2, String(v.lagP50));
  assert.equal(v.walRetained, 5000000);
  assert.equal(v.slotActive, true);
  assert.equal(v.dlq, 2);
  assert.deepEqual(v.consumerLag.map((p) => `${p.partition}=${p.lag}`), ["0=9", "1=0"]);
  assert.deepEqual(v.divergent, { missing: 4 });
  // A restarted worker (counters back near zero) gives its new count as the window's, never a negative rate.
  const restarted = deriveView({ at: 4000, worker: parseMetrics(await workerText(10, 0, {})) }, now);
  assert.equal(restarted.outPerSec, 5);
  assert.deepEqual(restarted.up, { worker: true, slot: false, reconciler: false });
});

test("renderPlain is one line without ANSI; renderScreen redraws from the top", async () => {
  const v = deriveView({ at: 0, worker: parseMetrics(await workerText(1, 0, { "0": 3 }, [0.05])) });
  const line = renderPlain(v, new Date(0));
  assert.doesNotMatch(line, /\n|\x1b/);
  assert.match(line, /lag_p50=\d+ms .*dlq=2 consumer_lag=coexist.public.orders\/0=3 .*down=slot,reconciler/);
  const screen = renderScreen(v, new Date(0), { worker: { restarts: 2, running: true } });
  assert.ok(screen.startsWith("\x1b[H\x1b[2J"));
  assert.match(screen, /worker up \(2 restarts\)/);
});
