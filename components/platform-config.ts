import { Capture } from "./capture";

/**
 * The typed, validated configuration of one environment. stacks/config.ts produces it from
 * `coexist:*` stack config; components consume it and never read Pulumi config themselves.
 */
export const TARGETS = ["docker", "kubernetes"] as const;
export type TargetKind = (typeof TARGETS)[number];
export type Environment = "dev" | "pr" | "staging" | "prod";

export interface PlatformConfig {
  readonly stack: string;
  readonly environment: Environment;
  readonly target: TargetKind;
  /** Stateful resources are `protect`ed and a destroy is refused. */
  readonly protect: boolean;
  readonly captures: readonly Capture[];
  readonly topicPrefix: string;
  readonly postgres: {
    readonly database: string;
    readonly port: number;
    readonly maxSlotWalKeepSize: string;
    readonly maxReplicationSlots: number;
    readonly maxWalSenders: number;
    readonly demoSchema: boolean;
    readonly slotName: string;
    readonly publicationName: string;
    readonly heartbeatIntervalMs: number;
    /**
     * The source generation: raised whenever the LSN sequence may restart (new server, restore,
     * point-in-time recovery, a re-snapshot from clean connector offsets). Stamped on every
     * change event; the sync worker's guard orders by it before the LSN.
     */
    readonly generation: number;
  };
  readonly kafka: {
    readonly port: number;
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly retentionHours: number;
  };
  readonly connect: { readonly port: number };
  readonly mongodb: { readonly database: string; readonly port: number };
  readonly kong: { readonly proxyPort: number; readonly adminPort: number };
  readonly workers: {
    readonly replicas: number;
    readonly batchMaxRecords: number;
    readonly batchMaxWaitMs: number;
    readonly metricsPort: number;
    readonly reconcileSchedule: string;
    /** Repair the divergences the scheduled reconciler finds, rather than only reporting them. */
    readonly reconcileRepair: boolean;
  };
}

