import type * as pulumi from "@pulumi/pulumi";
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

/**
 * Each backing service's slice is a discriminated union on `mode`: where the service comes from.
 * The factories (postgresFor, kafkaFor, connectFor, readModelFor) switch on it, once. A Docker
 * stack provisions every service as a container; a Kubernetes stack runs each through its
 * operator, on a managed service (Atlas), or points at an existing (external) one. Adding RDS or
 * MSK later is one union arm here, one realisation file and one case in the service's factory.
 */

/** What every PostgreSQL realisation shares: the database and the CDC source's names. */
export interface PostgresCommon {
  readonly database: string;
  readonly slotName: string;
  readonly publicationName: string;
  readonly heartbeatIntervalMs: number;
  /** The replication role Debezium logs in as. */
  readonly debeziumUser: string;
  /**
   * The source generation: raised whenever the LSN sequence may restart (new server, restore,
   * point-in-time recovery, a re-snapshot from clean connector offsets). Stamped on every
   * change event; the sync worker's guard orders by it before the LSN.
   */
  readonly generation: number;
}

/** The server settings that make logical decoding safe, on a server the stack runs. */
export interface PostgresServerSettings {
  /** Cap on WAL a replication slot may retain. */
  readonly maxSlotWalKeepSize: string;
  readonly maxReplicationSlots: number;
  readonly maxWalSenders: number;
}

/** A PostgreSQL container on the Docker engine. */
export interface ContainerPostgres extends PostgresCommon, PostgresServerSettings {
  readonly mode: "container";
  /** Host port on 127.0.0.1. */
  readonly port: number;
  /** Load the demo schema on first start (dev, pr-<n>). */
  readonly demoSchema: boolean;
}

/** A CloudNativePG cluster in the stack's namespace. */
export interface CnpgPostgres extends PostgresCommon, PostgresServerSettings {
  readonly mode: "cnpg";
  /** Instances (one primary, the rest streaming replicas). */
  readonly instances: number;
  readonly storageSize: string;
}

/** An existing PostgreSQL server (RDS, Cloud SQL, a DBA's cluster) the stack does not run. */
export interface ExternalPostgres extends PostgresCommon {
  readonly mode: "external";
  readonly host: string;
  readonly port: number;
  /** libpq sslmode for the stack's and the connector's connections. */
  readonly sslmode: "disable" | "require" | "verify-full";
  /** The role the stack applies the CDC source with (needs CREATEROLE and ownership or grant option on the captured tables). */
  readonly adminUser: string;
  /** "managed": the stack creates role, grants, heartbeat table, publication and slot; "existing": a DBA did. */
  readonly cdcSource: "managed" | "existing";
}

export type PostgresConfig = ContainerPostgres | CnpgPostgres | ExternalPostgres;

/** What every Kafka realisation shares: the stack's topics. */
export interface KafkaCommon {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly retentionHours: number;
}

/** One KRaft broker container on the Docker engine. */
export interface ContainerKafka extends KafkaCommon {
  readonly mode: "container";
  /** Host port of the loopback listener. */
  readonly port: number;
}

/** A Strimzi Kafka cluster in the stack's namespace. */
export interface StrimziKafka extends KafkaCommon {
  readonly mode: "strimzi";
  /** Brokers, each also a KRaft controller. */
  readonly brokers: number;
  readonly storageSize: string;
}

/** An existing Kafka cluster (MSK, Confluent, the platform team's). */
export interface ExternalKafka extends KafkaCommon {
  readonly mode: "external";
  readonly bootstrapServers: readonly string[];
  /**
   * The worker's SCRAM login on that cluster (the password reaches the worker as the env var
   * KAFKA_SASL_PASSWORD, never in its config). @default none: PLAINTEXT
   */
  readonly sasl?: { readonly mechanism: "SCRAM-SHA-512" | "SCRAM-SHA-256"; readonly username: string };
  /** "managed": the stack creates the topics; "existing": the platform team did. */
  readonly topics: "managed" | "existing";
}

export type KafkaConfig = ContainerKafka | StrimziKafka | ExternalKafka;

/** One Kafka Connect worker container on the Docker engine. */
export interface ContainerConnect {
  readonly mode: "container";
  /** Host port of the REST API, on 127.0.0.1. */
  readonly port: number;
}

/** A Strimzi KafkaConnect in the stack's namespace. */
export interface StrimziConnect {
  readonly mode: "strimzi";
  readonly replicas: number;
  /** The image Strimzi builds with the Debezium plugin and pushes (registry/repository:tag). */
  readonly image: string;
}

/** An existing Kafka Connect cluster: its REST URL and how its connectors reference the database password. */
export interface ExternalConnect {
  readonly mode: "external";
  readonly url: string;
  readonly passwordRef: string;
  /** The REST API's user when it requires credentials; its password is the secret coexist:connectPassword. @default none */
  readonly user?: string;
}

export type ConnectConfig = ContainerConnect | StrimziConnect | ExternalConnect;

/** What every read-model realisation shares. */
export interface MongoCommon {
  readonly database: string;
}

/** A single-member replica set in a container on the Docker engine. */
export interface ContainerMongo extends MongoCommon {
  readonly mode: "container";
  /** Host port on 127.0.0.1. */
  readonly port: number;
}

/** A MongoDBCommunity replica set in the stack's namespace. */
export interface CommunityMongo extends MongoCommon {
  readonly mode: "community";
  readonly members: number;
  readonly storageSize: string;
}

/** MongoDB Atlas (prod): the settings of the dedicated cluster. */
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

/** The Atlas arm of the read model. */
export interface AtlasReadModel extends MongoCommon, AtlasMongo {
  readonly mode: "atlas";
}

/** An existing MongoDB: its URL is the secret coexist:mongodbUrl. */
export interface ExternalMongo extends MongoCommon {
  readonly mode: "external";
}

export type MongoConfig = ContainerMongo | CommunityMongo | AtlasReadModel | ExternalMongo;

export interface KubernetesSettings {
  /** The stack's namespace; it is created and, on destroy, removed by the stack. */
  readonly namespace: string;
  /** kubeconfig context. @default the current context of $KUBECONFIG */
  readonly context?: string;
  readonly publicServiceType: PublicServiceType;
  /** StorageClass of the persistent volumes. @default the cluster's default StorageClass */
  readonly storageClass?: string;
  /** "install": the operators' Helm charts into the stack's namespace; "skip": the platform team runs them. */
  readonly operators: "install" | "skip";
  /** "apply": the operators' CRDs (generated from their registries) are applied by the stack; "skip": already there. */
  readonly crds: "apply" | "skip";
  /** Wait for operator-managed resources to be Ready; off only where operators cannot run. */
  readonly awaitOperators: boolean;
  /** Pod Security Standard enforced on the namespace. */
  readonly podSecurity: "restricted" | "baseline";
  /** Namespace whose pods (e.g. Prometheus) may scrape the workers' metrics. @default none */
  readonly monitoringNamespace?: string;
  /** Per workload (and `apiServer`), the addresses outside the cluster it may reach; the namespace denies the rest. @default none */
  readonly egressCidrs?: Readonly<Record<string, readonly string[]>>;
  /** Where the operators run when `operators: skip`. @default the stack's namespace */
  readonly operatorNamespace?: string;
}

export interface WorkersConfig {
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
}

/** What every stack shares, whatever its target. */
export interface PlatformCommon {
  readonly stack: string;
  readonly environment: Environment;
  /** Stateful resources are `protect`ed and a destroy is refused. */
  readonly protect: boolean;
  readonly captures: readonly Capture[];
  readonly topicPrefix: string;
  readonly kong: { readonly proxyPort: number };
}

/** dev, pr-<n>: every service a container on the local Docker engine. */
export interface DockerPlatformConfig extends PlatformCommon {
  readonly target: "docker";
  readonly postgres: ContainerPostgres;
  readonly kafka: ContainerKafka;
  readonly connect: ContainerConnect;
  readonly mongodb: ContainerMongo;
  /** The worker image is built from workers/ on the engine. */
  readonly workers: WorkersConfig;
  /** A Docker stack has no Kubernetes settings. @default undefined */
  readonly kubernetes?: undefined;
}

/** local, staging, prod: each service through its operator, managed, or external. */
export interface KubernetesPlatformConfig extends PlatformCommon {
  readonly target: "kubernetes";
  // Every arm but the container: a new arm (RDS, MSK, Confluent Cloud) is a Kubernetes stack's at once.
  readonly postgres: Exclude<PostgresConfig, ContainerPostgres>;
  readonly kafka: Exclude<KafkaConfig, ContainerKafka>;
  readonly connect: Exclude<ConnectConfig, ContainerConnect>;
  readonly mongodb: Exclude<MongoConfig, ContainerMongo>;
  /** `image`: the worker image (built from workers/ and pushed by CI). */
  readonly workers: WorkersConfig & { readonly image: string };
  readonly kubernetes: KubernetesSettings;
}

export type PlatformConfig = DockerPlatformConfig | KubernetesPlatformConfig;

/** Whether a service runs outside the stack (external or managed): its clients leave the namespace to reach it. */
export function outsideTheStack(service: { readonly mode: string }): boolean {
  return service.mode === "external" || service.mode === "atlas";
}

/** The secrets the platform uses: stacks/load.ts reads the ones the config needs (requiredSecrets), as outputs. */
export interface PlatformSecrets {
  /** The PostgreSQL superuser (Docker) or the admin role that applies the CDC source on an external server. @default none */
  readonly postgresPassword?: pulumi.Output<string>;
  /** @default none: an external Connect holds it, and a DBA made the source */
  readonly debeziumPassword?: pulumi.Output<string>;
  /** The reconciler's read-only role, when a DBA created it (cdcSource existing). @default generated by the stack */
  readonly reconcilerPassword?: pulumi.Output<string>;
  /** MongoDB root (Docker) or the application user's password (Kubernetes, Atlas). @default none */
  readonly mongodbPassword?: pulumi.Output<string>;
  /** An external MongoDB's connection string. @default none */
  readonly mongodbUrl?: pulumi.Output<string>;
  /** An external Connect REST API's password (connect.external.user). @default none */
  readonly connectPassword?: pulumi.Output<string>;
  /** Values of the DECK_* variables the gateway file references. */
  readonly kongCredentials: pulumi.Output<Record<string, string>>;
}
