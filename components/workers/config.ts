import { Capture } from "../capture";
import { topicFor } from "../connect/connector-config";
import { renderStackSettings } from "./settings";

/** The runtime config of the sync worker and the reconciler (workers/src/runtime/config.ts parses it). */
export interface WorkerConfig {
  readonly kafka: {
    readonly brokers: string[];
    readonly clientId: string;
    readonly groupId: string;
    /** The worker's Kafka user; its password is the env var KAFKA_SASL_PASSWORD, never in this config. */
    readonly sasl?: { readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256"; readonly username: string };
    /** TLS to the brokers, trusting the CA in the env var KAFKA_SSL_CA_PEM. */
    readonly tls?: true;
  };
  readonly mongodb: { readonly database: string };
  readonly source: { readonly generation: number };
  readonly dlqTopic: string;
  readonly captures: readonly (Capture & { readonly topic: string })[];
  readonly batch: { readonly maxRecords: number; readonly maxWaitMs: number };
  readonly tombstones: { readonly ttlSeconds: number; readonly purgeIntervalSeconds: number };
  readonly metrics: { readonly port: number };
  readonly reconciler: { readonly batchSize: number; readonly repair: boolean };
}

export interface WorkerConfigInput {
  readonly brokers: string[];
  readonly topicPrefix: string;
  readonly groupId: string;
  readonly database: string;
  readonly dlqTopic: string;
  readonly captures: readonly Capture[];
  /** The `coexist:workers` values of the contract's stack-set settings (workers/src/contract/settings.json), by key. */
  readonly settings: Readonly<Record<string, number | boolean>>;
  /** Retention of the CDC topics (`coexist:kafka.retentionHours`); the tombstone TTL is derived from it. */
  readonly retentionHours: number;
  /** The source generation, as given to the connector's `epoch` (repairs are written in it). @default 0 */
  readonly generation?: number;
  /** @default 1000 */
  readonly reconcileBatchSize?: number;
  /** How often the worker deletes expired tombstones. @default 3600 */
  readonly tombstonePurgeIntervalSeconds?: number;
}

/** Kafka's default `segment.ms`: records live until their whole segment is past retention. */
const SEGMENT_ROLL_HOURS = 168;
/** The DLQ keeps records 4x the CDC retention (components/kafka/topics.ts), and they can be re-driven. */
const DLQ_RETENTION_FACTOR = 4;
/** Slack for Kafka's retention check interval and the worker's purge interval. */
const MARGIN_HOURS = 24;

/**
 * How long a soft tombstone must outlive its delete: longer than any record older than the
 * delete can still be delivered, i.e. the DLQ's retention (a re-drive) plus a segment roll
 * (a segment is deleted only once its newest record is past retention), plus a day. Purging earlier would
 * let a replayed or re-driven older insert resurrect the row.
 */
export function tombstoneTtlSeconds(retentionHours: number): number {
  if (!Number.isInteger(retentionHours) || retentionHours < 1) {
    throw new Error(`tombstone TTL: retentionHours must be a positive integer (coexist:kafka.retentionHours), got ${retentionHours}`);
  }
  return (retentionHours * DLQ_RETENTION_FACTOR + SEGMENT_ROLL_HOURS + MARGIN_HOURS) * 3600;
}

/**
 * Renders the worker config from the capture list: topic→collection mapping, keys and transforms.
 * No secret goes in here; MONGODB_URL and POSTGRES_URL are passed as secret env.
 */
export function renderWorkerConfig(input: WorkerConfigInput): WorkerConfig {
  // Stack-set settings render generically from the contract; a new one needs no line here.
  const set = renderStackSettings(input.settings);
  return {
    ...set,
    kafka: { ...set.kafka, brokers: input.brokers, clientId: "coexist-sync", groupId: input.groupId },
    mongodb: { ...set.mongodb, database: input.database },
    source: { ...set.source, generation: input.generation ?? 0 },
    dlqTopic: input.dlqTopic,
    captures: input.captures.map((c) => ({ ...c, topic: topicFor(input.topicPrefix, c.table) })),
    tombstones: { ...set.tombstones, ttlSeconds: tombstoneTtlSeconds(input.retentionHours), purgeIntervalSeconds: input.tombstonePurgeIntervalSeconds ?? 3600 },
    reconciler: { ...set.reconciler, batchSize: input.reconcileBatchSize ?? 1000 },
  } as unknown as WorkerConfig;
}

/**
 * The config the reconciler runs with: the workers' config without any Kafka login. It reads only
 * PostgreSQL and the store, so it gets no Kafka identity (and the worker's config parser would
 * otherwise ask it for the Kafka password).
 */
export function reconcilerConfig(config: WorkerConfig): WorkerConfig {
  const { sasl: _sasl, tls: _tls, ...kafka } = config.kafka as WorkerConfig["kafka"] & { tls?: unknown };
  return { ...config, kafka } as WorkerConfig;
}
