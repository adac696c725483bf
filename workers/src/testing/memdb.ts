/**
 * An in-memory stand-in for the MongoDB `Db` the writer uses (mongo/writer.ts, mongo/truncate.ts),
 * following MongoDB's rules for exactly the operations they send, so the model test
 * (sync/model.test.ts) runs the writer's real code:
 * - documents keyed by `_id` (the number 5 and Long(5) are one key, "5" another; `_id` may be a
 *   document, compared field by field in order);
 * - filters: equality, `$lt` (strings), `$exists`, `$ne`, `$in`, `$or`;
 * - `insertMany` / `bulkWrite` unordered: every operation is tried, failures are reported as a
 *   `MongoBulkWriteError` with `writeErrors` (index, code, errmsg, `err.keyPattern`) and the
 *   counts of those that went through;
 * - upsert: no match inserts `_id` from the filter plus the replacement or the `$set` and
 *   `$setOnInsert` fields; an `_id` already present (matched by `_id` but not by the rest of the
 *   filter) fails with E11000 on `{_id: 1}`, as the server does;
 * - `$set` of a dotted path sets the nested field.
 *
 * Faults are injected through `faults`: a network error before any write, a bulk that applies
 * its first half and then loses the connection, and collisions on another unique index
 * (E11000 with `keyPattern: {email: 1}`) for chosen ids.
 */
import { Long, MongoBulkWriteError, MongoNetworkError, MongoServerError, type Document } from "mongodb";

export interface Faults {
  /** Throws a network error before the next N bulk writes apply anything. */
  failNext: number;
  /** The next N bulk writes apply their first half, then throw a network error. */
  halfApplyNext: number;
  /** `idKey`s of ids whose next write collides on a unique index on `email`, with how many times left. */
  readonly collide: Map<string, number>;
}

export function keyOf(id: unknown): string {
  if (typeof id === "string") return `s:${id}`;
  if (typeof id === "number") return `n:${id}`;
  if (id instanceof Long) return `n:${id.toString()}`;
  if (typeof id === "bigint") return `n:${id}`;
  if (id !== null && typeof id === "object") return `o:{${Object.entries(id as Document).map(([k, v]) => `${k}=${keyOf(v)}`).join(",")}}`;
  return `x:${String(id)}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  if ((typeof a === "number" || a instanceof Long) && (typeof b === "number" || b instanceof Long)) return keyOf(a) === keyOf(b);
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") return keyOf(a) === keyOf(b);
  return a === b;
}

function get(doc: Document, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split(".")) v = v !== null && typeof v === "object" ? (v as Document)[part] : undefined;
  return v;
}

export function matches(doc: Document, filter: Document): boolean {
  for (const [k, cond] of Object.entries(filter)) {
    if (k === "$or") {
      if (!(cond as Document[]).some((f) => matches(doc, f))) return false;
      continue;
    }
    const v = get(doc, k);
    if (cond !== null && typeof cond === "object" && !(cond instanceof Long) && Object.keys(cond).some((o) => o.startsWith("$"))) {
      for (const [op, arg] of Object.entries(cond as Document)) {
        if (op === "$lt" && !(typeof v === "string" && typeof arg === "string" && v < arg)) return false;
        if (op === "$exists" && (v !== undefined) !== Boolean(arg)) return false;
        if (op === "$ne" && sameValue(v, arg)) return false;
        if (op === "$in" && !(arg as unknown[]).some((a) => sameValue(v, a))) return false;
        if (!["$lt", "$exists", "$ne", "$in"].includes(op)) throw new Error(`memdb: operator ${op} not modelled`);
      }
    } else if (!sameValue(v, cond)) return false;
  }
  return true;
}

function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split(".");
  let o = doc;
  for (const p of parts.slice(0, -1)) {
    if (o[p] === null || typeof o[p] !== "object") o[p] = {};
    o = o[p] as Document;
  }
  o[parts[parts.length - 1] as string] = value;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

interface WriteErr {
  index: number;
  code: number;
  errmsg: string;
  err: { index: number; code: number; errmsg: string; keyPattern: Document };
}

function dup(index: number, keyPattern: Document, coll: string): WriteErr {
  const errmsg = `E11000 duplicate key error collection: coexist.${coll} index: ${Object.keys(keyPattern).join("_")}_1`;
  return { index, code: 11000, errmsg, err: { index, code: 11000, errmsg, keyPattern } };
}

export class MemCollection {
  readonly docs = new Map<string, Document>();
  constructor(
    readonly name: string,
    private readonly faults: Faults,
  ) {}

  #collides(id: unknown): boolean {
    const k = keyOf(id);
    const left = this.faults.collide.get(k) ?? 0;
    if (left <= 0) return false;
    this.faults.collide.set(k, left - 1);
    return true;
  }

  #bulkFault(n: number): number {
    if (this.faults.failNext > 0) {
      this.faults.failNext--;
      throw new MongoNetworkError("memdb: connection reset before the bulk write");
    }
    if (this.faults.halfApplyNext > 0 && n > 1) {
      this.faults.halfApplyNext--;
      return Math.floor(n / 2);
    }
    return n;
  }

  async insertMany(docs: Document[], _o?: unknown): Promise<{ insertedCount: number }> {
    const upTo = this.#bulkFault(docs.length);
    const errors: WriteErr[] = [];
    let inserted = 0;
    docs.slice(0, upTo).forEach((d, index) => {
      const k = keyOf(d._id);
      if (this.docs.has(k)) errors.push(dup(index, { _id: 1 }, this.name));
      else if (this.#collides(d._id)) errors.push(dup(index, { email: 1 }, this.name));
      else {
        this.docs.set(k, clone(d));
        inserted++;
      }
    });
    if (upTo < docs.length) throw new MongoNetworkError("memdb: connection reset in the middle of insertMany");
    if (errors.length > 0) throw new MongoBulkWriteError({ message: errors[0]?.errmsg ?? "", code: 11000, writeErrors: errors as never }, { insertedCount: inserted, upsertedCount: 0, matchedCount: 0 } as never);
    return { insertedCount: inserted };
  }

  async bulkWrite(ops: Document[], _o?: unknown): Promise<{ upsertedCount: number; matchedCount: number }> {
    const upTo = this.#bulkFault(ops.length);
    const errors: WriteErr[] = [];
    let upserted = 0;
    let matched = 0;
    ops.slice(0, upTo).forEach((op, index) => {
      const r = this.#one(op, index);
      if ("error" in r) errors.push(r.error);
      else if (r.upserted) upserted++;
      else if (r.matched) matched++;
    });
    if (upTo < ops.length) throw new MongoNetworkError("memdb: connection reset in the middle of bulkWrite");
    if (errors.length > 0) throw new MongoBulkWriteError({ message: errors[0]?.errmsg ?? "", code: 11000, writeErrors: errors as never }, { insertedCount: 0, upsertedCount: upserted, matchedCount: matched } as never);
    return { upsertedCount: upserted, matchedCount: matched };
  }

  #one(op: Document, index: number): { upserted: boolean; matched: boolean } | { error: WriteErr } {
    const spec = (op.replaceOne ?? op.updateOne) as Document;
    const filter = spec.filter as Document;
    const id = filter._id;
    const k = keyOf(id);
    const stored = this.docs.get(k);
    if (stored && matches(stored, filter)) {
      if (this.#collides(id)) return { error: dup(index, { email: 1 }, this.name) };
      if (op.replaceOne) this.docs.set(k, { _id: stored._id, ...clone(spec.replacement as Document) });
      else for (const [p, v] of Object.entries((spec.update as Document).$set ?? {})) setPath(stored, p, clone(v));
      return { upserted: false, matched: true };
    }
    if (!spec.upsert) return { upserted: false, matched: false };
    if (stored) return { error: dup(index, { _id: 1 }, this.name) };
    if (this.#collides(id)) return { error: dup(index, { email: 1 }, this.name) };
    const doc: Document = { _id: id };
    if (op.replaceOne) Object.assign(doc, clone(spec.replacement as Document));
    else {
      const u = spec.update as Document;
      for (const [p, v] of Object.entries({ ...(u.$setOnInsert ?? {}), ...(u.$set ?? {}) })) setPath(doc, p, clone(v));
    }
    this.docs.set(k, doc);
    return { upserted: true, matched: false };
  }

  async insertOne(doc: Document): Promise<{ insertedId: unknown }> {
    const k = keyOf(doc._id);
    if (this.docs.has(k)) throw new MongoServerError({ message: "E11000 duplicate key error", code: 11000, errmsg: "E11000 duplicate key error", keyPattern: { _id: 1 } });
    this.docs.set(k, clone(doc));
    return { insertedId: doc._id };
  }

  async replaceOne(filter: Document, replacement: Document, o?: { upsert?: boolean }): Promise<{ modifiedCount: number; matchedCount: number }> {
    const r = this.#one({ replaceOne: { filter, replacement, upsert: o?.upsert ?? false } }, 0);
    if ("error" in r) throw new MongoBulkWriteError({ message: r.error.errmsg, code: 11000, writeErrors: [r.error] as never }, { insertedCount: 0, upsertedCount: 0, matchedCount: 0 } as never);
    return { modifiedCount: r.matched || r.upserted ? 1 : 0, matchedCount: r.matched ? 1 : 0 };
  }

  async updateOne(filter: Document, update: Document, o?: { upsert?: boolean }): Promise<{ modifiedCount: number }> {
    const r = this.#one({ updateOne: { filter, update, upsert: o?.upsert ?? false } }, 0);
    if ("error" in r) {
      // As the driver: a single write's duplicate key is a MongoServerError.
      throw new MongoServerError({ message: r.error.errmsg, code: 11000, errmsg: r.error.errmsg });
    }
    return { modifiedCount: r.matched || r.upserted ? 1 : 0 };
  }

  find(filter: Document, o?: { projection?: Document }): { limit(n: number): { toArray(): Promise<Document[]> }; toArray(): Promise<Document[]> } {
    const all = () => [...this.docs.values()].filter((d) => matches(d, filter)).map((d) => project(d, o?.projection));
    return { limit: (n: number) => ({ toArray: async () => all().slice(0, n) }), toArray: async () => all() };
  }

  async findOne(filter: Document, o?: { projection?: Document }): Promise<Document | null> {
    return (await this.find(filter, o).toArray())[0] ?? null;
  }
}

function project(d: Document, projection?: Document): Document {
  if (!projection) return clone(d);
  const out: Document = { _id: d._id };
  for (const k of Object.keys(projection)) if (d[k] !== undefined) out[k] = clone(d[k]);
  return out;
}

export class MemDb {
  readonly faults: Faults = { failNext: 0, halfApplyNext: 0, collide: new Map() };
  readonly #collections = new Map<string, MemCollection>();
  collection(name: string): MemCollection {
    let c = this.#collections.get(name);
    if (!c) this.#collections.set(name, (c = new MemCollection(name, this.faults)));
    return c;
  }
}
