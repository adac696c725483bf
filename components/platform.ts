import * as pulumi from "@pulumi/pulumi";
import { connectFor, DebeziumConnector, dlqTopic, renderConnectorConfig } from "./connect";
import { kafkaClients, kafkaFor, KafkaTopics, stackKafkaAccess } from "./kafka";
import { KongGateway, kongVaultEnv } from "./kong/gateway";
import type { RenderedKong } from "./kong/render";
import { readModelFor } from "./mongodb";
import { PlatformConfig, PlatformSecrets } from "./platform-config";
import { siteFor } from "./platform-site";
import { CdcSource, postgresFor, postgresUrl } from "./postgres";
import { GeneratedSecret } from "./runtime";
import { PostgresReader, renderWorkerConfig, SyncWorkers, WorkerConfig } from "./workers";

export { kongVaultEnv } from "./kong/gateway";
export { operatorsFor } from "./platform-site";

/** The heartbeat table Debezium writes to; in the publication, outside the capture list. */
export const HEARTBEAT_TABLE = "coexist.heartbeat";
/** The reconciler's SELECT-only role. */
export const RECONCILER_USER = "coexist_reconciler";
/** The slot exporter's role: LOGIN and nothing else (what it reads is open to every role). */
export const SLOT_READER_USER = "coexist_slot_reader";

/** The platform's configuration (validated by stacks/config.ts) and the secrets it uses. */
export type PlatformArgs = PlatformConfig & {
  /** The stack's gateway config, rendered once by stacks/load.ts (credential references kept). */
  readonly kongConfig: RenderedKong;
  readonly secrets: PlatformSecrets;
};

/**
 * The whole CDC stack of one environment, composed from one typed config: the site (Docker network
 * or Kubernetes namespace), each backing service from its factory, the CDC source, topics and
 * connector, the workers and the gateway. Where each service comes from is its factory's choice;
 * stateful children are protected when the stack is.
 */
export class Platform extends pulumi.ComponentResource {
  readonly kongProxyUrl: pulumi.Output<string>;
  /** Docker: the Connect REST API on loopback. @default none */
  readonly connectUrl?: string;
  /** Docker: superuser URL on loopback; a secret. @default none */
  readonly postgresUrl?: pulumi.Output<string>;
  /** Docker: root URL on loopback; a secret. @default none */
  readonly mongodbUrl?: pulumi.Output<string>;
  /** The config the sync worker and the reconciler run with (no secret in it). */
  readonly workerConfig: WorkerConfig;
  /** Kubernetes: the stack's namespace. @default none */
  readonly namespace?: string;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:index:Platform", name, {}, opts);
    const s = args.secrets;
    const site = siteFor(name, args, this);
    const target = site.target;
    // Losing these loses data: protected, retained (not deleted) when the stack is, and after the operators' CRDs.
    const stateful: pulumi.ComponentResourceOptions = { parent: this, protect: args.protect, retainOnDelete: args.protect, dependsOn: site.crds };
    const generated = (role: string) => new GeneratedSecret(`${name}-${role}`, {}, { parent: this }).value;
    const reconcilerPassword = s.reconcilerPassword ?? generated("reconciler-password");
    const slotReaderPassword = generated("slot-reader-password");

    // PostgreSQL, then the CDC source (unless a DBA made it).
    const pg = postgresFor(`${name}-postgres`, args.postgres, {
      target, adminPassword: s.postgresPassword, debeziumPassword: s.debeziumPassword,
      readers: [{ name: RECONCILER_USER, password: reconcilerPassword }, { name: SLOT_READER_USER, password: slotReaderPassword }],
    }, stateful);
    const database = args.postgres.database;
    const cdc = pg.cdc && new CdcSource(`${name}-cdc`, {
      ...args.postgres, captures: args.captures, heartbeatTable: HEARTBEAT_TABLE, user: args.postgres.debeziumUser,
      readers: [{ name: RECONCILER_USER, password: reconcilerPassword, select: true }, { name: SLOT_READER_USER, password: slotReaderPassword, select: false }],
      via: pg.cdc,
    }, { ...stateful, dependsOn: pg.ready });
    const pgUrl = (user: string, password: pulumi.Input<string>, at: { host: pulumi.Input<string>; port: pulumi.Input<number> } = pg) =>
      postgresUrl({ host: at.host, port: at.port, user, password, database, sslmode: pg.sslmode });
    const reader = { kind: "url", url: pgUrl(RECONCILER_USER, reconcilerPassword) } as const satisfies PostgresReader;
    // A DBA-made source has no role of ours but the reconciler's; the slot exporter reads nothing more than that.
    const slotExporterUrl = cdc ? pgUrl(SLOT_READER_USER, slotReaderPassword) : reader.url;

    // Kafka, then its topics (unless the platform team made them) and its clients' logins.
    const connectGroup = `${args.topicPrefix}-connect`;
    const access = stackKafkaAccess(args.topicPrefix, args.captures);
    const kafka = kafkaFor(`${name}-kafka`, args.kafka, { target, stack: args.stack, access }, stateful);
    const topics = kafka.topics === undefined ? [] : Object.values(new KafkaTopics(`${name}-topics`, {
      ...args.kafka, topicPrefix: args.topicPrefix, captures: args.captures, connectGroup, via: kafka.topics,
    }, { ...stateful, dependsOn: kafka.ready }).topics);
    const clients = kafkaClients(`${name}-kafka`, kafka, access, { parent: this });

    // Kafka Connect and the connector.
    const connect = connectFor(`${name}-connect`, args.connect, {
      target, bootstrapServers: kafka.bootstrapServers, groupId: connectGroup, replicationFactor: args.kafka.replicationFactor,
      sourcePassword: s.debeziumPassword, kafkaAuth: clients.connectAuth, kafkaLogin: clients.connectLogin, restPassword: s.connectPassword,
    }, { parent: this, dependsOn: [...topics, ...clients.users] });
    const connectorName = `${args.topicPrefix}-postgres-source`;
    new DebeziumConnector(`${name}-connector`, {
      connect,
      config: {
        name: connectorName,
        ...renderConnectorConfig({
          name: connectorName,
          topicPrefix: args.topicPrefix,
          database: { host: pg.host, port: pg.port, dbname: database, user: args.postgres.debeziumUser },
          passwordRef: connect.passwordRef,
          slotName: args.postgres.slotName,
          publicationName: args.postgres.publicationName,
          heartbeat: { table: HEARTBEAT_TABLE, intervalMs: args.postgres.heartbeatIntervalMs },
          captures: args.captures,
          epoch: args.postgres.generation,
        }),
      },
      // A destroy deletes the connector before the slot and publication (it depends on them), and the
      // delete returns only once the slot is inactive, so dropping the slot cannot race the task.
      // Reading pg_replication_slots needs no privilege: the reconciler's read-only role probes it,
      // from where Pulumi reaches the server (loopback on Docker, an external host); where it
      // cannot (CloudNativePG), a pod in the namespace reads it as the slot exporter.
      slotProbeUrl: pg.probe && pgUrl(RECONCILER_USER, reconcilerPassword, pg.probe),
      inClusterSlotProbe: pg.probe ? undefined : { image: site.workerImage, url: slotExporterUrl },
    }, { parent: this, dependsOn: [...(cdc?.ready ?? []), ...topics] });

    // The read model, its schema included whatever realises it.
    const mongo = readModelFor(name, args.mongodb, { target, stack: args.stack, captures: args.captures, password: s.mongodbPassword, url: s.mongodbUrl }, stateful);

    // The workers.
    const rendered = renderWorkerConfig({
      brokers: [...kafka.bootstrapServers],
      topicPrefix: args.topicPrefix,
      groupId: `${args.topicPrefix}-sync`,
      database: args.mongodb.database,
      dlqTopic: dlqTopic(args.topicPrefix),
      captures: args.captures,
      settings: args.workers.settings,
      retentionHours: args.kafka.retentionHours,
      generation: args.postgres.generation,
    });
    this.workerConfig = { ...rendered, kafka: { ...rendered.kafka, ...clients.worker } };
    new SyncWorkers(`${name}-workers`, {
      target,
      image: site.workerImage,
      config: this.workerConfig,
      mongo: mongo.access,
      postgresReader: reader,
      kafkaSecretRefEnv: clients.workerSecretRefEnv,
      kafkaPassword: clients.workerPassword,
      replicas: args.workers.replicas,
      reconcileSchedule: args.workers.reconcileSchedule,
      metricsHostPort: site.hostPorts.metrics,
      slotMetrics: {
        postgres: { kind: "url", url: slotExporterUrl },
        slots: [args.postgres.slotName],
        port: args.workers.slotMetricsPort,
        hostPort: site.hostPorts.slotMetrics,
      },
    }, { parent: this, dependsOn: [...mongo.ready, ...topics, ...clients.users, ...pg.ready] });

    const kong = new KongGateway(`${name}-kong`, {
      target,
      rendered: args.kongConfig,
      credentials: s.kongCredentials,
      proxyHostPort: args.kong.proxyPort,
      vaultEnv: kongVaultEnv(args.kongConfig.vaultVariables),
    }, { parent: this });
    site.seal(args.kongConfig.config.services.map((svc) => svc.url));

    this.namespace = site.namespace;
    this.kongProxyUrl = kong.proxyUrl;
    this.connectUrl = connect.kind === "rest" ? connect.hostUrl : undefined;
    this.postgresUrl = pg.hostUrl;
    this.mongodbUrl = mongo.hostUrl;
    this.registerOutputs({ kongProxyUrl: this.kongProxyUrl, connectUrl: this.connectUrl, postgresUrl: this.postgresUrl, mongodbUrl: this.mongodbUrl, workerConfig: this.workerConfig });
  }
}
