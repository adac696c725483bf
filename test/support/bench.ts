/**
 * scripts/bench (`npm run bench`): a benchmark, not a test. It prints one JSON document and
 * asserts nothing. On the local data plane, with FerretDB on its PostgreSQL backend as the
 * MongoDB-wire store, it measures in one run, on the same rows (BENCH_ROWS inserts of
 * public.orders, captured by the connector as the stack renders it, on 3 partitions) and the
 * same store, each writing into a database of its own:
 *
 *  1. throughput (rows/s from the first to the last document committed in the store, read from
 *     PostgreSQL's commit timestamps) and CPU seconds per 1,000 events of the sink process and of
 *     the store (FerretDB + the PostgreSQL cluster, idle rate subtracted), for
 *     - coexist's sync worker as deployed (the real entrypoint, batch 1000 / 50 ms);
 *     - the per-record baseline of the source document (one upsert per message);
 *     - the official MongoDB Kafka sink connector in the data plane's Connect, for each
 *       BENCH_SINK_TASKS value of tasks.max;
 *     - the store's own limit: the documents coexist writes, written straight to the store with
 *       the driver (no Kafka); and, for reference, the same as guarded upserts;
 *     - the worker's own code with an in-memory store (its ceiling, and CPU µs per event);
 *  2. end-to-end lag at a fixed insert rate, from each row's commit in PostgreSQL to its
 *     document's commit in the store (both pg_xact_commit_timestamp, one server clock), at the
 *     store's limit and at half of it, for coexist and for the sink connector's best tasks.max.
 *
 * Knobs: BENCH_ROWS (default 200000: at 160000 the store-limit and coexist runs took 17-18 s
 * here, under the 20 s every run must last), BENCH_SINK_TASKS ("1,3"), BENCH_LAG_SECONDS (20), BENCH_CATCHUP_SECONDS (60, how long
 * a lag run may take to drain), BENCH_MAX_LOAD (wait before each measured run until the 1-minute
 * load average is below it, at most BENCH_MAX_LOAD_WAIT_SECONDS, 120, then run anyway and say
 * so in the run's loadAverageAtStart), BENCH_CPU_PROF (a dir: the
 * in-memory worker runs under node --cpu-prof and writes its profile there), BENCH_SKIP (comma
 * list of run names to leave out, for quick what-ifs), BENCH_MEMORY_RUNS (in-memory worker runs, 1;
 * the figure is their median), BENCH_MEMORY_BASELINE_ROOT (another checkout, with node_modules:
 * its in-memory worker runs in turn with this one's, A B A B ..., on the same records, and both
 * medians are reported: a before/after on one machine in one session).
 */
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { topicFor } from "../../components/connect/connector-config";
import { cpuPerThousand, lagSummary, ratio, round, rowsPerSecond } from "../../scripts/bench.d/stats";
import { renderSinkConfig } from "../../scripts/bench.d/sink-config";
import type { ChildConfig, ChildResult } from "./bench-child";
import { processCpu, readPid, threadsCpu, treeCpu } from "./bench-proc";
import { sourceCommitTimes, StoreTables } from "./bench-store";
import { connectRequest, eventually, kafkaClientOptions, kafkaSasl, newAdmin, ROOT } from "./dataplane";
import { Consumer, MessagesStreamModes } from "../../workers/src/testing/deps.js";
import { DEMO_CAPTURES, Pipeline } from "./pipeline";

const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const SINK_TASKS = (process.env.BENCH_SINK_TASKS ?? "1,3").split(",").map(Number);
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 20);
const CATCHUP_SECONDS = Number(process.env.BENCH_CATCHUP_SECONDS ?? 60);
const MAX_LOAD = process.env.BENCH_MAX_LOAD === undefined ? undefined : Number(process.env.BENCH_MAX_LOAD);
const MAX_LOAD_WAIT_SECONDS = Number(process.env.BENCH_MAX_LOAD_WAIT_SECONDS ?? 120);
const SKIP = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
const MIN_RUN_SECONDS = 20;
const MEMORY_RUNS = Math.max(1, Number(process.env.BENCH_MEMORY_RUNS ?? 1));
const MEMORY_BASELINE_ROOT = process.env.BENCH_MEMORY_BASELINE_ROOT;

const orders = DEMO_CAPTURES.filter((c) => c.table === "public.orders");
// The worker's batch as the stack deploys it (coexist:workers.batchMaxRecords / batchMaxWaitMs defaults).
const p = new Pipeline(orders, { maxRecords: 1000, maxWaitMs: 50 });
const topic = topicFor(p.topicPrefix, "public.orders");
const COLLECTION = "orders";
const stateDir = process.env.COEXIST_DATAPLANE_DIR ?? join(ROOT, ".dataplane");
let store: StoreTables;
let nextId = 1;

async function insertRows(n: number): Promise<void> {
  const from = nextId;
  nextId += n;
  await p.pool.query(
    `INSERT INTO public.orders (order_id, customer_id, status, total, items, created_at)
     SELECT g, g % 1000, 'new', g / 100.0, jsonb_build_array(jsonb_build_object('sku', 'S' || g, 'qty', 1)), now() FROM generate_series($1::bigint, $2::bigint) g`,
    [from, from + n - 1],
  );
}

async function endOffsets(): Promise<Map<number, bigint>> {
  const admin = newAdmin(p.env);
  try {
    const [t] = await admin.listOffsets({ topics: [{ name: topic, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] });
    return new Map((t?.partitions ?? []).map((x) => [x.partitionIndex, x.offset]));
  } finally {
    await admin.close();
  }
}

/** True once `group` committed the end of every partition of the topic. */
async function groupDone(group: string, ends: Map<number, bigint>): Promise<boolean> {
  const admin = newAdmin(p.env);
  try {
    const [g] = await admin.listConsumerGroupOffsets({ groups: [group] });
    const committed = new Map((g?.topics ?? []).filter((t) => t.name === topic).flatMap((t) => t.partitions.map((x) => [x.partitionIndex, x.committedOffset] as const)));
    return [...ends].every(([part, end]) => end === 0n || committed.get(part) === end);
  } finally {
    await admin.close();
  }
}

/** Starts `group` at the end of the topic, so a lag run reads only the rows written during it. */
async function groupAtEnd(group: string): Promise<void> {
  const ends = await endOffsets();
  const admin = newAdmin(p.env);
  try {
    await admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionOffsets: [...ends].map(([partition, offset]) => ({ partition, offset })) }] });
  } finally {
    await admin.close();
  }
}

/**
 * Each row's Kafka append time (the record timestamp Kafka Connect's producer set when Debezium
 * handed it the change), by key as text, for the rows written from `starts` on. It splits a
 * row's lag into Debezium's part (source commit -> Kafka) and the sink's (Kafka -> store); the
 * producer stamps it from the same machine clock PostgreSQL's commit timestamps come from.
 */
async function kafkaTimes(starts: Map<number, bigint>, count: number): Promise<Map<string, number>> {
  const group = `${p.groupId}-ts-${Date.now()}`;
  const admin = newAdmin(p.env);
  try {
    await admin.alterConsumerGroupOffsets({ groupId: group, topics: [{ name: topic, partitionOffsets: [...starts].map(([partition, offset]) => ({ partition, offset })) }] });
  } finally {
    await admin.close();
  }
  const consumer = new Consumer({ clientId: "coexist-bench-timestamps", groupId: group, ...kafkaClientOptions(p.env), maxWaitTime: 100 });
  const out = new Map<string, number>();
  const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.COMMITTED, autocommit: false });
  // Debezium may not have produced every row: read for at most 60 s, missing rows stay missing.
  const timer = setTimeout(() => void stream.close(), 60_000);
  try {
    for await (const m of stream) {
      if (m.key) {
        const id = (JSON.parse(m.key.toString()) as Record<string, unknown>).order_id;
        if (id !== undefined) out.set(String(id), Number(m.timestamp));
      }
      if (out.size >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.close().catch(() => undefined);
    await consumer.close(true);
  }
  return out;
}

// ---- CPU accounting ----------------------------------------------------------------------------

const pids = () => ({
  connect: readPid(join(stateDir, "run", "connect.pid")),
  ferretdb: readPid(join(stateDir, "run", "ferretdb.pid")),
  postmaster: readPid(join(stateDir, "postgres", "data", "postmaster.pid")),
});
const load1 = () => round(loadavg()[0] as number, 2);
const storeCpu = () => {
  const x = pids();
  return processCpu(x.ferretdb) + treeCpu(x.postmaster);
};

/** CPU seconds per second `read` uses while nothing is measured (heartbeats, Debezium's polling). */
async function idleRate(read: () => number, ms = 3000): Promise<number> {
  const c0 = read();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return (read() - c0) / ((Date.now() - t0) / 1000);
}

class CpuWindow {
  readonly #t0 = Date.now();
  readonly #c0: number;
  constructor(
    private readonly read: () => number,
    private readonly idlePerSecond = 0,
  ) {
    this.#c0 = read();
  }
  /** CPU seconds since the window opened, less the idle rate over it. */
  close(): number {
    const seconds = (Date.now() - this.#t0) / 1000;
    return Math.max(0, this.read() - this.#c0 - this.idlePerSecond * seconds);
  }
}

async function quiet(run: string): Promise<number> {
  if (MAX_LOAD !== undefined) {
    const deadline = Date.now() + MAX_LOAD_WAIT_SECONDS * 1000;
    while ((loadavg()[0] as number) >= MAX_LOAD && Date.now() < deadline) {
      process.stderr.write(`[bench] ${run}: load ${loadavg()[0]?.toFixed(2)} >= ${MAX_LOAD}; waiting\n`);
      await new Promise((r) => setTimeout(r, 15_000));
    }
  }
  process.stderr.write(`[bench] ${run}: starting (load ${loadavg()[0]?.toFixed(2)})\n`);
  return round(loadavg()[0] as number, 2);
}

// ---- runs ----------------------------------------------------------------------------------------

interface RunFigures {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  sinkCpuSecondsPer1000: number | null;
  storeCpuSecondsPer1000: number;
  loadAverageAtStart: number;
  loadAverageAtEnd: number;
  detail?: Record<string, unknown>;
}

async function waitFirstDocument(database: string, what: string, timeoutMs = 300_000): Promise<void> {
  await eventually(`first document of ${what}`, async () => ((await store.hasRows(database, COLLECTION)) ? true : undefined), timeoutMs, 50);
}

/** Rows/s from the store's own commit timestamps: first to last document committed. */
async function throughput(database: string, rows: number): Promise<{ seconds: number; rowsPerSecond: number }> {
  const w = await store.commitWindow(database, COLLECTION);
  if (w.rows < rows) throw new Error(`${database}.${COLLECTION} holds ${w.rows} documents, expected ${rows}`);
  const ms = Math.max(1, w.lastMs - w.firstMs);
  return { seconds: round(ms / 1000, 1), rowsPerSecond: rowsPerSecond(rows, ms) };
}

function runChild(mode: string, config: ChildConfig, prof?: string, root = ROOT): { pid: number; done: Promise<ChildResult> } {
  const args = [...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []), "--import", "tsx", "test/support/bench-child.ts"];
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, BENCH_CHILD: mode, BENCH_CHILD_CONFIG: JSON.stringify(config) }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const done = new Promise<ChildResult>((resolve, reject) =>
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop() as string) as ChildResult) : reject(new Error(`bench child ${mode} exited with ${code}`)))),
  );
  return { pid: child.pid as number, done };
}

const childConfig = (groupSuffix: string, database?: string, extra: Partial<ChildConfig> = {}): ChildConfig => ({
  brokers: p.env.KAFKA_BROKERS.split(","),
  sasl: kafkaSasl(p.env, "worker"),
  topic,
  groupId: `${p.groupId}-${groupSuffix}`,
  captures: p.workerConfig.captures,
  rows: ROWS,
  mongoUrl: p.env.MONGODB_URL,
  database,
  ...extra,
});

async function coexistRun(): Promise<RunFigures> {
  const load = await quiet("coexist");
  const storeIdle = await idleRate(storeCpu);
  const ends = await endOffsets();
  const worker = await p.startWorker();
  await waitFirstDocument(p.database, "coexist");
  const workerCpu = new CpuWindow(() => processCpu(worker.child.pid as number));
  const storeWindow = new CpuWindow(storeCpu, storeIdle);
  await eventually("coexist applied every row", async () => ((await groupDone(p.groupId, ends)) ? true : undefined), 1_800_000, 100);
  const sink = workerCpu.close();
  const st = storeWindow.close();
  await worker.stop("SIGTERM");
  const t = await throughput(p.database, ROWS);
  return { rows: ROWS, ...t, sinkCpuSecondsPer1000: cpuPerThousand(sink, ROWS), storeCpuSecondsPer1000: cpuPerThousand(st, ROWS), loadAverageAtStart: load, loadAverageAtEnd: load1() };
}

/** A bench child writing into `database`: its CPU is its own report, the store's is sampled around it. */
async function childRun(name: string, mode: string, database: string, config: ChildConfig): Promise<RunFigures> {
  const load = await quiet(name);
  const storeIdle = await idleRate(storeCpu);
  const { done } = runChild(mode, config);
  await waitFirstDocument(database, name);
  const storeWindow = new CpuWindow(storeCpu, storeIdle);
  const r = await done;
  const st = storeWindow.close();
  const t = await throughput(database, r.events);
  return {
    rows: r.events,
    ...t,
    sinkCpuSecondsPer1000: cpuPerThousand(r.cpuSeconds, r.events),
    storeCpuSecondsPer1000: cpuPerThousand(st, r.events),
    loadAverageAtStart: load,
    loadAverageAtEnd: load1(),
  };
}

function sinkConfig(name: string, tasks: number, database: string): Record<string, string> {
  return renderSinkConfig({ name, topic, tasks, mongoUrl: p.env.MONGODB_URL, database, collection: COLLECTION, key: "order_id", decimalColumns: ["total"] });
}

async function putConnector(name: string, config: Record<string, string>): Promise<void> {
  const put = await connectRequest(p.env, "PUT", `/connectors/${name}/config`, config);
  if (put.status >= 300) throw new Error(`Connect refused ${name}: ${put.status} ${JSON.stringify(put.json)}`);
  await eventually(`${name} RUNNING`, async () => {
    const s = (await connectRequest(p.env, "GET", `/connectors/${name}/status`)).json as { tasks?: Array<{ state: string; trace?: string }> };
    const failed = s.tasks?.find((x) => x.state === "FAILED");
    if (failed) throw new Error(`${name} task FAILED: ${failed.trace?.split("\n").slice(0, 3).join(" ")}`);
    return s.tasks && s.tasks.length > 0 && s.tasks.every((x) => x.state === "RUNNING") ? true : undefined;
  });
}

async function deleteConnector(name: string): Promise<void> {
  await connectRequest(p.env, "DELETE", `/connectors/${name}`);
}

async function sinkRun(tasks: number): Promise<RunFigures> {
  const name = `mongo-sink-bench-${p.id}-${tasks}`;
  const database = `${p.database}_sink${tasks}`;
  const load = await quiet(`sink connector, tasks.max=${tasks}`);
  const connect = pids().connect;
  const jvmIdle = await idleRate(() => processCpu(connect));
  const storeIdle = await idleRate(storeCpu);
  const ends = await endOffsets();
  await putConnector(name, sinkConfig(name, tasks, database));
  await waitFirstDocument(database, name);
  const jvm = new CpuWindow(() => processCpu(connect), jvmIdle);
  // Connect names a task's thread "task-thread-<connector>-<n>"; Linux keeps its first 15
  // characters, which tell the sink's ("mongo-sink-...") from Debezium's ("coexist-it-...").
  const taskThreads = new CpuWindow(() => threadsCpu(connect, "task-thread-mon"));
  const storeWindow = new CpuWindow(storeCpu, storeIdle);
  let figures = { sinkCpu: 0, threads: 0, st: 0 };
  try {
    // Sink tasks commit offsets every offset.flush.interval.ms (1 s here): the end is read from
    // the store's commit timestamps, not from this wait.
    await eventually(`${name} applied every row`, async () => ((await groupDone(`connect-${name}`, ends)) ? true : undefined), 3_600_000, 250);
  } finally {
    figures = { sinkCpu: jvm.close(), threads: taskThreads.close(), st: storeWindow.close() };
    await deleteConnector(name);
  }
  const t = await throughput(database, ROWS);
  return {
    rows: ROWS,
    ...t,
    sinkCpuSecondsPer1000: cpuPerThousand(figures.sinkCpu, ROWS),
    storeCpuSecondsPer1000: cpuPerThousand(figures.st, ROWS),
    loadAverageAtStart: load,
    loadAverageAtEnd: load1(),
    detail: { tasksMax: tasks, taskThreadsCpuSecondsPer1000: cpuPerThousand(figures.threads, ROWS), connectJvmIdleCpuPerSecondSubtracted: round(jvmIdle, 3) },
  };
}

async function memoryRun(): Promise<Record<string, unknown>> {
  const one = async (root: string, group: string) => {
    const load = await quiet(`in-memory worker (${root})`);
    const r = await runChild("memory", childConfig(group), process.env.BENCH_CPU_PROF, root).done;
    const ms = Math.max(1, r.lastMs - r.firstMs);
    return { rows: r.events, seconds: round(ms / 1000, 2), rowsPerSecond: rowsPerSecond(r.events, ms), cpuMicrosecondsPerEvent: round((r.cpuSeconds / r.events) * 1e6, 1), loadAverageAtStart: load, loadAverageAtEnd: load1() };
  };
  const runs: Awaited<ReturnType<typeof one>>[] = [];
  const baseline: Awaited<ReturnType<typeof one>>[] = [];
  for (let i = 0; i < MEMORY_RUNS; i++) {
    // Each run in a group of its own: every run reads the same records from the start.
    if (MEMORY_BASELINE_ROOT) baseline.push(await one(MEMORY_BASELINE_ROOT, `memory-baseline-${i}`));
    runs.push(await one(ROOT, `memory-${i}`));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const byMedian = (rs: typeof runs) => rs.find((r) => r.cpuMicrosecondsPerEvent === median(rs.map((x) => x.cpuMicrosecondsPerEvent))) as (typeof runs)[number];
  return {
    ...byMedian(runs),
    ...(MEMORY_RUNS > 1 ? { runs: runs.map((r) => r.cpuMicrosecondsPerEvent), figureIs: "the run with the median CPU per event" } : {}),
    ...(MEMORY_BASELINE_ROOT
      ? { baseline: { root: MEMORY_BASELINE_ROOT, ...byMedian(baseline), runs: baseline.map((r) => r.cpuMicrosecondsPerEvent), runOrder: "baseline, this checkout, in turn" } }
      : {}),
  };
}

// ---- lag -----------------------------------------------------------------------------------------

/** Inserts at `rate` rows/s for `seconds`, in 20 ms ticks on an absolute schedule. */
async function drive(rate: number, seconds: number): Promise<{ from: number; to: number; achievedRowsPerSecond: number }> {
  const from = nextId;
  const total = Math.round(rate * seconds);
  const t0 = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
    if (due > sent) {
      await insertRows(due - sent);
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { from, to: nextId - 1, achievedRowsPerSecond: Math.round(total / ((Date.now() - t0) / 1000)) };
}

async function lagRun(name: string, rate: number, start: (database: string) => Promise<() => Promise<void>>): Promise<Record<string, unknown>> {
  const database = `${p.database}_lag_${name.replace(/\W/g, "")}_${rate}`;
  const load = await quiet(`lag ${name} at ${rate} rows/s`);
  const starts = await endOffsets();
  const stop = await start(database);
  try {
    const sent = await drive(rate, LAG_SECONDS);
    const rows = sent.to - sent.from + 1;
    const caughtUp = await eventually(`${name} caught up`, async () => ((await store.count(database, COLLECTION)) >= rows ? true : undefined), CATCHUP_SECONDS * 1000, 500).then(
      () => true,
      () => false,
    );
    const src = await sourceCommitTimes(p.pool, "public.orders", "order_id", sent.from, sent.to);
    const dst = await store.commitTimes(database, COLLECTION);
    const summary = lagSummary(src, dst);
    const kafka = await kafkaTimes(starts, rows);
    // Rows still missing make the true percentiles unknowable; those of the rows that arrived are lower bounds.
    const arrived = lagSummary(new Map([...src].filter(([id]) => dst.has(id))), dst);
    return {
      targetRowsPerSecond: rate,
      ...sent,
      seconds: LAG_SECONDS,
      caughtUpWithin: caughtUp ? `${CATCHUP_SECONDS}s` : false,
      ...summary,
      ...(summary.missing > 0 ? { lowerBoundsFromArrivedRows: { p50Ms: arrived.p50Ms, p95Ms: arrived.p95Ms, p99Ms: arrived.p99Ms } } : {}),
      // The same rows' lag split at their Kafka append time: Debezium's part, then the sink's.
      sourceToKafka: lagSummary(src, kafka),
      kafkaToStore: lagSummary(new Map([...kafka].filter(([id]) => src.has(id))), dst),
      loadAverageAtStart: load,
      loadAverageAtEnd: load1(),
    };
  } finally {
    await stop();
  }
}

async function coexistLag(rate: number): Promise<Record<string, unknown>> {
  return lagRun("coexist", rate, async (database) => {
    const groupId = `${p.groupId}-lag-${rate}`;
    await groupAtEnd(groupId);
    const w = await p.startWorker({}, { kafka: { ...p.workerConfig.kafka, groupId }, mongodb: { ...p.workerConfig.mongodb, database } });
    // The worker is ready once it consumes; give its group a moment to settle its assignment.
    await new Promise((r) => setTimeout(r, 2000));
    return async () => void (await w.stop("SIGTERM"));
  });
}

async function sinkLag(rate: number, tasks: number): Promise<Record<string, unknown>> {
  return lagRun(`sink${tasks}`, rate, async (database) => {
    const name = `mongo-sink-benchlag-${p.id}-${rate}`;
    await groupAtEnd(`connect-${name}`);
    await putConnector(name, sinkConfig(name, tasks, database));
    await new Promise((r) => setTimeout(r, 2000));
    return () => deleteConnector(name);
  });
}

// ---- main ----------------------------------------------------------------------------------------

async function preflight(): Promise<void> {
  const tct = await p.pool.query("SHOW track_commit_timestamp");
  if (tct.rows[0].track_commit_timestamp !== "on") {
    throw new Error("track_commit_timestamp is off in the data plane's PostgreSQL (started before it was configured); restart it: scripts/dataplane down && COEXIST_DATAPLANE_MONGO_SINK=1 scripts/dataplane up");
  }
  const plugins = (await connectRequest(p.env, "GET", "/connector-plugins")).json as Array<{ class: string }>;
  const needsSink = !SKIP.has("sink") || !SKIP.has("lag");
  if (needsSink && !plugins.some((x) => x.class === "com.mongodb.kafka.connect.MongoSinkConnector")) {
    throw new Error("the data plane's Connect has no MongoDB sink connector plugin; restart it with it: scripts/dataplane down && COEXIST_DATAPLANE_MONGO_SINK=1 scripts/dataplane install && COEXIST_DATAPLANE_MONGO_SINK=1 scripts/dataplane up");
  }
}

async function main(): Promise<void> {
  store = new StoreTables(p.env);
  await preflight();
  await p.start();
  const extraDatabases: string[] = [];
  const result: Record<string, unknown> = {
    rows: ROWS,
    host: { cores: cpus().length },
    store: "FerretDB v1.24.2, PostgreSQL backend (own database in the data plane's PostgreSQL 15), COEXIST_MONGODB_COMPAT=ferretdb-v1",
  };
  const runs: Record<string, RunFigures> = {};
  try {
    const t0 = Date.now();
    for (let done = 0; done < ROWS; done += 10_000) await insertRows(Math.min(10_000, ROWS - done));
    await eventually("backlog in Kafka", async () => ([...(await endOffsets()).values()].reduce((a, b) => a + b, 0n) >= BigInt(ROWS) ? true : undefined), 600_000, 500);
    process.stderr.write(`[bench] ${ROWS} rows in Kafka after ${Math.round((Date.now() - t0) / 1000)} s\n`);

    if (!SKIP.has("store-limit")) {
      const db = `${p.database}_limit`;
      extraDatabases.push(db);
      runs.storeLimit = await childRun("store limit", "store-limit", db, childConfig("limit", db));
    }
    if (!SKIP.has("store-limit-upsert")) {
      const db = `${p.database}_limit_upsert`;
      extraDatabases.push(db);
      runs.storeLimitGuardedUpserts = await childRun("store limit (guarded upserts)", "store-limit-upsert", db, childConfig("limitupsert", db, { seconds: MIN_RUN_SECONDS }));
    }
    if (!SKIP.has("coexist")) runs.coexist = await coexistRun();
    if (!SKIP.has("baseline")) {
      const db = `${p.database}_baseline`;
      extraDatabases.push(db);
      runs.perRecordBaseline = await childRun("per-record baseline", "baseline", db, childConfig("baseline", db));
    }
    if (!SKIP.has("sink")) {
      for (const tasks of SINK_TASKS) {
        extraDatabases.push(`${p.database}_sink${tasks}`);
        runs[`sinkConnectorTasks${tasks}`] = await sinkRun(tasks);
      }
    }
    result.throughput = runs;
    if (!SKIP.has("memory")) result.workerWithInMemoryStore = await memoryRun();

    const sinks = Object.entries(runs).filter(([k]) => k.startsWith("sinkConnector"));
    const bestSink = sinks.sort((a, b) => b[1].rowsPerSecond - a[1].rowsPerSecond)[0];
    const c = runs.coexist;
    result.ratios = {
      coexistOverBaseline: ratio(c?.rowsPerSecond, runs.perRecordBaseline?.rowsPerSecond),
      coexistOverBestSinkConnector: ratio(c?.rowsPerSecond, bestSink?.[1].rowsPerSecond),
      bestSinkConnector: bestSink?.[0] ?? null,
      coexistOverStoreLimit: ratio(c?.rowsPerSecond, runs.storeLimit?.rowsPerSecond),
      coexistCpuOverBestSinkConnectorCpu: ratio(c?.sinkCpuSecondsPer1000, bestSink?.[1].sinkCpuSecondsPer1000),
    };

    const lag: Record<string, unknown> = {};
    const limit = runs.storeLimit?.rowsPerSecond;
    if (limit && !SKIP.has("lag")) {
      const rates = [limit, Math.round(limit / 2)];
      for (const rate of rates) lag[`coexistAt${rate}`] = await coexistLag(rate);
      const tasks = Number(bestSink?.[1].detail?.tasksMax ?? SINK_TASKS[SINK_TASKS.length - 1]);
      for (const rate of rates) lag[`sinkConnectorTasks${tasks}At${rate}`] = await sinkLag(rate, tasks);
      for (const rate of rates) extraDatabases.push(`${p.database}_lag_coexist_${rate}`, `${p.database}_lag_sink${tasks}_${rate}`);
      lag.measuredAs = "per row: pg_xact_commit_timestamp of its document in FerretDB's table minus that of its source row, both on the data plane's one PostgreSQL clock";
    }
    result.lag = lag;

    const lagAtHalf = limit ? (lag[`coexistAt${Math.round(limit / 2)}`] as { p95Ms?: number | null } | undefined) : undefined;
    const mem = result.workerWithInMemoryStore as { cpuMicrosecondsPerEvent?: number } | undefined;
    result.targets = {
      coexistAtLeast1_2xBestSinkConnector: c && bestSink ? c.rowsPerSecond >= 1.2 * bestSink[1].rowsPerSecond : null,
      coexistAtLeast80PercentOfStoreLimit: c && runs.storeLimit ? c.rowsPerSecond >= 0.8 * runs.storeLimit.rowsPerSecond : null,
      coexistCpuPerEventAtMostHalfTheSinkConnectors: c?.sinkCpuSecondsPer1000 != null && bestSink?.[1].sinkCpuSecondsPer1000 != null ? c.sinkCpuSecondsPer1000 <= 0.5 * bestSink[1].sinkCpuSecondsPer1000 : null,
      // Not measured: null; measured with rows missing (p95 null): not met.
      p95LagUnder500msAtHalfTheStoreLimit: lagAtHalf === undefined ? null : typeof lagAtHalf.p95Ms === "number" ? lagAtHalf.p95Ms < 500 : false,
      workerCpuAtMost30MicrosecondsPerEventInMemory: typeof mem?.cpuMicrosecondsPerEvent === "number" ? mem.cpuMicrosecondsPerEvent <= 30 : null,
      everyThroughputRunAtLeast20s: Object.values(runs).length === 0 ? null : Object.values(runs).every((r) => r.seconds >= MIN_RUN_SECONDS),
    };
  } finally {
    for (const db of extraDatabases) await p.mongo?.db(db).dropDatabase().catch(() => undefined);
    await p.teardown();
    await store.close();
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`bench failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
