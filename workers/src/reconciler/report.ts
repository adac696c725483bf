import { Gauge, Registry } from "prom-client";
import type { TableReport } from "./reconcile.js";

export interface RunReport {
  startedAt: string;
  durationMs: number;
  repair: boolean;
  tables: TableReport[];
  totals: { rows: number; missing: number; extra: number; different: number; unrepresentable: number; repaired: number; changedDuringScan: number };
}

export function summarize(tables: TableReport[], startedAt: Date, repair: boolean, now: Date = new Date()): RunReport {
  const sum = (f: (t: TableReport) => number) => tables.reduce((n, t) => n + f(t), 0);
  return {
    startedAt: startedAt.toISOString(),
    durationMs: now.getTime() - startedAt.getTime(),
    repair,
    tables,
    totals: {
      rows: sum((t) => t.rows),
      missing: sum((t) => t.missing),
      extra: sum((t) => t.extra),
      different: sum((t) => t.different),
      unrepresentable: sum((t) => t.unrepresentable),
      repaired: sum((t) => t.repaired.missing + t.repaired.extra + t.repaired.different),
      changedDuringScan: sum((t) => t.changedDuringScan),
    },
  };
}

/** The run as Prometheus text, for node_exporter's textfile collector or a Pushgateway. */
export async function prometheusText(run: RunReport): Promise<string> {
  const registry = new Registry();
  const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const divergent = g("coexist_reconcile_divergent_documents", "Divergences found by the last run, by kind", ["table", "collection", "kind"]);
  const repaired = g("coexist_reconcile_repaired_documents", "Divergences repaired by the last run, by kind", ["table", "collection", "kind"]);
  const rows = g("coexist_reconcile_rows", "Rows scanned in the last run", ["table", "collection"]);
  const changed = g("coexist_reconcile_changed_during_scan", "Divergences left to CDC because the row changed after the scan", ["table", "collection"]);
  const duration = g("coexist_reconcile_duration_seconds", "Duration of the last run");
  const last = g("coexist_reconcile_last_run_timestamp_seconds", "Start of the last completed run");
  for (const t of run.tables) {
    const l = { table: t.table, collection: t.collection };
    for (const kind of ["missing", "extra", "different", "unrepresentable"] as const) divergent.set({ ...l, kind }, t[kind]);
    for (const kind of ["missing", "extra", "different"] as const) repaired.set({ ...l, kind }, t.repaired[kind]);
    rows.set(l, t.rows);
    changed.set(l, t.changedDuringScan);
  }
  duration.set(run.durationMs / 1000);
  last.set(Date.parse(run.startedAt) / 1000);
  return registry.metrics();
}
