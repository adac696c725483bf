import { Capture } from "./capture";

/**
 * The typed, validated configuration of one environment. stacks/config.ts produces it from
 * `coexist:*` stack config; components consume it and never read Pulumi config themselves.
 */
export const TARGETS = ["docker", "kubernetes"] as const;
export type TargetKind = (typeof TARGETS)[number];
/**
 * dev and pr: Docker, disposable. local: the Kubernetes target on the local data plane's API
 * server with the data plane's services as external ones, disposable. staging, prod: Kubernetes.
 */
import type { Environment } from "./environments";
export type { Environment };
export { DISPOSABLE_ENVIRONMENTS as EPHEMERAL_ENVIRONMENTS } from "./environments";

export const PUBLIC_SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;
export type PublicServiceType = (typeof PUBLIC_SERVICE_TYPES)[number];

/** An existing PostgreSQL server (RDS, Cloud SQL, a DBA's cluster) the stack does not run. */
export interface ExternalPostgres {
  readonly host: string;
  readonly port: number;
  /** libpq sslmode for the stack's and the connector's connections. */
  readonly sslmode: "disable" | "require" | "verify-full";
  /** The role the stack applies the CDC source with (needs CREATEROLE and ownership or grant option on the captured tables). */
  readonly adminUser: string;
}

export interface AtlasMongo {
  readonly projectId: string;
  /** Atlas cloud provider: AWS, GCP or AZURE. */
  readonly providerName: "AWS" | "GCP" | "AZURE";
  /** Atlas region name, e.g. EU_WEST_1. */
  readonly regionName: string;
  /** e.g. M30. */
  readonly instanceSize: string;
  /** CIDR blocks allowed to connect (the cluster's egress addresses); never 0.0.0.0/0. */
  readonly accessList: readonly string[];
}

export interface KubernetesSettings {
  /** The stack's namespace; it is created and, on destroy, removed by the stack. */
  readonly namespace: string;
  /** kubeconfig context; unset: the current context of $KUBECONFIG. */
  readonly context?: string;
  readonly publicServiceType: PublicServiceType;
  readonly storageClass?: string;
  /** "install": the operators' Helm charts into the stack's namespace; "skip": the platform team runs them. */
  readonly operators: "install" | "skip";
  /** "apply": the operators' CRDs (generated from their registries) are applied by the stack; "skip": already there. */
  readonly crds: "apply" | "skip";
  /** Wait for operator-managed resources to be Ready; off only where operators cannot run. */
  readonly awaitOperators: boolean;
  /** Pod Security Standard enforced on the namespace. */
  readonly podSecurity: "restricted" | "baseline";
  /** Namespace whose pods (e.g. Prometheus) may scrape the workers' metrics; unset: none. */
  readonly monitoringNamespace?: string;
  /** Per workload (and `apiServer`), the addresses outside the cluster it may reach; the namespace denies the rest. */
  readonly egressCidrs?: Readonly<Record<string, readonly string[]>>;
  /** Where the operators run when `operators: skip`; unset: the stack's namespace. */
  readonly operatorNamespace?: string;
}

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
    /** The replication role Debezium logs in as. */
    readonly debeziumUser: string;
    /** Unset: the stack provisions the server. */
    readonly external?: ExternalPostgres;
    /** "managed": the stack creates role, grants, heartbeat table, publication and slot; "existing": a DBA did. */
    readonly cdcSource: "managed" | "existing";
    /** Instances of the provisioned cluster on Kubernetes. */
    readonly instances: number;
    readonly storageSize: string;
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
    /** Unset: the stack provisions the cluster. */
    readonly external?: {
      readonly bootstrapServers: readonly string[];
      /**
       * The worker's SCRAM login on that cluster (the password reaches the worker as the env var
       * KAFKA_SASL_PASSWORD, never in its config). @default none: PLAINTEXT
       */
      readonly sasl?: { readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256"; readonly username: string };
    };
    /** "managed": the stack creates the topics; "existing": the platform team did. */
    readonly topics: "managed" | "existing";
    /** Brokers of the provisioned cluster on Kubernetes (each also a KRaft controller). */
    readonly brokers: number;
    readonly storageSize: string;
  };
  readonly connect: {
    readonly port: number;
    /** An existing Kafka Connect cluster: its REST URL and how its connectors reference the database password. */
    /** `user`: the REST API's user when it requires credentials; its password is the secret coexist:connectPassword. */
    readonly external?: { readonly url: string; readonly passwordRef: string; readonly user?: string };
    readonly replicas: number;
    /** Kubernetes: the image Strimzi builds with the Debezium plugin and pushes (registry/repository:tag). */
    readonly image?: string;
  };
  readonly mongodb: {
    readonly database: string;
    readonly port: number;
    /** An existing MongoDB: its URL is the secret coexist:mongodbUrl. */
    readonly external?: Record<string, never>;
    /** MongoDB Atlas (prod). */
    readonly atlas?: AtlasMongo;
    /** Members of the provisioned replica set on Kubernetes. */
    readonly members: number;
    readonly storageSize: string;
  };
  readonly kong: { readonly proxyPort: number };
  readonly workers: {
    readonly replicas: number;
    /** The contract's stack-set settings (workers/src/contract/settings.json), by `coexist:workers` key. */
    readonly settings: Readonly<Record<string, number | boolean>>;
    readonly batchMaxRecords: number;
    readonly batchMaxWaitMs: number;
    readonly metricsPort: number;
    /** The replication-slot exporter's metrics port (on 127.0.0.1 on Docker). */
    readonly slotMetricsPort: number;
    readonly reconcileSchedule: string;
    /** Repair the divergences the scheduled reconciler finds, rather than only reporting them. */
    readonly reconcileRepair: boolean;
    /** Kubernetes: the worker image (built from workers/ and pushed by CI). */
    readonly image?: string;
  };
  /** Set exactly when the target is kubernetes. */
  readonly kubernetes?: KubernetesSettings;
}
