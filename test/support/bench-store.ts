/**
 * What scripts/bench reads from the store's side without going through it: FerretDB keeps each
 * collection in a table of its own database in the data plane's PostgreSQL, so the commit time
 * of every document (pg_xact_commit_timestamp, track_commit_timestamp = on) comes from the same
 * server clock as the source rows' commit times. Reading it costs the store nothing while a run
 * is measured: the bench only polls for the first document, then reads the times afterwards.
 */
import { pg } from "../../workers/src/testing/deps.js";
import type { DataplaneEnv } from "./dataplane";

/** FerretDB's database in the data plane's PostgreSQL (scripts/dataplane.d/postgres.sh). */
const FERRETDB_DATABASE = "ferretdb";

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface CommitWindow {
  readonly rows: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

export class StoreTables {
  readonly #pool: InstanceType<typeof pg.Pool>;

  constructor(env: DataplaneEnv) {
    const url = new URL(env.POSTGRES_URL);
    url.pathname = `/${FERRETDB_DATABASE}`;
    this.#pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  }

  /** The table FerretDB keeps `database.collection` in, or undefined before it exists. */
  async table(database: string, collection: string): Promise<string | undefined> {
    const exists = await this.#pool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [database]);
    if (exists.rows.length === 0) return undefined;
    const r = await this.#pool.query(`SELECT _jsonb->>'table' AS t FROM ${ident(database)}._ferretdb_database_metadata WHERE _jsonb->>'_id' = $1`, [collection]).catch(() => ({ rows: [] }));
    const t = (r.rows[0] as { t?: string } | undefined)?.t;
    return t ? `${ident(database)}.${ident(t)}` : undefined;
  }

  async hasRows(database: string, collection: string): Promise<boolean> {
    const t = await this.table(database, collection);
    if (!t) return false;
    return (await this.#pool.query(`SELECT 1 FROM ${t} LIMIT 1`)).rows.length > 0;
  }

  async count(database: string, collection: string): Promise<number> {
    const t = await this.table(database, collection);
    if (!t) return 0;
    return Number((await this.#pool.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
  }

  /** First and last commit of the collection's documents, in ms since the epoch. */
  async commitWindow(database: string, collection: string): Promise<CommitWindow> {
    const t = await this.table(database, collection);
    if (!t) throw new Error(`no table for ${database}.${collection} in FerretDB's database`);
    const r = await this.#pool.query(
      `SELECT count(*) AS n, extract(epoch FROM min(ts)) * 1000 AS first, extract(epoch FROM max(ts)) * 1000 AS last
       FROM (SELECT pg_xact_commit_timestamp(xmin) AS ts FROM ${t}) x`,
    );
    const row = r.rows[0] as { n: string; first: string | null; last: string | null };
    if (row.first === null || row.last === null) throw new Error(`${database}.${collection} has no commit timestamps: is track_commit_timestamp on?`);
    return { rows: Number(row.n), firstMs: Number(row.first), lastMs: Number(row.last) };
  }

  /** Commit time of each document, by `_id` as text. */
  async commitTimes(database: string, collection: string): Promise<Map<string, number>> {
    const t = await this.table(database, collection);
    const out = new Map<string, number>();
    if (!t) return out;
    const r = await this.#pool.query(`SELECT _jsonb->>'_id' AS id, extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS ts FROM ${t}`);
    for (const row of r.rows as Array<{ id: string; ts: string | null }>) if (row.ts !== null) out.set(row.id, Number(row.ts));
    return out;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Commit time of each source row of `table` with a key in [from, to], by key as text. */
export async function sourceCommitTimes(pool: InstanceType<typeof pg.Pool>, table: string, key: string, from: number, to: number): Promise<Map<string, number>> {
  const r = await pool.query(`SELECT ${key}::text AS id, extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000 AS ts FROM ${table} WHERE ${key} BETWEEN $1 AND $2`, [from, to]);
  return new Map((r.rows as Array<{ id: string; ts: string }>).map((row) => [row.id, Number(row.ts)]));
}
