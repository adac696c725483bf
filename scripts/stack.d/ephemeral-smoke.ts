/**
 * The post-deploy smoke test of an ephemeral stack: a canary row written to PostgreSQL must appear
 * in MongoDB within a bound, and its delete must follow (the read model keeps a soft tombstone);
 * where Kong runs, the gateway must refuse a call without a token. On failure it says what it saw
 * on the way: the connector's state, the slot, the document (or its absence), the worker's log.
 */
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import type { Capture } from "../../components/capture";
import { quoteIdent, quoteTable, splitTable } from "../../components/capture";
import { connectFetch } from "./dataplane-env";

export interface SmokeTarget {
  /** Writes the canary: a role that may INSERT and DELETE on the captured table. */
  readonly postgresUrl: string;
  readonly mongoUrl: string;
  readonly mongoDatabase: string;
  readonly capture: Capture;
  readonly connectUrl?: string;
  readonly connector: string;
  readonly slot: string;
  /** Where the gateway's proxy answers, when it runs; otherwise why it is not checked. */
  readonly kong: { readonly url: string } | { readonly skipped: string };
  /** The worker's recent log, when this process runs it. */
  readonly workerLog?: () => string;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

interface Column {
  readonly column_name: string;
  readonly data_type: string;
  readonly is_nullable: "YES" | "NO";
  readonly column_default: string | null;
  readonly is_identity: "YES" | "NO";
  readonly is_generated: "ALWAYS" | "NEVER";
}

/** A value for a NOT NULL column without a default, by type; undefined for a type we cannot invent. */
function canaryValue(c: Column): unknown {
  const t = c.data_type;
  if (/char|text/.test(t)) return "coexist-canary";
  if (/int|numeric|decimal|real|double/.test(t)) return 0;
  if (t === "boolean") return false;
  if (/timestamp|date/.test(t)) return new Date();
  if (/json/.test(t)) return "{}";
  if (t === "uuid") return randomUUID();
  return undefined;
}

/** The canary's key in the column's type: a negative number never used by real rows, or a marked string. */
export function canaryKey(dataType: string, now = Date.now()): string | number {
  if (/int|numeric|decimal/.test(dataType)) return -(now % 1_000_000_000_000);
  if (dataType === "uuid") return randomUUID();
  return `coexist-canary-${now}`;
}

/** The INSERT for a canary row: the key, plus a value for every column that demands one. */
export function canaryInsert(table: string, keyColumn: string, key: unknown, columns: readonly Column[]): { sql: string; values: unknown[] } {
  const names = [keyColumn];
  const values: unknown[] = [key];
  for (const c of columns) {
    if (c.column_name === keyColumn || c.is_nullable === "YES" || c.column_default !== null || c.is_identity === "YES" || c.is_generated === "ALWAYS") continue;
    const v = canaryValue(c);
    if (v === undefined) throw new Error(`smoke test: ${table}.${c.column_name} is NOT NULL without a default and of type ${c.data_type}, for which no canary value is known; fix: give the column a default, or choose another capture with --table`);
    names.push(c.column_name);
    values.push(v);
  }
  return { sql: `INSERT INTO ${quoteTable(table)} (${names.map(quoteIdent).join(", ")}) VALUES (${values.map((_, i) => `$${i + 1}`).join(", ")})`, values };
}

async function poll<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function smokeTest(t: SmokeTarget, timeoutMs: number, log: (line: string) => void): Promise<SmokeResult> {
  const lines: string[] = [];
  const { MongoClient } = await import("../../workers/src/testing/deps.js");
  const pg = new Client({ connectionString: t.postgresUrl, statement_timeout: 30_000 });
  const mongo = new MongoClient(t.mongoUrl, { serverSelectionTimeoutMS: 15_000 });
  await pg.connect();
  try {
    await mongo.connect();
    const { schema, name } = splitTable(t.capture.table);
    const columns = (await pg.query<Column>("SELECT column_name, data_type, is_nullable, column_default, is_identity, is_generated FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2", [schema, name])).rows;
    const keyColumn = columns.find((c) => c.column_name === t.capture.key);
    if (!keyColumn) throw new Error(`smoke test: ${t.capture.table} has no column ${t.capture.key} (the capture's key); fix: check coexist:capture`);
    const key = canaryKey(keyColumn.data_type);
    const insert = canaryInsert(t.capture.table, t.capture.key, key, columns);
    const collection = mongo.db(t.mongoDatabase).collection(t.capture.collection);
    const started = Date.now();
    await pg.query(insert.sql, insert.values);
    log(`canary ${t.capture.table} ${t.capture.key}=${key} written; waiting for ${t.mongoDatabase}.${t.capture.collection} (up to ${timeoutMs / 1000}s)`);
    const arrived = await poll(timeoutMs, async () => (await collection.findOne({ _id: key as never, _deleted: { $ne: true } })) ?? undefined);
    let ok = arrived !== undefined;
    lines.push(ok ? `ok: the canary reached MongoDB in ${((Date.now() - started) / 1000).toFixed(1)}s` : `FAILED: the canary did not reach ${t.mongoDatabase}.${t.capture.collection} within ${timeoutMs / 1000}s`);
    await pg.query(`DELETE FROM ${quoteTable(t.capture.table)} WHERE ${quoteIdent(t.capture.key)} = $1`, [key]);
    if (ok) {
      const deletedAt = Date.now();
      const tombstone = await poll(timeoutMs, async () => {
        const doc = await collection.findOne({ _id: key as never });
        return doc === null || doc._deleted === true ? true : undefined;
      });
      ok = tombstone === true;
      lines.push(ok ? `ok: its delete reached MongoDB in ${((Date.now() - deletedAt) / 1000).toFixed(1)}s` : `FAILED: the canary's delete did not reach MongoDB within ${timeoutMs / 1000}s`);
    }
    if (!ok) lines.push(...(await whatWasSeen(t, pg, key, collection)));
    const kong = await checkGateway(t.kong);
    lines.push(kong.line);
    return { ok: ok && kong.ok, lines };
  } finally {
    await pg.end();
    await mongo.close();
  }
}

async function whatWasSeen(t: SmokeTarget, pg: Client, key: unknown, collection: { findOne(q: object): Promise<unknown> }): Promise<string[]> {
  const seen: string[] = ["what was seen:"];
  if (t.connectUrl) {
    const res = await connectFetch(`${t.connectUrl}/connectors/${encodeURIComponent(t.connector)}/status`).catch((e: Error) => ({ ok: false, status: 0, text: async () => e.message }) as Response);
    seen.push(`  connector ${t.connector}: ${res.ok ? JSON.stringify(await res.json()).slice(0, 1_500) : `HTTP ${res.status} ${(await res.text()).slice(0, 300)}`}`);
  }
  const slot = await pg.query("SELECT active, confirmed_flush_lsn, wal_status, pg_current_wal_lsn() AS current FROM pg_replication_slots WHERE slot_name = $1", [t.slot]);
  seen.push(`  replication slot ${t.slot}: ${slot.rows.length === 0 ? "missing" : JSON.stringify(slot.rows[0])}`);
  seen.push(`  document _id=${JSON.stringify(key)}: ${JSON.stringify(await collection.findOne({ _id: key as never })) ?? "none"}`);
  if (t.workerLog) seen.push(`  sync worker log (last lines):\n${t.workerLog().split("\n").map((l) => `    ${l}`).join("\n")}`);
  return seen;
}

/** Where Kong runs: a route without a token must be refused (jwt is live), which also proves the stack's config is loaded. */
export async function checkGateway(kong: SmokeTarget["kong"], route = "/orders"): Promise<{ ok: boolean; line: string }> {
  if ("skipped" in kong) return { ok: true, line: `gateway: not checked (${kong.skipped})` };
  try {
    const res = await fetch(`${kong.url}${route}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 401) return { ok: true, line: `ok: the gateway refuses ${route} without a token (401)` };
    return { ok: false, line: `FAILED: the gateway answered ${route} without a token with HTTP ${res.status} (expected 401): ${(await res.text()).slice(0, 300)}` };
  } catch (e) {
    return { ok: false, line: `FAILED: the gateway at ${kong.url} did not answer: ${(e as Error).message}` };
  }
}
