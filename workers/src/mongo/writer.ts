import { MongoBulkWriteError, type AnyBulkWriteOperation, type Db, type Document } from "mongodb";
import type { Change } from "../sync/change.js";
import { idKey } from "../sync/compact.js";
import { olderThan } from "../sync/version.js";
import type { StoreFlavor } from "./compat.js";
import { Semaphore } from "./semaphore.js";
import { lsnOf, readWatermark } from "./watermark.js";

/** Fields the sync adds; excluded from reconciler hashes. */
export const META_FIELDS = ["_v", "_lsn", "_source", "_synced_at"] as const;
export const DUPLICATE_KEY = 11000;

export interface WriteResult {
  /** Changes that replaced an older version or created the document. */
  readonly applied: number;
  /** Changes skipped because the stored version is the same or newer, or a TRUNCATE covers them. */
  readonly stale: number;
}

export interface Rejection {
  readonly change: Change;
  readonly code: number;
  readonly message: string;
}

export interface WriteOutcome extends WriteResult {
  /** Documents MongoDB refuses for good (invalid, too large): dead-lettered at once. */
  readonly rejected: Rejection[];
  /**
   * Changes that collided on a unique index other than `_id` (one a read service added):
   * a real write that did not happen. The batch is retried; if they still collide, they are
   * dead-lettered. Never counted as stale.
   */
  readonly conflicts: Rejection[];
}

export function sourceOf(table: string): string {
  return `postgresql:${table}`;
}

function meta(c: Pick<Change, "v" | "lsn" | "capture">, now: Date): Document {
  return { _v: c.v, _lsn: c.lsn, _source: sourceOf(c.capture.table), _synced_at: now };
}

/**
 * One guarded upsert per change. The filter only matches a stored document with an older
 * version (`_v`, see version.ts); when the stored one is newer or equal, the upsert tries to
 * insert a second document with the same `_id` and fails with E11000, which then means
 * "skip" (checked: see classifyDuplicates). A delete writes a soft tombstone under the same
 * guard, so a replayed insert can never resurrect it.
 *
 * A partial image (unchanged TOAST columns not sent) is a `$set` of the columns it has. It
 * never matches a tombstone, and when it has to create the document, `_partial: true` says
 * which documents lack columns, so readers and the reconciler can tell (the reconciler's
 * repair writes the full row and drops the flag).
 */
export function buildWriteOps(changes: readonly Change[], now: Date): AnyBulkWriteOperation<Document>[] {
  return changes.map((c) => {
    const filter = { _id: c.id, ...olderThan(c.v) } as Document;
    if (c.deleted || c.doc === null) {
      return { replaceOne: { filter, replacement: { _deleted: true, ...meta(c, now) }, upsert: true } };
    }
    if (c.partial) {
      return {
        updateOne: {
          filter: { ...filter, _deleted: { $ne: true } },
          update: { $set: { ...c.doc, ...meta(c, now) }, $setOnInsert: { _partial: true } },
          upsert: true,
        },
      };
    }
    return { replaceOne: { filter, replacement: { ...c.doc, ...meta(c, now) }, upsert: true } };
  });
}

/**
 * Write errors that reject one document for good (invalid field name, too large, failed
 * validation): retrying cannot help, so the change is dead-lettered instead of blocking its
 * partition. Anything else fails the batch, which is retried.
 */
const REJECTED_CODES = new Set([2, 14, 52, 55, 56, 57, 121, 10334, 17419, 17280]);

/**
 * FerretDB v1.24 keeps every statement's query iterator (one backend connection each) open until
 * the whole `update` command returns (msg_update.go: `defer closer.Close()` inside the loop over
 * statements) and needs one more connection to write: a bulk of 50 statements that match
 * documents deadlocks its default pool of 50 connections (49 answer in 150 ms, 50 never), and
 * concurrent bulks adding up to the pool do the same until FerretDB restarts. With the switch,
 * bulks are sent in commands of at most FERRETDB_MAX_STATEMENTS statements, and the process holds
 * at most FERRETDB_MAX_COMMANDS commands at once: one worker needs at most 8 x (8 + 1) = 72
 * connections whatever its batch size and partition count (the data plane gives FerretDB 200).
 */
export const FERRETDB_MAX_STATEMENTS = 8;
export const FERRETDB_MAX_COMMANDS = 8;
/** FerretDB inserts 100 documents per SQL statement: one command each, several at once. */
const FERRETDB_INSERT_CHUNK = 100;

/** Bounds the commands this process has in flight against FerretDB (see above). */
const ferretdbCommands = new Semaphore(FERRETDB_MAX_COMMANDS);

/**
 * Changes that only create a document as far as anyone knows: a row inserted in PostgreSQL
 * (`c`) or read by the snapshot (`r`), as a full image. They are inserted first, which costs a
 * fraction of a guarded upsert (MongoDB skips the query; FerretDB writes 100 documents per SQL
 * statement instead of a lookup and a write per document). An insert only succeeds where no
 * document with that `_id` exists, which is exactly when the guarded upsert would have inserted;
 * any insert that fails (the document exists: a replay, a row re-inserted after a delete, or a
 * refused document) goes through the guarded upsert, which decides as it always did.
 */
export function insertable(c: Change): boolean {
  return (c.op === "c" || c.op === "r") && !c.deleted && c.doc !== null && !c.partial;
}

interface Duplicate {
  readonly change: Change;
  readonly keyPattern: Document | undefined;
  readonly message: string;
}

interface GuardedResult {
  applied: number;
  readonly rejected: Rejection[];
  readonly duplicates: Duplicate[];
}

/**
 * Writes one partition's compacted changes into their collection.
 * `flavor: "ferretdb-v1"` handles FerretDB v1 stopping an unordered bulk write at its first
 * error (MongoDB carries on): the unprocessed tail is resubmitted. With real MongoDB an
 * incomplete acknowledgement is an error.
 *
 * TRUNCATE fence: changes older than the collection's truncate watermark are dropped, and
 * after the write the watermark is read again: if a TRUNCATE landed meanwhile (another
 * partition, another worker), the documents just written below it are tombstoned. A truncate
 * stores its watermark before it sweeps, so every interleaving ends with them deleted.
 */
export async function writeChanges(db: Db, collection: string, changes: readonly Change[], flavor: StoreFlavor = "mongodb", now: Date = new Date()): Promise<WriteOutcome> {
  const before = await readWatermark(db, collection);
  const live = before === null ? changes : changes.filter((c) => c.v > before);
  let stale = changes.length - live.length;
  const creates = live.filter(insertable);
  const others = creates.length === 0 ? live : live.filter((c) => !insertable(c));
  // Compaction leaves one change per document, so the two groups touch different documents.
  const [inserted, guarded] = await Promise.all([insertNew(db, collection, creates, flavor, now), guardedWrite(db, collection, others, flavor, now)]);
  const retried = await guardedWrite(db, collection, inserted.retry, flavor, now);
  let applied = inserted.applied + guarded.applied + retried.applied;
  const rejected = [...guarded.rejected, ...retried.rejected];
  const duplicates = [...guarded.duplicates, ...retried.duplicates];

  const conflicts: Rejection[] = [];
  if (duplicates.length > 0) {
    const c = await classifyDuplicates(db, collection, duplicates, now);
    stale += c.stale;
    applied += c.applied;
    conflicts.push(...c.conflicts);
  }
  await fenceAgainstTruncate(db, collection, live, before, now);
  return { applied, stale, rejected, conflicts };
}

/** Inserts the creates; hands back those that did not insert, for the guarded upsert. */
async function insertNew(db: Db, collection: string, creates: readonly Change[], flavor: StoreFlavor, now: Date): Promise<{ applied: number; retry: Change[] }> {
  if (creates.length === 0) return { applied: 0, retry: [] };
  const size = flavor === "ferretdb-v1" ? FERRETDB_INSERT_CHUNK : creates.length;
  const chunks: Change[][] = [];
  for (let i = 0; i < creates.length; i += size) chunks.push(creates.slice(i, i + size));
  const results = await Promise.all(chunks.map((chunk) => limited(flavor, () => insertChunk(db, collection, chunk, now))));
  return { applied: results.reduce((n, r) => n + r.applied, 0), retry: results.flatMap((r) => r.retry) };
}

async function insertChunk(db: Db, collection: string, chunk: readonly Change[], now: Date): Promise<{ applied: number; retry: Change[] }> {
  try {
    const r = await db.collection(collection).insertMany(
      chunk.map((c) => ({ _id: c.id, ...c.doc, ...meta(c, now) }) as Document),
      { ordered: false },
    );
    return { applied: r.insertedCount, retry: [] };
  } catch (e) {
    if (!(e instanceof MongoBulkWriteError)) throw e;
    throwOnWriteConcernError(collection, e);
    const errors = Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
    if (errors.length === 0) throw new Error(`${collection}: insert failed: ${e.message}`, { cause: e });
    const inserted = e.result.insertedCount;
    // An acknowledgement that does not add up says nothing of which documents went in: all go
    // through the guarded upsert, which is idempotent (one already inserted counts as stale).
    if (inserted + errors.length !== chunk.length) return { applied: 0, retry: [...chunk] };
    return { applied: inserted, retry: errors.map((w) => chunk[w.index] as Change) };
  }
}

/**
 * The guarded upserts (see buildWriteOps), as unordered bulk writes: one per partition on
 * MongoDB; on FerretDB v1 commands of FERRETDB_MAX_STATEMENTS, several at once.
 */
async function guardedWrite(db: Db, collection: string, changes: readonly Change[], flavor: StoreFlavor, now: Date): Promise<GuardedResult> {
  const out: GuardedResult = { applied: 0, rejected: [], duplicates: [] };
  if (changes.length === 0) return out;
  const size = flavor === "ferretdb-v1" ? FERRETDB_MAX_STATEMENTS : changes.length;
  const chunks: Change[][] = [];
  for (let i = 0; i < changes.length; i += size) chunks.push(changes.slice(i, i + size));
  await Promise.all(chunks.map((chunk) => limited(flavor, () => guardedChunk(db, collection, chunk, flavor, now, out))));
  return out;
}

async function guardedChunk(db: Db, collection: string, chunk: readonly Change[], flavor: StoreFlavor, now: Date, out: GuardedResult): Promise<void> {
  const ops = buildWriteOps(chunk, now);
  let offset = 0;
  while (offset < ops.length) {
    const slice = offset === 0 ? ops : ops.slice(offset);
    let done: number;
    try {
      const r = await db.collection(collection).bulkWrite(slice, { ordered: false });
      out.applied += r.upsertedCount + r.matchedCount;
      done = slice.length;
    } catch (e) {
      if (!(e instanceof MongoBulkWriteError)) throw e;
      throwOnWriteConcernError(collection, e);
      const errors = Array.isArray(e.writeErrors) ? e.writeErrors : [e.writeErrors];
      // The driver also wraps a network or server error in MongoBulkWriteError, with no write
      // errors: nothing is known about the writes, so the batch fails and is retried.
      if (errors.length === 0) throw new Error(`${collection}: bulk write failed: ${e.message}`, { cause: e });
      for (const w of errors) {
        const change = chunk[offset + w.index] as Change;
        if (w.code === DUPLICATE_KEY) out.duplicates.push({ change, keyPattern: (w.err as { keyPattern?: Document } | undefined)?.keyPattern, message: w.errmsg ?? "E11000" });
        else if (REJECTED_CODES.has(w.code)) out.rejected.push({ change, code: w.code, message: w.errmsg ?? "rejected" });
        else throw new Error(`${collection}: write of _id ${String(change.id)} failed: ${w.errmsg ?? "unknown error"} (code ${w.code})`, { cause: e });
      }
      const ok = e.result.upsertedCount + e.result.matchedCount;
      out.applied += ok;
      done = slice.length;
      if (ok + errors.length !== slice.length) {
        if (flavor !== "ferretdb-v1") {
          throw new Error(`${collection}: the server acknowledged ${ok + errors.length} of ${slice.length} unordered writes; refusing to commit the batch`, { cause: e });
        }
        done = Math.max(...errors.map((w) => w.index)) + 1;
      }
    }
    offset += done;
  }
}

/**
 * A bulk with write errors *and* a write-concern error (a primary stepping down while some
 * writes hit duplicates) is reported as a MongoBulkWriteError carrying the write errors; the
 * write-concern error is only in its result (`getWriteConcernError()`). Writes acknowledged
 * without the requested concern can be rolled back, so the batch fails and is not committed.
 */
function throwOnWriteConcernError(collection: string, e: MongoBulkWriteError): void {
  const result = e.result as { getWriteConcernError?: () => { code?: number; errmsg?: string } | undefined } | undefined;
  const wce = typeof result?.getWriteConcernError === "function" ? result.getWriteConcernError() : undefined;
  if (wce) throw new Error(`${collection}: write concern not satisfied: ${wce.errmsg ?? "write concern error"} (code ${wce.code ?? "?"}); refusing to commit the batch`, { cause: e });
}

function limited<T>(flavor: StoreFlavor, f: () => Promise<T>): Promise<T> {
  return flavor === "ferretdb-v1" ? ferretdbCommands.run(f) : f();
}

/**
 * Only a collision on `_id` means "the stored version is the same or newer". MongoDB says
 * which index collided (`keyPattern`); FerretDB v1 does not (measured: its E11000 names only
 * the collection). So, unless the server named a non-`_id` index, the stored document is read
 * back: an equal or newer `_v` is stale; anything else is a collision on another unique index,
 * i.e. a real write that did not happen.
 */
async function classifyDuplicates(
  db: Db,
  collection: string,
  duplicates: readonly Duplicate[],
  now: Date,
): Promise<{ stale: number; applied: number; conflicts: Rejection[] }> {
  const conflicts: Rejection[] = [];
  const toCheck = duplicates.filter((d) => {
    const fields = d.keyPattern ? Object.keys(d.keyPattern) : undefined;
    if (fields && !(fields.length === 1 && fields[0] === "_id")) {
      conflicts.push({ change: d.change, code: DUPLICATE_KEY, message: `unique index on ${fields.join(", ")}: ${d.message}` });
      return false;
    }
    return true;
  });
  const stored = new Map<string, Document>();
  if (toCheck.length > 0) {
    const docs = await db
      .collection(collection)
      .find({ _id: { $in: toCheck.map((d) => d.change.id) } } as Document, { projection: { _id: 1, _v: 1, _deleted: 1 } })
      .toArray();
    for (const d of docs) stored.set(idKey(d._id as never), d);
  }
  let stale = 0;
  let applied = 0;
  for (const { change, message } of toCheck) {
    const doc = stored.get(idKey(change.id));
    const v = typeof doc?._v === "string" ? doc._v : undefined;
    if (doc && v !== undefined && v >= change.v) {
      stale++;
    } else if (doc && doc._deleted === true && change.partial) {
      // A partial image over an older tombstone: the columns it lacks cannot be read from anywhere.
      applied += await replacePartialTombstone(db, collection, change, v, now);
    } else {
      conflicts.push({ change, code: DUPLICATE_KEY, message: `duplicate key on a unique index other than _id (the stored document is ${doc ? `at version ${v ?? "none"}` : "absent"}): ${message}` });
    }
  }
  return { stale, applied, conflicts };
}

async function replacePartialTombstone(db: Db, collection: string, change: Change, observed: string | undefined, now: Date): Promise<number> {
  const filter: Document = { _id: change.id, _deleted: true, _v: observed ?? { $exists: false } };
  const r = await db.collection(collection).replaceOne(filter, { ...expandDotted(change.doc ?? {}), _partial: true, ...meta(change, now) });
  return r.modifiedCount;
}

/** `{"address.city": "x"}` → `{address: {city: "x"}}`: replacement documents cannot hold dotted paths. */
export function expandDotted(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) {
    const dot = k.indexOf(".");
    if (dot < 0) {
      out[k] = v;
      continue;
    }
    const parent = (out[k.slice(0, dot)] ??= {}) as Record<string, unknown>;
    parent[k.slice(dot + 1)] = v;
  }
  return out;
}

async function fenceAgainstTruncate(db: Db, collection: string, written: readonly Change[], before: string | null, now: Date): Promise<void> {
  if (written.length === 0) return;
  const after = await readWatermark(db, collection);
  if (after === null || after === before) return;
  const below = written.filter((c) => c.v < after);
  if (below.length === 0) return;
  const first = below[0] as Change;
  const tombstone = { _deleted: true, _v: after, _lsn: lsnOf(after), _source: sourceOf(first.capture.table), _synced_at: now };
  await db.collection(collection).bulkWrite(
    below.map((c) => ({ replaceOne: { filter: { _id: c.id, ...olderThan(after) } as Document, replacement: tombstone } })),
    { ordered: false },
  );
}
