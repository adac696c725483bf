/**
 * The model-based test of the sync path (issue 14 §3): generated schedules of PostgreSQL changes
 * and faults, run through the real decoding, compaction, guard and writer code (mongo/writer.ts
 * against memdb.ts), the real worker loop (sync/worker.ts, processor.ts) and the real partition
 * ownership (kafka/ownership.ts), over a fake broker and group client that do what brokers and
 * clients do: per-partition logs, group generations, assignments applied at each member's next
 * poll, fetch buffers that keep a revoked partition's records, commits rejected across
 * generations (and overwriting, so a late commit can go backwards), lost commits. Reconciler
 * repairs run the real buildRepairOps/applyRepairs against the same store.
 *
 * The property: once the schedule's faults stop and every record is processed, the read model
 * equals the model (the last PostgreSQL image per key; deleted and truncated rows as
 * tombstones or absent), and no dead letter is sent more often than its record was delivered.
 */
import fc from "fast-check";
import { Ownership, tpKey, type TopicPartition } from "../kafka/ownership.js";
import type { DeadLetter, DeadLetterSink, RecordSource } from "../kafka/types.js";
import { writeChanges } from "../mongo/writer.js";
import { applyTruncate } from "../mongo/truncate.js";
import type { Logger } from "../runtime/log.js";
import { SyncMetrics } from "../runtime/metrics.js";
import { parseRecord, type RawRecord } from "../sync/change.js";
import type { Divergence } from "../reconciler/compare.js";
import { applyRepairs } from "../reconciler/repair.js";
import { SNAPSHOT, version } from "../sync/version.js";
import { BatchProcessor, recordKey } from "../sync/processor.js";
import { SyncWorker } from "../sync/worker.js";
import { keyOf, MemDb } from "./memdb.js";
import { ORDERS, orderRecord, raw, tombstone, truncateRecord } from "./records.js";

const UNAVAILABLE = "__debezium_unavailable_value";
export const PARTITIONS = 2;
const KEYS = 3;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export type Step =
  | { t: "insert"; key: number; status: string; notes: string }
  | { t: "update"; key: number; status: string; notes: string }
  | { t: "partial"; key: number; status: string }
  | { t: "delete"; key: number }
  | { t: "pkUpdate"; key: number; to: number }
  | { t: "truncate"; partition: number }
  | { t: "poison"; key: number }
  | { t: "redrive"; key: number; back: number }
  | { t: "rebalance" }
  | { t: "join" }
  | { t: "leave" }
  | { t: "crash" }
  | { t: "storeFail"; n: number }
  | { t: "halfApply" }
  | { t: "collide"; key: number; n: number }
  | { t: "repair"; key: number }
  | { t: "tick" };

export interface Schedule {
  readonly initial: ReadonlyArray<{ key: number; status: string; notes: string }>;
  readonly steps: readonly Step[];
}

const key = fc.integer({ min: 1, max: KEYS });
const word = fc.constantFrom("a", "b", "c", "d");

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("insert" as const), key, status: word, notes: word }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("update" as const), key, status: word, notes: word }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("partial" as const), key, status: word }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("delete" as const), key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("pkUpdate" as const), key, to: key }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("truncate" as const), partition: fc.integer({ min: 0, max: PARTITIONS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("poison" as const), key }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("redrive" as const), key, back: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.constant({ t: "rebalance" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "join" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "leave" as const }) },
  { weight: 1, arbitrary: fc.constant({ t: "crash" as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("storeFail" as const), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: "halfApply" as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("collide" as const), key, n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("repair" as const), key }) },
  { weight: 3, arbitrary: fc.constant({ t: "tick" as const }) },
);

export const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  initial: fc.uniqueArray(fc.record({ key, status: word, notes: word }), { selector: (r) => r.key, maxLength: KEYS }),
  steps: fc.array(stepArb, { maxLength: 30 }),
});

interface Row {
  status: string;
  notes: string;
}

/** What the fake source needs from the group; shared by the members of one run. */
class Group {
  generation = 0;
  rotation = 0;
  readonly committed = new Map<string, bigint>();
  readonly logs: RawRecord[][] = Array.from({ length: PARTITIONS }, () => []);
  readonly members: Member[] = [];

  rebalance(): void {
    this.generation++;
    this.rotation++;
    const live = this.members.filter((m) => !m.gone);
    for (const m of live) m.pending = { generation: this.generation, tps: [] };
    for (let p = 0; p < PARTITIONS; p++) {
      const m = live[(p + this.rotation) % live.length];
      m?.pending?.tps.push({ topic: ORDERS.topic, partition: p });
    }
  }

  append(partition: number, r: (offset: bigint, partition: number) => RawRecord): RawRecord {
    const log = this.logs[partition] as RawRecord[];
    const record = r(BigInt(log.length), partition);
    log.push(record);
    return record;
  }
}

/** A group member's client (fetch buffer, positions) with the real Ownership above it, as a RecordSource. */
class Member implements RecordSource {
  readonly ownership = new Ownership();
  pending: { generation: number; tps: TopicPartition[] } | undefined;
  gone = false;
  crashing = false;
  generation = -1;
  worker!: SyncWorker;
  done!: Promise<boolean>;
  readonly #positions = new Map<string, bigint>();
  #buffer: RawRecord[] = [];
  #interrupted = false;

  constructor(
    readonly id: number,
    private readonly group: Group,
    private readonly run: Run,
  ) {}

  async start(): Promise<void> {}

  async next(max: number): Promise<RawRecord[]> {
    await new Promise((r) => setImmediate(r));
    if (this.#interrupted || this.gone) return [];
    this.run.poll(this);
    if (this.gone) return [];
    if (this.pending) {
      const { generation, tps } = this.pending;
      this.pending = undefined;
      const now = new Set(tps.map(tpKey));
      const revoked = this.ownership.ownedKeys().filter((k) => !now.has(k));
      this.ownership.revoked(revoked.map((k) => ({ topic: ORDERS.topic, partition: Number(k.slice(k.lastIndexOf(":") + 1)) })));
      for (const k of revoked) this.#positions.delete(k);
      // The fetch buffer is kept, as clients do: Ownership must drop what it holds of revoked partitions.
      const fresh = tps.filter((tp) => !this.ownership.owns(tp));
      this.ownership.assigned(tps, generation);
      this.generation = generation;
      for (const tp of fresh) this.#positions.set(tpKey(tp), this.group.committed.get(tpKey(tp)) ?? 0n);
    }
    for (const [k, pos] of this.#positions) {
      const log = this.group.logs[Number(k.slice(k.lastIndexOf(":") + 1))] as RawRecord[];
      const fetched = log.slice(Number(pos), Number(pos) + 3);
      for (const r of fetched) {
        const copy = { ...r };
        if (this.ownership.admit(copy)) this.#buffer.push(copy);
      }
      this.#positions.set(k, pos + BigInt(fetched.length));
    }
    const out: RawRecord[] = [];
    while (out.length < max && this.#buffer.length > 0) {
      const r = this.#buffer.shift() as RawRecord;
      if (!this.ownership.current(r)) continue;
      out.push(r);
      this.run.delivered(r);
    }
    return out;
  }

  async commit(records: readonly RawRecord[]): Promise<void> {
    const offsets = this.ownership.commitFor(records);
    if (offsets.size === 0) return;
    if (this.crashing) {
      // Killed after the write, before the commit: the member is gone.
      this.gone = true;
      this.worker.stop();
      this.group.rebalance();
      throw new Error("crashed before the commit");
    }
    const ok = !this.gone && this.generation === this.group.generation;
    this.ownership.commitResult(offsets, this.generation, ok);
    if (!ok) throw new Error("ILLEGAL_GENERATION");
    for (const [k, o] of offsets) this.group.committed.set(k, o);
  }

  async lag(): Promise<Map<string, bigint>> {
    return new Map();
  }
  interrupt(): void {
    this.#interrupted = true;
  }
  async close(): Promise<void> {}
}

class Letters implements DeadLetterSink {
  readonly sent = new Map<string, number>();
  async send(letters: readonly DeadLetter[]): Promise<void> {
    for (const l of letters) this.sent.set(recordKey(l.record), (this.sent.get(recordKey(l.record)) ?? 0) + 1);
  }
  async close(): Promise<void> {}
}

const metrics = new SyncMetrics();

export interface RunResult {
  readonly ok: boolean;
  readonly problems: string[];
}

/** One schedule, run to quiescence. */
export class Run {
  readonly db = new MemDb();
  readonly group = new Group();
  readonly rows = new Map<number, Row>();
  readonly history = new Map<number, RawRecord[]>();
  readonly deliveries = new Map<string, number>();
  readonly poison = new Set<string>();
  readonly dlq = new Letters();
  lsn = 100;
  #steps: Step[];
  #nextId = 0;
  #idle = 0;
  readonly #collisions = new Map<number, number>();
  #stuck: string | undefined;
  lastError: string | undefined;
  #polls = 0;
  #finish!: () => void;
  readonly #finished = new Promise<void>((r) => (this.#finish = r));
  readonly processor: BatchProcessor;

  constructor(readonly schedule: Schedule) {
    this.#steps = [...schedule.steps];
    const db = this.db as never;
    this.processor = new BatchProcessor({
      captures: [ORDERS],
      store: { write: (c, changes) => writeChanges(db, c, changes, "mongodb"), truncate: (t) => applyTruncate(db, t) },
      dlq: this.dlq,
      metrics,
      decode: { decimals: "decimal128" },
    });
  }

  async execute(): Promise<RunResult> {
    for (const r of this.schedule.initial) {
      this.rows.set(r.key, { status: r.status, notes: r.notes });
      this.#append(r.key, (offset, partition) => orderRecord({ order_id: r.key, status: r.status, notes: r.notes }, { op: "r", lsn: 50, offset, partition }));
    }
    this.#join();
    this.#join();
    this.group.rebalance();
    await this.#finished;
    for (const m of this.group.members) m.worker.stop();
    await Promise.all(this.group.members.map((m) => m.done));
    return this.#check();
  }

  #join(): void {
    const m = new Member(this.#nextId++, this.group, this);
    const log: Logger = { ...quiet, error: (msg, f) => (this.lastError = `${msg} ${JSON.stringify(f)}`) };
    m.worker = new SyncWorker({ source: m, processor: this.processor, topics: [ORDERS.topic], batch: { maxRecords: 4, maxWaitMs: 0 }, metrics, log, retry: { initialMs: 0, maxMs: 0 }, sleep: () => new Promise((r) => setImmediate(r)) });
    this.group.members.push(m);
    m.done = m.worker.run();
  }

  #append(k: number, r: (offset: bigint, partition: number) => RawRecord): RawRecord {
    const record = this.group.append(k % PARTITIONS, r);
    const list = this.history.get(k) ?? [];
    list.push(record);
    this.history.set(k, list);
    return record;
  }

  delivered(r: RawRecord): void {
    this.deliveries.set(recordKey(r), (this.deliveries.get(recordKey(r)) ?? 0) + 1);
  }

  /** Called on every poll: applies the next step, or, once there are none, waits for quiescence. */
  poll(_m: Member): void {
    if (++this.#polls > 20_000) {
      this.#stuck = `did not quiesce in 20000 polls: log ends ${this.group.logs.map((l) => l.length).join(",")}, committed ${[...this.group.committed].map(([k, o]) => `${k}@${o}`).join(",")}, members ${this.group.members.map((m) => `${m.id}${m.gone ? " gone" : ""} gen ${m.generation}/${this.group.generation} owns ${m.ownership.ownedKeys().join("+")}`).join("; ")}; last error: ${this.lastError}`;
      for (const m of this.group.members) m.gone = true;
      return this.#finish();
    }
    const step = this.#steps.shift();
    if (step) return this.#apply(step);
    const live = this.group.members.filter((m) => !m.gone);
    if (live.length === 0) this.#join();
    const done = this.group.logs.every((log, p) => (this.group.committed.get(`${ORDERS.topic}:${p}`) ?? 0n) === BigInt(log.length));
    if (done) return this.#finish();
    // A commit lost in the churn (rejected across generations) is not retried, and a partition
    // kept by its member is not fetched again: its committed offset stays behind until the next
    // move. Quiescence comes with a rolling restart, as it does in a cluster.
    if (++this.#idle % 50 === 0) {
      const m = live[0];
      if (m) {
        m.gone = true;
        m.worker.stop();
      }
      this.#join();
      this.group.rebalance();
    }
  }

  #apply(s: Step): void {
    const live = this.group.members.filter((m) => !m.gone);
    switch (s.t) {
      case "insert":
        if (this.rows.has(s.key)) return;
        this.rows.set(s.key, { status: s.status, notes: s.notes });
        this.#change(s.key, "c");
        return;
      case "update":
        if (!this.rows.has(s.key)) return;
        this.rows.set(s.key, { status: s.status, notes: s.notes });
        this.#change(s.key, "u");
        return;
      case "partial": {
        const row = this.rows.get(s.key);
        if (!row) return;
        row.status = s.status;
        this.#change(s.key, "u", true);
        return;
      }
      case "delete":
        if (!this.rows.has(s.key)) return;
        this.#delete(s.key);
        return;
      case "pkUpdate": {
        const row = this.rows.get(s.key);
        if (!row || this.rows.has(s.to)) return;
        // Debezium: a delete (and tombstone) of the old key, a create of the new one.
        this.#delete(s.key);
        this.rows.set(s.to, { ...row });
        this.#change(s.to, "c");
        return;
      }
      case "truncate": {
        this.rows.clear();
        const lsn = (this.lsn += 10);
        this.group.append(s.partition, (offset, partition) => truncateRecord({ lsn, offset, partition }));
        return;
      }
      case "poison": {
        const r = this.#append(s.key, (offset, partition) => raw(ORDERS.topic, { order_id: s.key }, "{not json", offset, partition));
        this.poison.add(recordKey(r));
        return;
      }
      case "redrive": {
        // An operator re-publishes an older record of the key (from the DLQ) at the end of its partition.
        const list = (this.history.get(s.key) ?? []).filter((r) => r.value !== null && r.value.toString() !== "{not json");
        const old = list[list.length - s.back];
        if (!old) return;
        this.#append(s.key, (offset, partition) => ({ ...old, offset, partition }));
        return;
      }
      case "rebalance":
        this.group.rebalance();
        return;
      case "join":
        if (live.length >= 3) return;
        this.#join();
        this.group.rebalance();
        return;
      case "leave": {
        if (live.length < 2) return;
        const m = live[0] as Member;
        m.gone = true;
        m.worker.stop();
        this.group.rebalance();
        return;
      }
      case "crash": {
        const m = live[0];
        if (!m) return;
        m.crashing = true;
        // Its replacement (a restarted pod) joins.
        this.#join();
        return;
      }
      case "storeFail":
        this.db.faults.failNext += s.n;
        return;
      case "halfApply":
        this.db.faults.halfApplyNext++;
        return;
      case "collide": {
        // Transient: every conflicting attempt consumes at least one collision; at most 4 per
        // key over the whole run, so fewer conflicting attempts than the processor's 5.
        const given = this.#collisions.get(s.key) ?? 0;
        const n = Math.min(s.n, 4 - given);
        this.#collisions.set(s.key, given + n);
        const k = keyOf(s.key);
        this.db.faults.collide.set(k, (this.db.faults.collide.get(k) ?? 0) + n);
        return;
      }
      case "repair":
        this.#repair(s.key);
        return;
      case "tick":
        return;
    }
  }

  #change(k: number, op: "c" | "u", partial = false): void {
    const row = this.rows.get(k) as Row;
    const lsn = (this.lsn += 10);
    this.#append(k, (offset, partition) => orderRecord({ order_id: k, status: row.status, notes: partial ? UNAVAILABLE : row.notes }, { op, lsn, offset, partition }));
  }

  #delete(k: number): void {
    this.rows.delete(k);
    const lsn = (this.lsn += 10);
    this.#append(k, (offset, partition) => orderRecord({ order_id: k }, { op: "d", lsn, offset, partition }));
    this.#append(k, (offset, partition) => tombstone(ORDERS.topic, { order_id: k }, offset, partition));
  }

  /**
   * The reconciler's repair of one key, scanned and applied at once (so the row is unchanged
   * since the scan): the real buildRepairOps/applyRepairs at the current WAL position, phase 0.
   */
  #repair(k: number): void {
    const coll = this.db.collection(ORDERS.collection);
    const observed = coll.docs.get(keyOf(k)) ?? null;
    const row = this.rows.get(k);
    const live = observed !== null && observed._deleted !== true;
    let d: Divergence | undefined;
    if (row) {
      const parsed = parseRecord(orderRecord({ order_id: k, status: row.status, notes: row.notes }, { op: "r", lsn: 1, offset: 0n }), new Map([[ORDERS.topic, ORDERS]]), { decimals: "decimal128" });
      if (parsed.kind !== "change" || !parsed.change.doc) throw new Error("model: the repair image did not parse");
      const expected = { id: k, doc: parsed.change.doc, hash: "" };
      if (!live) d = { kind: "missing", id: k, expected, observed: observed ? structuredClone(observed) : null };
      else if (observed.status !== row.status || observed.notes !== row.notes) d = { kind: "different", id: k, expected, observed: structuredClone(observed) };
    } else if (live) d = { kind: "extra", id: k, observed: structuredClone(observed) };
    if (!d) return;
    // The memdb applies the write before the promise settles; the sync path's injected
    // collisions are not the reconciler's to meet.
    const collide = new Map(this.db.faults.collide);
    this.db.faults.collide.clear();
    void applyRepairs(coll as never, [d], ORDERS.table, version(0, SNAPSHOT, BigInt(this.lsn)));
    for (const [key, n] of collide) this.db.faults.collide.set(key, n);
  }

  #check(): RunResult {
    const problems: string[] = [];
    if (this.#stuck) problems.push(this.#stuck);
    const docs = this.db.collection(ORDERS.collection).docs;
    for (let k = 1; k <= KEYS; k++) {
      const want = this.rows.get(k);
      const doc = docs.get(keyOf(k));
      if (want) {
        if (!doc || doc._deleted === true || doc.status !== want.status || doc.notes !== want.notes) {
          problems.push(`order ${k}: want ${JSON.stringify(want)}, read model has ${doc ? JSON.stringify({ status: doc.status, notes: doc.notes, _deleted: doc._deleted, _v: doc._v }) : "nothing"}`);
        }
      } else if (doc && doc._deleted !== true) {
        problems.push(`order ${k}: deleted in PostgreSQL, read model has ${JSON.stringify({ status: doc.status, notes: doc.notes, _v: doc._v })}`);
      }
    }
    for (const p of this.poison) if (!this.dlq.sent.has(p)) problems.push(`poison record ${p} was never dead-lettered`);
    for (const [k, n] of this.dlq.sent) {
      const d = this.deliveries.get(k) ?? 0;
      if (n > d) problems.push(`dead letter ${k} sent ${n} times for ${d} deliveries`);
    }
    return { ok: problems.length === 0, problems };
  }
}

export async function runSchedule(s: Schedule): Promise<RunResult> {
  return new Run(s).execute();
}

/** The property, for fast-check. Throws with the problems found (fast-check prints the seed and the shrunk schedule). */
export const modelProperty = fc.asyncProperty(scheduleArb, async (s) => {
  const r = await runSchedule(s);
  if (!r.ok) {
    console.error(`model: ${JSON.stringify(s)}\n  ${r.problems.join("\n  ")}`);
    throw new Error(r.problems.join("\n"));
  }
});
