// The live view of `npm start`: figures read from the processes' Prometheus endpoints (the names in
// workers/src/runtime/metrics.ts, workers/src/reconciler and workers/src/slot), never by querying the
// stores again. Pure: parse the exposition text, derive a view from two scrapes, render it.

/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

function parseValue(text: string): number {
  // Case-insensitive: prom-client writes "Nan" for an unset gauge.
  const t = text.toLowerCase();
  if (t === "+inf" || t === "inf") return Infinity;
  if (t === "-inf") return -Infinity;
  if (t === "nan") return NaN;
  const n = Number(text);
  if (Number.isNaN(n)) throw new Error(`not a sample value: ${text}`);
  return n;
}

/** Parses Prometheus text exposition (version 0.0.4). Comments and blank lines are skipped; a malformed line throws, naming it. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`malformed metrics line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== "") {
      LABEL.lastIndex = 0;
      let consumed = 0;
      let l: RegExpExecArray | null;
      while ((l = LABEL.exec(m[2])) !== null) {
        labels[l[1]!] = unescapeLabel(l[2]!);
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`malformed labels in metrics line: ${line}`);
    }
    out.push({ name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return out;
}

export function sum(samples: readonly Sample[], name: string, where: (l: Record<string, string>) => boolean = () => true): number | undefined {
  let total: number | undefined;
  for (const s of samples) if (s.name === name && where(s.labels)) total = (total ?? 0) + s.value;
  return total;
}

/**
 * The q-quantile of a Prometheus histogram (cumulative `le` buckets, summed over other labels), by
 * linear interpolation within the bucket, as PromQL's histogram_quantile does. Undefined when the
 * histogram is empty. When the quantile falls in the +Inf bucket, the highest finite bound is returned.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  if (bounds.length === 0) return undefined;
  const total = buckets.get(bounds[bounds.length - 1]!)!;
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const c = buckets.get(b)!;
    if (c >= rank) {
      if (b === Infinity) return prevBound;
      if (c === prevCount) return b;
      return prevBound + ((b - prevBound) * (rank - prevCount)) / (c - prevCount);
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound;
}

/** Cumulative bucket counts of histogram `name` (summed over its other labels), optionally as the difference of two scrapes. */
export function buckets(now: readonly Sample[], name: string, before?: readonly Sample[]): Map<number, number> {
  const acc = (samples: readonly Sample[], sign: number, into: Map<number, number>) => {
    for (const s of samples) {
      if (s.name !== `${name}_bucket` || s.labels.le === undefined) continue;
      const le = parseValue(s.labels.le);
      into.set(le, (into.get(le) ?? 0) + sign * s.value);
    }
  };
  const m = new Map<number, number>();
  acc(now, 1, m);
  if (before) acc(before, -1, m);
  return m;
}

/** What the processes report at one instant; a missing scrape is undefined (the process is down or starting). */
export interface Scrape {
  at: number; // ms
  worker?: Sample[];
  slot?: Sample[];
  reconciler?: Sample[];
}

export interface View {
  inPerSec?: number; // changes the worker consumed per second (applied + stale + compacted)
  outPerSec?: number; // changes written to the store per second
  lagP50?: number; // seconds, over the window between the two scrapes (or since start when no window)
  lagP95?: number;
  walRetained?: number; // bytes, max over slots
  slotActive?: boolean;
  dlq?: number;
  consumerLag: { topic: string; partition: string; lag: number }[];
  divergent?: Record<string, number>; // by kind, last reconciler run
  reconcileAt?: number; // seconds since epoch of the last completed run
  up: { worker: boolean; slot: boolean; reconciler: boolean };
}

const W = "coexist_sync_";

function rate(now: Scrape, before: Scrape | undefined, pick: (s: Sample[]) => number | undefined): number | undefined {
  if (!before?.worker || !now.worker) return undefined;
  const a = pick(before.worker);
  const b = pick(now.worker);
  const secs = (now.at - before.at) / 1000;
  if (a === undefined || b === undefined || secs <= 0) return b === undefined ? undefined : 0;
  // A restarted worker resets its counters: the rate restarts from its new value, as PromQL's rate does.
  return (b >= a ? b - a : b) / secs;
}

export function deriveView(now: Scrape, before?: Scrape): View {
  const w = now.worker;
  const applied = (s: Sample[]) => sum(s, `${W}events_applied_total`);
  const consumed = (s: Sample[]) => {
    const parts = [applied(s), sum(s, `${W}events_stale_total`), sum(s, `${W}events_compacted_total`)];
    return parts.every((p) => p === undefined) ? undefined : parts.reduce<number>((t, p) => t + (p ?? 0), 0);
  };
  const view: View = {
    consumerLag: [],
    up: { worker: w !== undefined, slot: now.slot !== undefined, reconciler: now.reconciler !== undefined },
  };
  if (w) {
    view.inPerSec = rate(now, before, consumed);
    view.outPerSec = rate(now, before, applied);
    let h = buckets(w, `${W}end_to_end_lag_seconds`, before?.worker);
    // A restart (counts went down) or an empty window: fall back to the whole histogram.
    if ([...h.values()].some((c) => c < 0) || !([...h.values()].some((c) => c > 0))) h = buckets(w, `${W}end_to_end_lag_seconds`);
    view.lagP50 = histogramQuantile(0.5, h);
    view.lagP95 = histogramQuantile(0.95, h);
    view.dlq = sum(w, `${W}dlq_total`) ?? 0;
    view.consumerLag = w
      .filter((s) => s.name === `${W}consumer_lag`)
      .map((s) => ({ topic: s.labels.topic ?? "", partition: s.labels.partition ?? "", lag: s.value }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || Number(a.partition) - Number(b.partition));
  }
  if (now.slot) {
    const retained = now.slot.filter((s) => s.name === "coexist_slot_retained_wal_bytes").map((s) => s.value);
    if (retained.length > 0) view.walRetained = Math.max(...retained);
    const active = sum(now.slot, "coexist_slot_active");
    if (active !== undefined) view.slotActive = active > 0;
  }
  if (now.reconciler) {
    const last = sum(now.reconciler, "coexist_reconcile_last_run_timestamp_seconds");
    if (last !== undefined && last > 0) {
      view.reconcileAt = last;
      const byKind: Record<string, number> = {};
      for (const s of now.reconciler) {
        if (s.name !== "coexist_reconcile_divergent_documents") continue;
        const k = s.labels.kind ?? "?";
        byKind[k] = (byKind[k] ?? 0) + s.value;
      }
      view.divergent = byKind;
    }
  }
  return view;
}

function num(n: number | undefined, digits = 1): string {
  return n === undefined ? "-" : n.toFixed(digits);
}

function ms(s: number | undefined): string {
  return s === undefined ? "-" : `${Math.round(s * 1000)}ms`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return "-";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v}B` : `${v.toFixed(1)}${units[i]}`;
}

function divergence(v: View, nowSec: number): string {
  if (v.divergent === undefined) return v.up.reconciler ? "no run yet" : "down";
  const kinds = Object.entries(v.divergent).filter(([, n]) => n > 0);
  const what = kinds.length === 0 ? "0" : kinds.map(([k, n]) => `${k}=${n}`).join(" ");
  return `${what} (${Math.max(0, Math.round(nowSec - (v.reconcileAt ?? nowSec)))}s ago)`;
}

/** One line per refresh, for logs and pipes (no ANSI). */
export function renderPlain(v: View, now: Date): string {
  const lag = v.consumerLag.map((p) => `${p.topic}/${p.partition}=${p.lag}`).join(",") || "-";
  return [
    now.toISOString(),
    `in=${num(v.inPerSec)}/s`,
    `out=${num(v.outPerSec)}/s`,
    `lag_p50=${ms(v.lagP50)}`,
    `lag_p95=${ms(v.lagP95)}`,
    `wal_retained=${bytes(v.walRetained)}`,
    `dlq=${v.dlq ?? "-"}`,
    `consumer_lag=${lag}`,
    `divergent=${divergence(v, now.getTime() / 1000).replace(/ /g, "_")}`,
    ...(v.up.worker && v.up.slot && v.up.reconciler ? [] : [`down=${(["worker", "slot", "reconciler"] as const).filter((k) => !v.up[k]).join(",")}`]),
  ].join(" ");
}

export interface Restarts {
  [process: string]: { restarts: number; running: boolean };
}

/** The full-screen view (ANSI: home the cursor, clear, redraw). */
export function renderScreen(v: View, now: Date, procs: Restarts = {}, header: readonly string[] = []): string {
  const rows: string[] = [...header, ""];
  rows.push(`changes/s   in ${num(v.inPerSec).padStart(8)}   out ${num(v.outPerSec).padStart(8)}`);
  rows.push(`lag         P50 ${ms(v.lagP50).padStart(7)}   P95 ${ms(v.lagP95).padStart(8)}   (PostgreSQL commit -> store write)`);
  rows.push(`slot        WAL retained ${bytes(v.walRetained)}${v.slotActive === undefined ? "" : v.slotActive ? "  active" : "  INACTIVE"}`);
  rows.push(`DLQ         ${v.dlq ?? "-"}`);
  rows.push(`consumer lag ${v.consumerLag.length === 0 ? "-" : ""}`);
  for (const p of v.consumerLag) rows.push(`  ${p.topic} [${p.partition}]  ${p.lag}`);
  rows.push(`reconciler  divergent ${divergence(v, now.getTime() / 1000)}`);
  const names = Object.keys(procs);
  if (names.length > 0) {
    rows.push("processes   " + names.map((n) => `${n} ${procs[n]!.running ? "up" : "DOWN"}${procs[n]!.restarts ? ` (${procs[n]!.restarts} restarts)` : ""}`).join("   "));
  }
  rows.push("", `${now.toISOString()}  Ctrl-C stops the processes and leaves the stack deployed; npm stop removes it`);
  return "\x1b[H\x1b[2J" + rows.join("\n") + "\n";
}
