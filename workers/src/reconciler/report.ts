import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { TableReport } from "./reconcile.js";

export interface RunReport {
  startedAt: string;
  durationMs: number;
  repair: boolean;
  tables: TableReport[];
  totals: { rows: number; missing: number; extra: number; different: number; ahead: number; unrepresentable: number; repaired: number; changedDuringScan: number; repairRejected: number; failedTables: number };
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
      ahead: sum((t) => t.ahead),
      unrepresentable: sum((t) => t.unrepresentable),
      repaired: sum((t) => t.repaired.missing + t.repaired.extra + t.repaired.different + t.repaired.ahead),
      changedDuringScan: sum((t) => t.changedDuringScan),
      repairRejected: sum((t) => t.repairRejected),
      failedTables: sum((t) => (t.error === undefined ? 0 : 1)),
    },
  };
}

/**
 * The reconciler's gauges, set from each completed run. One instance lives as long as the
 * process: in scheduled mode it is served on /metrics (see main.ts); for a one-shot run it is
 * rendered into a textfile instead.
 */
export class ReconcileMetrics {
  readonly registry = new Registry();
  readonly #divergent: Gauge;
  readonly #repaired: Gauge;
  readonly #rows: Gauge;
  readonly #changed: Gauge;
  readonly #tableFailed: Gauge;
  readonly #repairRejected: Gauge;
  readonly #duration: Gauge;
  readonly #last: Gauge;
  readonly running: Gauge;
  readonly failures: Gauge;

  constructor(options: { processMetrics?: boolean } = {}) {
    const g = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [this.registry] });
    this.#divergent = g("coexist_reconcile_divergent_documents", "Divergences found by the last run, by kind", ["table", "collection", "kind"]);
    this.#repaired = g("coexist_reconcile_repaired_documents", "Divergences repaired by the last run, by kind", ["table", "collection", "kind"]);
    this.#rows = g("coexist_reconcile_rows", "Rows scanned in the last run", ["table", "collection"]);
    this.#changed = g("coexist_reconcile_changed_during_scan", "Divergences left to CDC because the row changed after the scan", ["table", "collection"]);
    this.#tableFailed = g("coexist_reconcile_table_failed", "1 when the last run could not reconcile the table (see the run's log); the other tables still ran", ["table", "collection"]);
    this.#repairRejected = g("coexist_reconcile_repairs_rejected", "Repairs the store refused for good in the last run", ["table", "collection"]);
    this.#duration = g("coexist_reconcile_duration_seconds", "Duration of the last run");
    this.#last = g("coexist_reconcile_last_run_timestamp_seconds", "Start of the last completed run");
    this.running = g("coexist_reconcile_running", "1 while a run is in progress");
    this.failures = g("coexist_reconcile_failed_runs", "Runs that failed since the process started");
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "coexist_reconcile_" });
  }

  record(run: RunReport): void {
    for (const t of run.tables) {
      const l = { table: t.table, collection: t.collection };
      for (const kind of ["missing", "extra", "different", "ahead", "unrepresentable"] as const) this.#divergent.set({ ...l, kind }, t[kind]);
      for (const kind of ["missing", "extra", "different", "ahead"] as const) this.#repaired.set({ ...l, kind }, t.repaired[kind]);
      this.#rows.set(l, t.rows);
      this.#changed.set(l, t.changedDuringScan);
      this.#tableFailed.set(l, t.error === undefined ? 0 : 1);
      this.#repairRejected.set(l, t.repairRejected);
    }
    this.#duration.set(run.durationMs / 1000);
    this.#last.set(Date.parse(run.startedAt) / 1000);
  }
}

/** One run as Prometheus text, for node_exporter's textfile collector (one-shot runs). */
export async function prometheusText(run: RunReport): Promise<string> {
  const m = new ReconcileMetrics();
  m.record(run);
  return m.registry.metrics();
}
