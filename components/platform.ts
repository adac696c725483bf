import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DebeziumConnector, dlqTopic, KafkaConnect, renderConnectorConfig } from "./connect";
import { KafkaBroker, KafkaTopics, kraftClusterId } from "./kafka";
import { KongGateway } from "./kong/gateway";
import { MongoDb } from "./mongodb";
import { PlatformConfig } from "./platform-config";
import { CdcSource, PostgresServer } from "./postgres";
import { DockerTarget, stackLabels } from "./runtime";
import { buildWorkerImage, renderWorkerConfig, SyncWorkers } from "./workers";

/** The heartbeat table Debezium writes to; in the publication, outside the capture list. */
export const HEARTBEAT_TABLE = "coexist.heartbeat";

/** The platform's configuration (validated by stacks/config.ts) and its secrets. */
export interface PlatformArgs extends PlatformConfig {
  readonly secrets: {
    readonly postgresPassword: pulumi.Output<string>;
    readonly debeziumPassword: pulumi.Output<string>;
    readonly mongodbPassword: pulumi.Output<string>;
    /** Values of the DECK_* variables the gateway file references. */
    readonly kongCredentials: pulumi.Output<Record<string, string>>;
  };
}

/** The whole CDC stack of one environment, composed from one typed config. */
export class Platform extends pulumi.ComponentResource {
  readonly kongProxyUrl: string;
  readonly connectUrl: string;
  /** Secrets. */
  readonly postgresUrl: pulumi.Output<string>;
  readonly mongodbUrl: pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:index:Platform", name, {}, opts);
    if (args.target !== "docker") {
      // The Kubernetes realisation (Strimzi, Kong's Helm chart, Atlas for prod) is separate work;
      // failing here, before any child is registered, keeps staging/prod from half-deploying.
      throw new Error(`Platform ${name}: the ${args.target} target is not implemented yet; only docker (dev, pr-<n>) can be deployed today`);
    }
    const protect = args.protect;
    const target = createDockerTarget(name, args, this);
    const connectGroup = `${args.topicPrefix}-connect`;

    const postgres = new PostgresServer(`${name}-postgres`, {
      target,
      database: args.postgres.database,
      superuserPassword: args.secrets.postgresPassword,
      hostPort: args.postgres.port,
      maxSlotWalKeepSize: args.postgres.maxSlotWalKeepSize,
      maxReplicationSlots: args.postgres.maxReplicationSlots,
      maxWalSenders: args.postgres.maxWalSenders,
      demoSchema: args.postgres.demoSchema,
      protect,
    }, { parent: this });
    const source = new CdcSource(`${name}-cdc`, {
      server: postgres,
      captures: args.captures,
      heartbeatTable: HEARTBEAT_TABLE,
      slotName: args.postgres.slotName,
      publicationName: args.postgres.publicationName,
      debeziumPassword: args.secrets.debeziumPassword,
      protect,
    }, { parent: this });

    const broker = new KafkaBroker(`${name}-kafka`, { target, hostPort: args.kafka.port, clusterId: kraftClusterId(args.stack), protect }, { parent: this });
    const topics = new KafkaTopics(`${name}-topics`, {
      topicPrefix: args.topicPrefix,
      captures: args.captures,
      partitions: args.kafka.partitions,
      replicationFactor: args.kafka.replicationFactor,
      retentionHours: args.kafka.retentionHours,
      connectGroup,
      bootstrapServers: [broker.hostBootstrap],
      dependsOn: broker.ready,
      protect,
    }, { parent: this });
    const topicResources = Object.values(topics.topics);

    const connect = new KafkaConnect(`${name}-connect`, {
      target,
      bootstrapServers: broker.internalBootstrap,
      groupId: connectGroup,
      restHostPort: args.connect.port,
      sourcePassword: args.secrets.debeziumPassword,
      replicationFactor: args.kafka.replicationFactor,
      dependsOn: topicResources,
    }, { parent: this });
    new DebeziumConnector(`${name}-connector`, {
      connect,
      config: {
        name: `${args.topicPrefix}-postgres-source`,
        ...renderConnectorConfig({
          name: `${args.topicPrefix}-postgres-source`,
          topicPrefix: args.topicPrefix,
          database: { host: postgres.host, port: postgres.port, dbname: postgres.database, user: source.user },
          passwordRef: connect.passwordRef,
          slotName: source.slotName,
          publicationName: source.publicationName,
          heartbeat: { table: HEARTBEAT_TABLE, intervalMs: args.postgres.heartbeatIntervalMs },
          captures: args.captures,
          epoch: args.postgres.generation,
        }),
      },
      dependsOn: [...source.ready, ...topicResources],
    }, { parent: this });

    const mongodb = new MongoDb(`${name}-mongodb`, {
      target,
      database: args.mongodb.database,
      captures: args.captures,
      rootPassword: args.secrets.mongodbPassword,
      hostPort: args.mongodb.port,
      protect,
    }, { parent: this });

    const image = buildWorkerImage(`${name}-worker-image`, target, { parent: this }).imageName;
    new SyncWorkers(`${name}-workers`, {
      target,
      image,
      config: renderWorkerConfig({
        brokers: [broker.internalBootstrap],
        topicPrefix: args.topicPrefix,
        groupId: `${args.topicPrefix}-sync`,
        database: args.mongodb.database,
        dlqTopic: dlqTopic(args.topicPrefix),
        captures: args.captures,
        batchMaxRecords: args.workers.batchMaxRecords,
        batchMaxWaitMs: args.workers.batchMaxWaitMs,
        metricsPort: args.workers.metricsPort,
        reconcileRepair: args.workers.reconcileRepair,
        retentionHours: args.kafka.retentionHours,
        generation: args.postgres.generation,
      }),
      mongodbUrl: mongodb.internalUrl,
      postgresUrl: pulumi.secret(
        pulumi.interpolate`postgresql://${postgres.superuser}:${args.secrets.postgresPassword.apply(encodeURIComponent)}@${postgres.host}:${postgres.port}/${postgres.database}`,
      ),
      replicas: args.workers.replicas,
      reconcileSchedule: args.workers.reconcileSchedule,
      metricsHostPort: args.workers.metricsPort,
      dependsOn: [...mongodb.ready, ...topicResources, ...postgres.ready],
    }, { parent: this });

    const kong = new KongGateway(`${name}-kong`, {
      target,
      stack: args.stack,
      proxyHostPort: args.kong.proxyPort,
      adminHostPort: args.kong.adminPort,
      credentials: args.secrets.kongCredentials,
    }, { parent: this });

    this.kongProxyUrl = kong.proxyUrl;
    this.connectUrl = connect.url;
    this.postgresUrl = postgres.url;
    this.mongodbUrl = mongodb.hostUrl;
    this.registerOutputs({ kongProxyUrl: this.kongProxyUrl, connectUrl: this.connectUrl, postgresUrl: this.postgresUrl, mongodbUrl: this.mongodbUrl });
  }
}

function createDockerTarget(name: string, args: PlatformArgs, parent: pulumi.Resource): DockerTarget {
  const labels = stackLabels("coexist", args.stack);
  const namePrefix = `coexist-${args.stack}`;
  // Internal: containers reach each other by name; nothing on it is routable from outside the host.
  const network = new docker.Network(`${name}-network`, {
    name: namePrefix,
    driver: "bridge",
    labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
  }, { parent });
  return { kind: "docker", network, namePrefix, labels };
}
