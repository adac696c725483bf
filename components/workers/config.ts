import { Capture } from "../capture";
import { topicFor } from "../connect/connector-config";

/** The runtime config of the sync worker and the reconciler (workers/src/config.ts parses it). */
export interface WorkerConfig {
  readonly kafka: { readonly brokers: string[]; readonly clientId: string; readonly groupId: string };
  readonly mongodb: { readonly database: string };
  readonly dlqTopic: string;
  readonly captures: readonly (Capture & { readonly topic: string })[];
  readonly batch: { readonly maxRecords: number; readonly maxWaitMs: number };
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
  readonly batchMaxRecords: number;
  readonly batchMaxWaitMs: number;
  readonly metricsPort: number;
  /** @default 1000 */
  readonly reconcileBatchSize?: number;
  /** Repair divergences the reconciler finds; otherwise it only reports them. @default false */
  readonly reconcileRepair?: boolean;
}

/**
 * Renders the worker config from the capture list: topic→collection mapping, keys and transforms.
 * No secret goes in here; MONGODB_URL and POSTGRES_URL are passed as secret env.
 */
export function renderWorkerConfig(input: WorkerConfigInput): WorkerConfig {
  return {
    kafka: { brokers: input.brokers, clientId: "coexist-sync", groupId: input.groupId },
    mongodb: { database: input.database },
    dlqTopic: input.dlqTopic,
    captures: input.captures.map((c) => ({ ...c, topic: topicFor(input.topicPrefix, c.table) })),
    batch: { maxRecords: input.batchMaxRecords, maxWaitMs: input.batchMaxWaitMs },
    metrics: { port: input.metricsPort },
    reconciler: { batchSize: input.reconcileBatchSize ?? 1000, repair: input.reconcileRepair ?? false },
  };
}
