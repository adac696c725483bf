/**
 * Row-by-row comparison of PostgreSQL and the read model. Expected documents
 * are built from PostgreSQL's own text output (the reconciler's typing path),
 * independently of the Debezium/Kafka path the worker took.
 */
import type { Capture } from "../../components/capture";
import { quoteIdent, quoteTable } from "../../components/capture";
import { decodeOptionsFor } from "../../workers/src/mongo/compat.js";
import { contentHash } from "../../workers/src/reconciler/hash.js";
import { rawTextTypes, typeRow } from "../../workers/src/reconciler/pg-typing.js";
import { documentId } from "../../workers/src/sync/change.js";
import { idKey } from "../../workers/src/sync/compact.js";
import type { Document } from "../../workers/src/testing/deps.js";
import { transforms } from "../../workers/src/transform/transforms.js";
import { eventually } from "./dataplane";
import type { Pipeline } from "./pipeline";
import { STORE_ENV } from "./pipeline";

const decode = decodeOptionsFor(STORE_ENV.COEXIST_MONGODB_COMPAT);

export async function expectedDocs(p: Pipeline, c: Capture): Promise<Map<string, Record<string, unknown>>> {
  const client = await p.pool.connect();
  try {
    await client.query("SET TimeZone = 'UTC'");
    const res = await client.query({ text: `SELECT * FROM ${quoteTable(c.table)} ORDER BY ${quoteIdent(c.key)}`, types: rawTextTypes });
    const out = new Map<string, Record<string, unknown>>();
    for (const row of res.rows) {
      const typed = typeRow(res.fields, row, decode);
      out.set(idKey(documentId(typed[c.key], c.key)), transforms[c.transform](typed));
    }
    return out;
  } finally {
    client.release();
  }
}

/** Live documents (soft tombstones excluded), by id. */
export async function storedDocs(p: Pipeline, c: Capture): Promise<Map<string, Document>> {
  const docs = await p.db.collection(c.collection).find({ _deleted: { $ne: true } }).toArray();
  return new Map(docs.map((d) => [idKey(d._id as never), d]));
}

export interface Diff {
  missing: string[];
  extra: string[];
  different: string[];
}

export async function diff(p: Pipeline, c: Capture): Promise<Diff> {
  const [expected, stored] = await Promise.all([expectedDocs(p, c), storedDocs(p, c)]);
  const d: Diff = { missing: [], extra: [], different: [] };
  for (const [k, doc] of expected) {
    const s = stored.get(k);
    if (!s) d.missing.push(k);
    else if (contentHash(s) !== contentHash(doc)) d.different.push(k);
  }
  for (const k of stored.keys()) if (!expected.has(k)) d.extra.push(k);
  return d;
}

export function isEmpty(d: Diff): boolean {
  return d.missing.length + d.extra.length + d.different.length === 0;
}

/** Waits until every captured collection equals its table row by row. */
export async function converged(p: Pipeline, timeoutMs = 90_000): Promise<void> {
  let last: Record<string, Diff> = {};
  await eventually(
    "MongoDB to equal PostgreSQL row by row",
    async () => {
      last = {};
      for (const c of p.captures) last[c.table] = await diff(p, c);
      return Object.values(last).every(isEmpty) ? true : undefined;
    },
    timeoutMs,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last diff: ${JSON.stringify(last)}`);
  });
}

/** Every document (tombstones included), for before/after comparisons. */
export async function snapshotCollections(p: Pipeline): Promise<Record<string, Document[]>> {
  const out: Record<string, Document[]> = {};
  for (const c of p.captures) out[c.collection] = await p.db.collection(c.collection).find().sort({ _id: 1 }).toArray();
  return out;
}
