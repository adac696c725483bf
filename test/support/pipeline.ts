/**
 * One uniquely named CDC pipeline on the local data plane, set up the way the
 * stack sets it up: demo schema, least-privilege grants (cdcGrants), a
 * publication over the captured tables plus the heartbeat table, the slot,
 * pre-created topics (cdcTopics), the connector rendered by
 * renderConnectorConfig and the worker config rendered by renderWorkerConfig.
 * teardown() removes all of it, in the order the stack does.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Capture } from "../../components/capture";
import { quoteIdent, quoteTable } from "../../components/capture";
import { cdcTopics, dlqTopic, heartbeatTopic, publicationTables, renderConnectorConfig } from "../../components/connect/connector-config";
import { cdcGrants } from "../../components/postgres/cdc-source";
import { renderWorkerConfig, type WorkerConfig } from "../../components/workers/config";
import type { Db, MongoClient, pg } from "../../workers/src/testing/deps.js";
import { connectRequest, eventually, freePort, kafkaSasl, loadDataplaneEnv, newAdmin, newMongo, newPool, ROOT, type DataplaneEnv } from "./dataplane";
import { WorkerProcess } from "./worker-process";

export const DEMO_CAPTURES: Capture[] = [
  { table: "public.orders", collection: "orders", key: "order_id", transform: "order" },
  { table: "public.customers", collection: "customers", key: "customer_id", transform: "customer" },
  { table: "public.products", collection: "products", key: "product_id", transform: "product" },
];

/** components/platform.ts HEARTBEAT_TABLE (not imported: that module loads every Pulumi provider). */
const HEARTBEAT_TABLE = "coexist.heartbeat";

/** FerretDB v1 is the local store: the worker's narrow compatibility switch (see workers/README.md). */
export const STORE_ENV = { COEXIST_MONGODB_COMPAT: "ferretdb-v1" } as const;

export interface PipelineOptions {
  /** The source generation stamped by the connector and rendered into the worker config. @default 0 */
  readonly epoch?: number;
  /** Adjusts renderWorkerConfig's output (e.g. a short tombstone TTL, tight timeouts). */
  readonly workerConfig?: (rendered: WorkerConfig) => object;
}

/** The data plane's broker keeps topics 24 h (scripts/dataplane.d/kafka.sh log.retention.hours). */
const DATAPLANE_RETENTION_HOURS = 24;

export class Pipeline {
  readonly id = randomBytes(4).toString("hex");
  readonly topicPrefix = `it${this.id}`;
  readonly slot = `coexist_it_${this.id}`;
  readonly publication = `coexist_it_${this.id}`;
  readonly connector = `coexist-it-${this.id}`;
  readonly database = `coexist_it_${this.id}`;
  readonly groupId = `coexist-sync-it-${this.id}`;
  readonly env: DataplaneEnv = loadDataplaneEnv();
  readonly pool: InstanceType<typeof pg.Pool> = newPool(this.env);
  readonly workers: WorkerProcess[] = [];
  mongo!: InstanceType<typeof MongoClient>;
  db!: Db;
  workerConfig!: WorkerConfig;

  constructor(
    readonly captures: readonly Capture[] = DEMO_CAPTURES,
    readonly batch = { maxRecords: 500, maxWaitMs: 20 },
    /** Connector settings layered over renderConnectorConfig (bench what-ifs only; tests use none). */
    readonly connectorOverrides: Record<string, string> = {},
    readonly options: PipelineOptions = {},
  ) {}

  get topics(): string[] {
    return [...cdcTopics(this.topicPrefix, this.captures), dlqTopic(this.topicPrefix), heartbeatTopic(this.topicPrefix)];
  }

  /** Loads the schema and empties the captured tables; the connector is started separately. */
  async prepareSource(): Promise<void> {
    await this.pool.query(readFileSync(join(ROOT, "components", "postgres", "demo-schema.sql"), "utf8"));
    await this.pool.query(`TRUNCATE ${this.captures.map((c) => quoteTable(c.table)).join(", ")}`);
    const user = quoteIdent(this.env.DEBEZIUM_USER);
    for (const g of cdcGrants(this.captures, HEARTBEAT_TABLE)) {
      const on = g.objectType === "schema" ? `SCHEMA ${quoteIdent(g.schema)}` : `TABLE ${g.objects.map((o) => `${quoteIdent(g.schema)}.${quoteIdent(o)}`).join(", ")}`;
      await this.pool.query(`GRANT ${g.privileges.join(", ")} ON ${on} TO ${user}`);
    }
    const tables = publicationTables(this.captures, HEARTBEAT_TABLE).map(quoteTable).join(", ");
    await this.pool.query(`CREATE PUBLICATION ${quoteIdent(this.publication)} FOR TABLE ${tables}`);
    await this.pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [this.slot]);
  }

  /**
   * `seed` runs after the source is prepared and before the connector starts: its rows arrive
   * through the snapshot. `beforeConnector` runs after the topics and the store are ready, just
   * before the connector is registered (e.g. to open a transaction that spans the snapshot).
   */
  async start(seed?: (pool: InstanceType<typeof pg.Pool>) => Promise<void>, hooks: { beforeConnector?: () => Promise<void> } = {}): Promise<void> {
    await this.prepareSource();
    await seed?.(this.pool);
    const admin = newAdmin(this.env);
    try {
      await admin.createTopics({ topics: this.topics, partitions: 3, replicas: 1 });
    } finally {
      await admin.close();
    }
    this.mongo = await newMongo(this.env);
    this.db = this.mongo.db(this.database);
    this.workerConfig = this.renderWorkerConfig();
    await hooks.beforeConnector?.();
    await this.registerConnector();
  }

  renderWorkerConfig(): WorkerConfig {
    const rendered = renderWorkerConfig({
      brokers: this.env.KAFKA_BROKERS.split(","),
      topicPrefix: this.topicPrefix,
      groupId: this.groupId,
      database: this.database,
      dlqTopic: dlqTopic(this.topicPrefix),
      captures: this.captures,
      settings: { batchMaxRecords: this.batch.maxRecords, batchMaxWaitMs: this.batch.maxWaitMs, metricsPort: 0, reconcileRepair: false },
      retentionHours: DATAPLANE_RETENTION_HOURS,
      generation: this.options.epoch ?? 0,
    });
    // The worker logs in as the data plane's worker user (its ACLs: components/kafka/acls.ts).
    const authed = { ...rendered, kafka: { ...rendered.kafka, sasl: kafkaSasl(this.env, "worker") } };
    return (this.options.workerConfig?.(authed) ?? authed) as WorkerConfig;
  }

  /** The connector as the stack renders it; PUT is idempotent, so this also updates it (e.g. a new epoch). */
  async registerConnector(epoch = this.options.epoch ?? 0): Promise<void> {
    const config = renderConnectorConfig({
      name: this.connector,
      topicPrefix: this.topicPrefix,
      database: { host: this.env.PGHOST, port: Number(this.env.PGPORT), dbname: this.env.PGDATABASE, user: this.env.DEBEZIUM_USER },
      passwordRef: this.env.DEBEZIUM_PASSWORD_REF,
      slotName: this.slot,
      publicationName: this.publication,
      heartbeat: { table: HEARTBEAT_TABLE, intervalMs: 1_000 },
      captures: this.captures,
      epoch,
    });
    const put = await connectRequest(this.env, "PUT", `/connectors/${this.connector}/config`, { ...config, ...this.connectorOverrides });
    if (put.status >= 300) throw new Error(`Connect refused ${this.connector}: ${put.status} ${JSON.stringify(put.json)}`);
    await this.connectorRunning();
  }

  async connectorRunning(timeoutMs = 90_000): Promise<void> {
    await eventually(
      `connector ${this.connector} RUNNING`,
      async () => {
        const s = await connectRequest(this.env, "GET", `/connectors/${this.connector}/status`);
        const st = s.json as { connector?: { state: string }; tasks?: Array<{ state: string; trace?: string }> };
        const failed = st.tasks?.find((t) => t.state === "FAILED");
        if (failed) throw new Error(`task FAILED: ${failed.trace?.split("\n")[0]}`);
        return st.connector?.state === "RUNNING" && st.tasks?.[0]?.state === "RUNNING" ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Starts a sync worker as a child process (the image's entrypoint, run from source). */
  async startWorker(extraEnv: Record<string, string> = {}, configOverrides: Record<string, unknown> = {}): Promise<WorkerProcess> {
    const port = await freePort();
    const config = { ...this.workerConfig, ...configOverrides, metrics: { port } };
    const w = WorkerProcess.spawn(
      "workers/src/sync/main.ts",
      [],
      { COEXIST_CONFIG: JSON.stringify(config), MONGODB_URL: this.env.MONGODB_URL, COEXIST_METRICS_HOST: "127.0.0.1", ...STORE_ENV, ...extraEnv },
      join(tmpdir(), `coexist-it-${this.id}-worker-${this.workers.length}.log`),
    );
    w.metricsPort = port;
    this.workers.push(w);
    await eventually("worker ready", async () => {
      if (w.exitCode !== null) throw new Error(`worker exited with ${w.exitCode}: ${w.tail()}`);
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      return r?.ok ? true : undefined;
    });
    return w;
  }

  /** True once the group's committed offsets reach the end of every CDC partition. */
  async caughtUp(): Promise<boolean> {
    const admin = newAdmin(this.env);
    try {
      const topics = cdcTopics(this.topicPrefix, this.captures);
      const ends = await admin.listOffsets({ topics: topics.map((name) => ({ name, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })) });
      const [group] = await admin.listConsumerGroupOffsets({ groups: [this.groupId] });
      const committed = new Map<string, bigint>();
      for (const t of group?.topics ?? []) for (const pt of t.partitions) committed.set(`${t.name}:${pt.partitionIndex}`, pt.committedOffset);
      return ends.every((t) => t.partitions.every((pt) => pt.offset === 0n || committed.get(`${t.name}:${pt.partitionIndex}`) === pt.offset));
    } finally {
      await admin.close();
    }
  }

  async teardown(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const w of this.workers) await step(() => w.stop("SIGTERM"));
    // The connector goes first: dropping an active slot fails, and a running task would recreate nothing but errors.
    await step(() => connectRequest(this.env, "DELETE", `/connectors/${this.connector}`));
    await step(() =>
      eventually("slot released", async () => {
        const r = await this.pool.query("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [this.slot]);
        if (r.rows.length === 0) return true;
        if (r.rows[0].active) return undefined;
        await this.pool.query("SELECT pg_drop_replication_slot($1)", [this.slot]);
        return true;
      }, 60_000),
    );
    await step(() => this.pool.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(this.publication)}`));
    await step(() => this.pool.query(`TRUNCATE ${this.captures.map((c) => quoteTable(c.table)).join(", ")}`));
    await step(async () => {
      const admin = newAdmin(this.env);
      try {
        // The worker's group and any reader/bench group named after this pipeline.
        const groups = [...(await admin.listGroups()).keys()].filter((g) => g.includes(this.id));
        if (groups.length > 0) await admin.deleteGroups({ groups }).catch(() => undefined);
        await admin.deleteTopics({ topics: this.topics });
      } finally {
        await admin.close();
      }
    });
    await step(() => this.db?.dropDatabase());
    await step(() => this.mongo?.close());
    await step(() => this.pool.end());
    if (errors.length > 0) throw new Error(`teardown of pipeline ${this.id}: ${errors.map((e) => (e as Error).message).join("; ")}`);
  }
}
