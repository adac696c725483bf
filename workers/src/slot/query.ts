import pg from "pg";

/** What PostgreSQL reports for one replication slot, in bytes. */
export interface SlotReading {
  readonly slot: string;
  readonly active: boolean;
  /** reserved | extended | unreserved | lost (PostgreSQL 13+); null for a slot that never reserved WAL. */
  readonly walStatus: string | null;
  /** WAL that can still be written before the slot is in danger of losing WAL it needs; null when unlimited. */
  readonly safeWalSizeBytes: number | null;
  /** WAL the slot keeps from being removed: the current WAL position minus its restart_lsn. */
  readonly retainedWalBytes: number | null;
  /** WAL its consumer has not yet confirmed: the current WAL position minus confirmed_flush_lsn. */
  readonly confirmedLagBytes: number | null;
}

export interface SlotSnapshot {
  /** `max_slot_wal_keep_size` in bytes; -1 when unlimited. */
  readonly maxSlotWalKeepSizeBytes: number;
  /** One entry per configured slot that exists; a configured slot absent here does not exist. */
  readonly slots: readonly SlotReading[];
}

/**
 * One round trip. Needs no privilege on PostgreSQL 15: `pg_replication_slots`, `pg_current_wal_lsn()`,
 * `pg_wal_lsn_diff()` and `current_setting('max_slot_wal_keep_size')` are open to PUBLIC (measured
 * against the data plane with a role that has LOGIN and nothing else: test/slot-health.test.ts).
 * Run it on the primary: pg_current_wal_lsn() fails during recovery.
 */
export const SLOT_QUERY = `
SELECT pg_size_bytes(current_setting('max_slot_wal_keep_size'))::text AS max_keep,
       s.slot_name, s.active, s.wal_status, s.safe_wal_size::text AS safe_wal_size,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint::text AS retained,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint::text AS confirmed_lag
FROM (SELECT 1) AS one
LEFT JOIN pg_replication_slots s ON s.slot_name = ANY($1::text[])`;

interface Row {
  max_keep: string;
  slot_name: string | null;
  active: boolean | null;
  wal_status: string | null;
  safe_wal_size: string | null;
  retained: string | null;
  confirmed_lag: string | null;
}

/** Turns the query's rows into a snapshot (pure; bigint text to numbers: WAL sizes stay far below 2^53). */
export function toSnapshot(rows: readonly Row[]): SlotSnapshot {
  const first = rows[0];
  if (first === undefined) throw new Error("the slot query returned no row");
  const num = (v: string | null) => (v === null ? null : Number(v));
  return {
    maxSlotWalKeepSizeBytes: Number(first.max_keep),
    slots: rows
      .filter((r) => r.slot_name !== null)
      .map((r) => ({
        slot: r.slot_name as string,
        active: r.active === true,
        walStatus: r.wal_status,
        safeWalSizeBytes: num(r.safe_wal_size),
        retainedWalBytes: num(r.retained),
        confirmedLagBytes: num(r.confirmed_lag),
      })),
  };
}

/** Connects, queries and disconnects, each bounded by `timeoutMs`: a hung server fails the scrape, never hangs it. */
export async function readSlots(postgresUrl: string, slots: readonly string[], timeoutMs: number): Promise<SlotSnapshot> {
  const client = new pg.Client({
    connectionString: postgresUrl,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    application_name: "coexist-slot-exporter",
  });
  await client.connect();
  try {
    const r = await client.query<Row>(SLOT_QUERY, [slots]);
    return toSnapshot(r.rows);
  } finally {
    await client.end().catch(() => undefined);
  }
}
