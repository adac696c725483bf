import type { SlotSnapshot } from "./query.js";

/** Every value of pg_replication_slots.wal_status (PostgreSQL 13+), one series each so a status change is a value change. */
export const WAL_STATUSES = ["reserved", "extended", "unreserved", "lost"] as const;

/** The exporter's metric families: the contract monitoring/alerts.yaml and dashboard.json are checked against. */
export const SLOT_METRICS = {
  up: { name: "coexist_slot_up", help: "1 when the last scrape could query PostgreSQL, 0 otherwise (no slot series are reported then)" },
  scrapeSeconds: { name: "coexist_slot_scrape_duration_seconds", help: "Time the scrape's connect and query took" },
  maxKeep: { name: "coexist_slot_max_wal_keep_size_bytes", help: "PostgreSQL max_slot_wal_keep_size in bytes; -1 when unlimited" },
  exists: { name: "coexist_slot_exists", help: "1 when the configured replication slot exists, 0 when it does not (dropped, or never created)" },
  active: { name: "coexist_slot_active", help: "1 while a consumer (the Debezium task) is connected to the slot" },
  retained: { name: "coexist_slot_retained_wal_bytes", help: "WAL the slot keeps from being removed: pg_current_wal_lsn() - restart_lsn" },
  confirmedLag: { name: "coexist_slot_confirmed_lag_bytes", help: "WAL the consumer has not confirmed yet: pg_current_wal_lsn() - confirmed_flush_lsn" },
  walStatus: { name: "coexist_slot_wal_status", help: "1 for the slot's current wal_status (reserved, extended, unreserved, lost), 0 for the others" },
  safeWalSize: { name: "coexist_slot_safe_wal_size_bytes", help: "WAL that can still be written before the slot risks losing WAL it needs; absent when unlimited" },
} as const;

export type ScrapeResult = { readonly ok: true; readonly snapshot: SlotSnapshot; readonly seconds: number } | { readonly ok: false; readonly seconds: number };

/** Prometheus text exposition (format 0.0.4) of one scrape, for the configured slots. Pure. */
export function renderSlotMetrics(configured: readonly string[], result: ScrapeResult): string {
  const out: string[] = [];
  const family = (m: { name: string; help: string }, samples: [Record<string, string>, number][]) => {
    out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} gauge`);
    for (const [labels, value] of samples) out.push(`${m.name}${labelText(labels)} ${formatValue(value)}`);
  };
  family(SLOT_METRICS.up, [[{}, result.ok ? 1 : 0]]);
  family(SLOT_METRICS.scrapeSeconds, [[{}, result.seconds]]);
  if (!result.ok) return `${out.join("\n")}\n`;

  const { snapshot } = result;
  const found = new Map(snapshot.slots.map((s) => [s.slot, s]));
  const present = configured.flatMap((slot) => {
    const s = found.get(slot);
    return s === undefined ? [] : [s];
  });
  family(SLOT_METRICS.maxKeep, [[{}, snapshot.maxSlotWalKeepSizeBytes]]);
  family(SLOT_METRICS.exists, configured.map((slot) => [{ slot }, found.has(slot) ? 1 : 0]));
  family(SLOT_METRICS.active, present.map((s) => [{ slot: s.slot }, s.active ? 1 : 0]));
  family(SLOT_METRICS.retained, present.filter((s) => s.retainedWalBytes !== null).map((s) => [{ slot: s.slot }, s.retainedWalBytes as number]));
  family(SLOT_METRICS.confirmedLag, present.filter((s) => s.confirmedLagBytes !== null).map((s) => [{ slot: s.slot }, s.confirmedLagBytes as number]));
  family(SLOT_METRICS.walStatus, present.flatMap((s) => WAL_STATUSES.map((status): [Record<string, string>, number] => [{ slot: s.slot, status }, s.walStatus === status ? 1 : 0])));
  family(SLOT_METRICS.safeWalSize, present.filter((s) => s.safeWalSizeBytes !== null).map((s) => [{ slot: s.slot }, s.safeWalSizeBytes as number]));
  return `${out.join("\n")}\n`;
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`).join(",")}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
