import { Capture, quoteTable, splitTable } from "../capture";

/**
 * Everything the Debezium Postgres connector needs to know, target-neutral. The stack,
 * the integration tests and the local data plane all render the connector from this,
 * so the tests exercise exactly the configuration that is deployed.
 */
export interface ConnectorConfigInput {
  readonly name: string;
  readonly topicPrefix: string;
  readonly database: { readonly host: string; readonly port: number; readonly dbname: string; readonly user: string };
  /**
   * A Kafka Connect config-provider reference such as `${file:/secrets/postgres.properties:password}`.
   * Never the password itself: the connector JSON is readable by anyone with the Connect REST API.
   */
  readonly passwordRef: string;
  readonly slotName: string;
  readonly publicationName: string;
  readonly heartbeat: { readonly table: string; readonly intervalMs: number };
  readonly captures: readonly Capture[];
  /**
   * How long the connector waits to fill a batch. Debezium's 500 ms default dominated end-to-end
   * lag in `npm run bench` (P95 963 ms at 1,000 rows/s; 129 ms at 50 ms). @default 100
   */
  readonly pollIntervalMs?: number;
  /** @default "initial" — a new slot starts with a full snapshot, so no row is skipped. */
  readonly snapshotMode?: "initial" | "no_data" | "when_needed";
  /**
   * The source generation (`coexist:postgres.generation`), stamped on every event as `__epoch`.
   * The sync worker orders documents by (epoch, snapshot-or-stream, LSN): LSNs restart lower on
   * a new or restored server, and a higher epoch makes its changes win. Raise it whenever the
   * LSN sequence may restart (new server, restore, point-in-time recovery) or the connector
   * re-snapshots from clean offsets. @default 0
   */
  readonly epoch?: number;
}

export const POSTGRES_CONNECTOR_CLASS = "io.debezium.connector.postgresql.PostgresConnector";
const JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter";
/** A reference to a Connect config provider (file, env, directory, Strimzi's secrets...), never a value. */
const CONFIG_PROVIDER_REF = /^\$\{[a-zA-Z][a-zA-Z0-9_-]*:[^}]+\}$/;

/**
 * Connector settings whose change means a different replication stream: replace, never update in
 * place. The epoch stamp is the source generation (`coexist:postgres.generation`): a bump means a
 * restored or new server behind the same host, whose LSNs the old offsets do not describe; updated
 * in place the connector would resume from them and `trust_offset` would move the new slot forward
 * past changes (issue 14 §1.6). Replaced, the old connector is deleted first with its offsets
 * (Connect REST path) and the new one snapshots.
 */
export const REPLACE_ON_CHANGE = ["slot.name", "publication.name", "database.dbname", "database.hostname", "database.port", "topic.prefix", "transforms.epoch.static.value"] as const;

export function topicFor(topicPrefix: string, table: string): string {
  const { schema, name } = splitTable(table);
  return `${topicPrefix}.${schema}.${name}`;
}

export function dlqTopic(topicPrefix: string): string {
  return `${topicPrefix}.dlq`;
}

/** Debezium's heartbeat topic: `topic.heartbeat.prefix` (default `__debezium-heartbeat`) + topic prefix. */
export function heartbeatTopic(topicPrefix: string): string {
  return `__debezium-heartbeat.${topicPrefix}`;
}

export function cdcTopics(topicPrefix: string, captures: readonly Capture[]): string[] {
  return captures.map((c) => topicFor(topicPrefix, c.table));
}

/** Tables the publication must carry: the captured ones plus the heartbeat table. */
export function publicationTables(captures: readonly Capture[], heartbeatTable: string): string[] {
  return [...captures.map((c) => c.table), heartbeatTable];
}

/** The heartbeat upsert, run by Debezium every heartbeat interval on the source database. */
export function heartbeatActionQuery(heartbeatTable: string): string {
  return `INSERT INTO ${quoteTable(heartbeatTable)} (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts`;
}

export function renderConnectorConfig(input: ConnectorConfigInput): Record<string, string> {
  if (!CONFIG_PROVIDER_REF.test(input.passwordRef)) {
    throw new Error(
      `connector ${input.name}: passwordRef must be a Connect config-provider reference such as ` +
        `"\${file:/secrets/postgres.properties:password}", got a literal value; a literal password would be ` +
        `readable through the Connect REST API`,
    );
  }
  if (input.captures.length === 0) {
    throw new Error(`connector ${input.name}: captures is empty; declare at least one table in coexist:capture`);
  }
  const epoch = input.epoch ?? 0;
  if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffff_ffff) {
    throw new Error(`connector ${input.name}: epoch must be an integer between 0 and 4294967295 (coexist:postgres.generation), got ${epoch}`);
  }
  return {
    "connector.class": POSTGRES_CONNECTOR_CLASS,
    "tasks.max": "1",
    "plugin.name": "pgoutput",
    "database.hostname": input.database.host,
    "database.port": String(input.database.port),
    "database.dbname": input.database.dbname,
    "database.user": input.database.user,
    "database.password": input.passwordRef,
    "topic.prefix": input.topicPrefix,
    // The publication is created by the stack over exactly the captured tables plus the heartbeat
    // table; `filtered` would rewrite it from table.include.list and drop the heartbeat table.
    "publication.name": input.publicationName,
    "publication.autocreate.mode": "disabled",
    "slot.name": input.slotName,
    // Dropping the slot on stop would silently lose every change made while the connector is down.
    "slot.drop.on.stop": "false",
    // Debezium 3.4+ (replaces flush.lsn.source): Debezium confirms to the slot only what Kafka
    // acknowledged. Not `connector_and_driver`: that lets the JDBC driver confirm keepalive LSNs
    // Debezium never processed (pgjdbc#3138); the heartbeat table already keeps an idle slot moving.
    "lsn.flush.mode": "connector",
    // Debezium 3.5+: when the stored offset and the slot disagree, advance the slot to the offset,
    // and fail if the slot is ahead (it was recreated, and changes in between would be skipped
    // silently). The default, no_validation, streams on without looking.
    "offset.mismatch.strategy": "trust_offset",
    "table.include.list": input.captures.map((c) => c.table).join(","),
    "snapshot.mode": input.snapshotMode ?? "initial",
    "heartbeat.interval.ms": String(input.heartbeat.intervalMs),
    "poll.interval.ms": String(input.pollIntervalMs ?? 100),
    "heartbeat.action.query": heartbeatActionQuery(input.heartbeat.table),
    // Exact NUMERIC values: `precise` with value schemas lets the worker rebuild Decimal128 losslessly;
    // `double` rounds and `string` loses the type information.
    "decimal.handling.mode": "precise",
    "time.precision.mode": "adaptive_time_microseconds",
    "include.schema.changes": "false",
    // Debezium skips truncates by default ("t"); the worker carries them to the read model.
    "skipped.operations": "none",
    "tombstones.on.delete": "true",
    "key.converter": JSON_CONVERTER,
    "key.converter.schemas.enable": "false",
    "value.converter": JSON_CONVERTER,
    // The worker decodes logical types (Decimal, ZonedTimestamp, Json...) from the value schema.
    "value.converter.schemas.enable": "true",
    // The worker reads Debezium's envelope (before/after/source/op) as is. ExtractNewRecordState
    // is not used: it drops truncate events whatever its settings (Debezium 3.6,
    // AbstractExtractRecordStrategy.handleTruncateRecord), and the envelope already carries
    // op, source.lsn and source.ts_ms. The only transform stamps the source generation.
    "transforms": "epoch",
    "transforms.epoch.type": "org.apache.kafka.connect.transforms.InsertField$Value",
    "transforms.epoch.static.field": "__epoch",
    "transforms.epoch.static.value": String(epoch),
    // A record that fails conversion stops the task loudly rather than being skipped.
    "errors.tolerance": "none",
  };
}
