import { Long, type Db, type Document } from "mongodb";
import type pg from "pg";
import { DecodeError, type DecodeOptions } from "../decode/connect.js";
import { UnrepresentableValueError } from "../decode/decimal.js";
import type { Capture } from "../runtime/config.js";
import type { Logger } from "../runtime/log.js";
import { documentId, keyColumns, type CompositeId, type DocumentId } from "../sync/change.js";
import { idKey } from "../sync/compact.js";
import { TransformError, transforms } from "../transform/transforms.js";
import { compareRows, findExtras, type Divergence, type Expected } from "./compare.js";
import { contentHash } from "./hash.js";
import { rawTextTypes, typeRow, type PgField } from "./pg-typing.js";
import { applyRepairs, isAhead } from "./repair.js";
import { SNAPSHOT, version } from "../sync/version.js";

export interface TableReport {
  table: string;
  collection: string;
  rows: number;
  documents: number;
  missing: number;
  extra: number;
  different: number;
  /** Documents at a version no change can beat (later epoch, or an LSN past the source's WAL): frozen. */
  ahead: number;
  /** Rows the worker cannot store either (e.g. NUMERIC wider than Decimal128); they sit in the DLQ. */
  unrepresentable: number;
  repaired: { missing: number; extra: number; different: number; ahead: number };
  /** Divergences not repaired because the row or document changed after the scan (CDC will deliver it). */
  changedDuringScan: number;
  /** Repairs the store refused for good (logged with the error); the others went on. */
  repairRejected: number;
  /** Set when this table's scan failed; the run went on with the other tables. */
  error?: string;
  /** A few keys per kind, to start an investigation. */
  samples: { missing: string[]; extra: string[]; different: string[]; ahead: string[]; unrepresentable: string[] };
}

export interface ReconcileContext {
  readonly pool: pg.Pool;
  readonly db: Db;
  readonly batchSize: number;
  readonly repair: boolean;
  readonly decode: DecodeOptions;
  readonly log: Logger;
  /** The source generation (config source.generation): repairs are written in it. */
  readonly generation: number;
  /** Called after each page of rows is settled (tests use it to act between pages). */
  readonly afterPage?: (page: number) => Promise<void>;
}

const SAMPLES = 10;
const KINDS = ["missing", "different", "ahead", "extra"] as const;

/**
 * Compares one captured table with its collection, page by page: rows → documents in key
 * order (missing, different, ahead), then live documents → rows (extra). With repair on,
 * each divergence is re-checked against the current committed row before a compare-and-set
 * write (see repair.ts).
 *
 * No long transaction: each page of rows is read in its own short REPEATABLE READ READ ONLY
 * transaction (keyset pagination on the key), and no transaction is open while MongoDB is read
 * or written. A table-wide snapshot would hold back vacuum (and the xmin horizon) for the whole
 * scan and buy nothing: MongoDB is read at "now", never at the snapshot, so every comparison is
 * between a row as of one instant and a document as of a later one anyway. What makes the
 * result sound is per key, not per table:
 * - a divergence can be CDC lag (the row changed, the document will follow). It is reported,
 *   and with repair on it is re-checked against the row as committed now, in the transaction
 *   that also reads the WAL position the repair is versioned with; a row that moved on is left
 *   to CDC (changedDuringScan);
 * - a repair is a compare-and-set on the document version the scan saw, so it never overwrites
 *   a CDC write that landed meanwhile, and it is written at a version every later streamed
 *   change beats, so it never blocks one either;
 * - keyset pagination over a changing table can miss a row inserted behind the cursor or see a
 *   row deleted ahead of it: the first is new (CDC carries it; the next run checks it), the
 *   second shows up, if its document is still live, in the extras pass of this run or the next.
 */
export async function reconcileTable(ctx: ReconcileContext, capture: Capture): Promise<TableReport> {
  const report = emptyReport(capture);
  const table = quoteTable(capture.table);
  const key = await keyOf(ctx.pool, capture);
  const collection = ctx.db.collection(capture.collection);

  // Keyset pagination on the whole key, in the key's column order: a row comparison
  // (k1, k2) > ($2, $3) walks the primary key's index exactly as ORDER BY k1, k2.
  let last: string[] | null = null;
  let page = 0;
  for (;;) {
    const after = last === null ? "" : `WHERE (${key.list}) > (${key.columns.map((_, i) => `$${i + 2}::${key.types[i]}`).join(", ")})`;
    const res: pg.QueryResult<Record<string, string | null>> = await inShortSnapshot(ctx.pool, (client) =>
      client.query<Record<string, string | null>>({
        text: `SELECT * FROM ${table} ${after} ORDER BY ${key.list} LIMIT $1`,
        values: [ctx.batchSize, ...(last ?? [])],
        types: rawTextTypes,
      }),
    );
    if (res.rows.length === 0) break;
    const lastRow = res.rows[res.rows.length - 1]!;
    last = key.columns.map((c) => lastRow[c] ?? "");
    report.rows += res.rows.length;
    const expected = toExpected(res.fields, res.rows, capture, ctx.decode, report);
    const found = await collection.find({ _id: { $in: expected.map((e) => e.id) } } as Document).toArray();
    // Read after the documents: a CDC write cannot carry an LSN the source has not reached yet.
    const wal = await walPosition(ctx.pool);
    const divergences = compareRows(expected, found, (d) => isAhead(d, ctx.generation, wal));
    await settle(ctx, capture, key, divergences, report);
    await ctx.afterPage?.(page++);
  }

  let lastId: unknown;
  for (;;) {
    const filter: Document = { _deleted: { $ne: true } };
    if (lastId !== undefined) filter._id = { $gt: lastId };
    const live = await collection.find(filter, { projection: { _id: 1, _v: 1 } }).sort({ _id: 1 }).limit(ctx.batchSize).toArray();
    if (live.length === 0) break;
    lastId = live[live.length - 1]?._id;
    report.documents += live.length;
    const present = await existingKeys(ctx, capture, key, live.map((d) => d._id as unknown as DocumentId));
    await settle(ctx, capture, key, findExtras(live, present), report);
  }
  return report;
}

/** Runs `f` in a short REPEATABLE READ READ ONLY transaction in UTC, and always ends it. */
async function inShortSnapshot<T>(pool: pg.Pool, f: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query("SET LOCAL TimeZone = 'UTC'");
    const out = await f(client);
    await client.query("COMMIT");
    return out;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

async function walPosition(q: pg.Pool | pg.PoolClient): Promise<bigint> {
  const r = await q.query<{ lsn: string }>("SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn");
  return BigInt(r.rows[0]?.lsn ?? "0");
}

export function toExpected(fields: readonly PgField[], rows: Record<string, string | null>[], capture: Capture, decode: DecodeOptions, report: TableReport): Expected[] {
  const out: Expected[] = [];
  for (const row of rows) {
    try {
      const typed = typeRow(fields, row, decode);
      const doc = transforms[capture.transform](typed);
      const id = rowId(typed, keyColumns(capture));
      delete doc._id;
      out.push({ id, doc, hash: contentHash(doc) });
    } catch (e) {
      // One undecodable value (a timestamp 'infinity', a BC date) is this row's problem only.
      if (!(e instanceof UnrepresentableValueError || e instanceof TransformError || e instanceof DecodeError)) throw e;
      report.unrepresentable++;
      sample(report.samples.unrepresentable, keyColumns(capture).length === 1 ? (row[capture.key] ?? "null") : keyColumns(capture).map((c) => `${c}=${row[c] ?? "null"}`).join(","));
    }
  }
  return out;
}

/** Counts divergences and, with repair on, repairs those whose row is unchanged since the scan. */
async function settle(ctx: ReconcileContext, capture: Capture, key: TableKey, divergences: Divergence[], report: TableReport): Promise<void> {
  for (const d of divergences) {
    report[d.kind]++;
    sample(report.samples[d.kind], idText(d.id));
  }
  if (!ctx.repair || divergences.length === 0) return;
  const { hashes: current, wal } = await currentRows(ctx, capture, key, divergences.map((d) => d.id));
  const stillValid = divergences.filter((d) => {
    const now = current.get(idKey(d.id));
    return d.kind === "extra" ? now === undefined : now === d.expected.hash;
  });
  report.changedDuringScan += divergences.length - stillValid.length;
  const at = version(ctx.generation, SNAPSHOT, wal);
  for (const kind of KINDS) {
    const batch = stillValid.filter((d) => d.kind === kind);
    const { applied, rejected } = await applyRepairs(ctx.db.collection(capture.collection), batch, capture.table, at);
    report.repaired[kind] += applied;
    report.repairRejected += rejected.length;
    for (const r of rejected) ctx.log.error("repair rejected by the store", { table: capture.table, id: idText(r.id as DocumentId), error: r.message });
    report.changedDuringScan += batch.length - applied - rejected.length;
  }
  if (stillValid.length > 0) ctx.log.info("repaired", { table: capture.table, ...report.repaired });
}

/**
 * Hashes of the rows as committed now, with the WAL position read in the same snapshot: every
 * change already in those rows is at or below it, so a repair written at that position is
 * beaten by any change the rows do not contain yet. Absent keys are not in the map.
 */
async function currentRows(ctx: ReconcileContext, capture: Capture, key: TableKey, ids: DocumentId[]): Promise<{ hashes: Map<string, string>; wal: bigint }> {
  return inShortSnapshot(ctx.pool, async (client) => {
    const res = await client.query<Record<string, string | null>>({ ...rowsWithKeys(capture, key, "*", ids), types: rawTextTypes });
    const out = new Map<string, string>();
    for (const row of res.rows) {
      const keyFields = res.fields.filter((f) => key.columns.includes(f.name));
      try {
        const typed = typeRow(res.fields, row, ctx.decode);
        const doc = transforms[capture.transform](typed);
        delete doc._id;
        out.set(idKey(rowId(typed, key.columns)), contentHash(doc));
      } catch (e) {
        if (!(e instanceof UnrepresentableValueError || e instanceof TransformError || e instanceof DecodeError)) throw e;
        out.set(idKey(rowId(typeRow(keyFields, row, ctx.decode), key.columns)), "unrepresentable");
      }
    }
    return { hashes: out, wal: await walPosition(client) };
  });
}

async function existingKeys(ctx: ReconcileContext, capture: Capture, key: TableKey, ids: DocumentId[]): Promise<Set<string>> {
  const res = await ctx.pool.query<Record<string, string | null>>({ ...rowsWithKeys(capture, key, key.list, ids), types: rawTextTypes });
  return new Set(res.rows.map((r) => idKey(rowId(typeRow(res.fields, r, ctx.decode), key.columns))));
}

/** A table's key: its columns in the configured order, quoted for SQL, and their SQL types. */
export interface TableKey {
  readonly columns: readonly string[];
  /** The quoted columns, comma-separated. */
  readonly list: string;
  /** Each column's SQL type, read from the catalog (so it is safe to splice into a cast). */
  readonly types: readonly string[];
}

async function keyOf(client: pg.Pool, capture: Capture): Promise<TableKey> {
  const columns = keyColumns(capture);
  const res = await client.query<{ name: string; t: string }>(
    "SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS t FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = ANY($2::text[]) AND NOT a.attisdropped",
    [quoteTable(capture.table), columns],
  );
  const types = columns.map((c) => {
    const t = res.rows.find((r) => r.name === c)?.t;
    if (t === undefined) throw new Error(`captures: table ${capture.table} has no column "${c}"; fix captures[].key ("${capture.key}")`);
    return t;
  });
  return { columns, list: columns.map(quoteIdent).join(", "), types };
}

/**
 * SELECT `what` of the rows whose key is one of `ids` (documents' `_id`s). A composite `_id` is
 * matched column by column; an `_id` that is not of the key's shape (another column order,
 * a missing or an extra column, a scalar for a composite key) names no row and is left out.
 */
export function rowsWithKeys(capture: Capture, key: TableKey, what: string, ids: readonly DocumentId[]): { text: string; values: string[][] } {
  const values: string[][] = key.columns.map(() => []);
  for (const id of ids) {
    const texts = keyTexts(id, key.columns);
    if (texts) texts.forEach((t, i) => values[i]!.push(t));
  }
  const arrays = key.types.map((t, i) => `$${i + 1}::${t}[]`).join(", ");
  return { text: `SELECT ${what} FROM ${quoteTable(capture.table)} WHERE (${key.list}) IN (SELECT * FROM unnest(${arrays}))`, values };
}

/** The text of each key column in a document's `_id`, in the key's order; undefined when the `_id` is not of the key's shape. */
export function keyTexts(id: DocumentId, columns: readonly string[]): string[] | undefined {
  if (columns.length === 1) return isScalarId(id) ? [String(id)] : undefined;
  if (isScalarId(id) || id === null || typeof id !== "object") return undefined;
  const fields = Object.keys(id);
  if (fields.length !== columns.length || fields.some((f, i) => f !== columns[i])) return undefined;
  const out: string[] = [];
  for (const c of columns) {
    const v = (id as CompositeId)[c];
    if (!isScalarId(v)) return undefined;
    out.push(String(v));
  }
  return out;
}

function isScalarId(v: unknown): v is string | number | Long {
  return typeof v === "string" || (typeof v === "number" && Number.isFinite(v)) || v instanceof Long;
}

/**
 * The `_id` the worker writes for a row (typed as the worker types it): the key column's value, or
 * for a composite key a document of the key columns in the configured order (see change.ts).
 */
export function rowId(typed: Record<string, unknown>, columns: readonly string[]): DocumentId {
  const values = columns.map((c) => {
    const v = typed[c];
    return v instanceof Long ? v : documentId(v, c);
  });
  if (columns.length === 1) return values[0]!;
  return Object.fromEntries(columns.map((c, i) => [c, values[i]])) as CompositeId;
}

/** A key for reports and logs: the value, or `column=value` pairs of a composite key. */
export function idText(id: DocumentId): string {
  if (isScalarId(id)) return String(id);
  return Object.entries(id)
    .map(([c, v]) => `${c}=${String(v)}`)
    .join(",");
}

/** The report of a table whose scan failed (counted in the metrics; the other tables go on). */
export function failedReport(c: Capture, e: unknown): TableReport {
  return { ...emptyReport(c), error: e instanceof Error ? e.message : String(e) };
}

function emptyReport(c: Capture): TableReport {
  return {
    repairRejected: 0,
    table: c.table,
    collection: c.collection,
    rows: 0,
    documents: 0,
    missing: 0,
    extra: 0,
    different: 0,
    ahead: 0,
    unrepresentable: 0,
    repaired: { missing: 0, extra: 0, different: 0, ahead: 0 },
    changedDuringScan: 0,
    samples: { missing: [], extra: [], different: [], ahead: [], unrepresentable: [] },
  };
}

function sample(list: string[], key: string): void {
  if (list.length < SAMPLES) list.push(key);
}

export function quoteIdent(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}

export function quoteTable(table: string): string {
  const dot = table.indexOf(".");
  return `${quoteIdent(table.slice(0, dot))}.${quoteIdent(table.slice(dot + 1))}`;
}
