import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { MongoAccess, mongoEnv } from "../mongodb/mongodb";
import { deploy, DockerTarget, ServiceSpec, Target } from "../runtime";
import { WorkerConfig, reconcilerConfig } from "./config";

/** How the reconciler reads PostgreSQL: as its own SELECT-only role. */
export type PostgresReader =
  | { readonly kind: "url"; readonly url: pulumi.Output<string> }
  | { readonly kind: "secretRef"; readonly secret: string; readonly key: string };

export interface SyncWorkersArgs {
  readonly target: Target;
  /** The worker image (built from workers/ on Docker, pulled from a registry on Kubernetes). */
  readonly image: pulumi.Input<string>;
  readonly config: WorkerConfig;
  /** The read model, as the application user (readWrite on its database only). */
  readonly mongo: MongoAccess;
  /** The reconciler's read-only access to PostgreSQL. The sync worker gets none: it never reads PostgreSQL. */
  readonly postgresReader: PostgresReader;
  /** Kubernetes: the sync worker's Kafka password and CA, from the User Operator's and the cluster CA's Secrets (none: no Kafka auth). */
  readonly kafkaSecretRefEnv?: Readonly<Record<string, { readonly secret: string; readonly key: string }>>;
  /**
   * Docker: the sync worker's Kafka password (none: no Kafka login). Uploaded as a secret file and
   * read into KAFKA_SASL_PASSWORD by the container's shell at start, so `docker inspect` shows neither.
   */
  readonly kafkaPassword?: pulumi.Output<string>;
  /** @default 1 */
  readonly replicas?: number;
  /** Five-field cron expression for the reconciler. */
  readonly reconcileSchedule: string;
  /** Docker: host port on 127.0.0.1 for the first replica's metrics; unset keeps metrics on the private network. */
  readonly metricsHostPort?: number;
  /** The replication-slot exporter: a login role that reads the slot's state, and the slots to report. */
  readonly slotMetrics?: { readonly postgres: PostgresReader; readonly slots: readonly string[]; readonly port: number; /** Docker: host port on 127.0.0.1. */ readonly hostPort?: number };
}

/** The uid of the worker image's `node` user (workers/Dockerfile): Kubernetes needs it numeric to verify non-root. */
export const WORKER_UID = "1000";

/**
 * The sync worker replicas, the reconciler and the slot exporter. The reconciler runs as one
 * long-lived process that schedules its own runs and serves /metrics (its divergence counts are
 * what tells that the read model drifted); a Kubernetes CronJob's pods finish before Prometheus
 * could scrape them, and the stack has no Pushgateway.
 */
export class SyncWorkers extends pulumi.ComponentResource {
  /** Labels of the sync worker's pods (Kubernetes), for NetworkPolicies. */
  readonly syncSelector?: Record<string, string>;
  /** Labels of the reconciler's pods (Kubernetes). */
  readonly reconcilerSelector?: Record<string, string>;

  constructor(name: string, args: SyncWorkersArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:workers:SyncWorkers", name, {}, opts);
    const replicas = args.replicas ?? 1;
    if (replicas < 1) throw new Error(`SyncWorkers ${name}: replicas must be at least 1, got ${replicas}`);
    if (args.target.kind === "kubernetes") {
      // One Deployment, spread by the scheduler and kept available by a PodDisruptionBudget.
      this.syncSelector = deploy(`${name}-sync`, syncService(args, { replicas }), args.target, { parent: this }).selector;
    } else {
      // Docker runs one container per service: one per replica, the first publishing its metrics.
      for (let i = 0; i < replicas; i++) deploy(`${name}-sync-${i}`, syncService(args, { replica: i }), args.target, { parent: this });
    }
    this.reconcilerSelector = deploy(`${name}-reconciler`, reconcilerService(args), args.target, { parent: this }).selector;
    if (args.slotMetrics) deploy(`${name}-slot-exporter`, slotExporterService(args.image, args.slotMetrics), args.target, { parent: this });
    this.registerOutputs({});
  }
}

const HEALTH = "metrics";

/** The sync worker: on Docker `replica` names one container; on Kubernetes `replicas` sizes the Deployment. */
export function syncService(args: SyncWorkersArgs, which: { replica?: number; replicas?: number }): ServiceSpec {
  const port = args.config.metrics.port;
  const replica = which.replica;
  return {
    host: replica === undefined ? "sync" : `sync-${replica}`,
    role: "sync",
    image: args.image,
    command: ["node", "dist/sync/main.js"],
    user: WORKER_UID,
    env: { COEXIST_CONFIG: JSON.stringify(args.config), NODE_ENV: "production" },
    ...withKafkaEnv(mongoEnv(args.mongo), args.kafkaSecretRefEnv),
    ...(args.kafkaPassword ? withKafkaPasswordFile(args.kafkaPassword) : {}),
    ports: [{ name: HEALTH, container: port, host: replica === 0 ? args.metricsHostPort : undefined }],
    replicas: which.replicas,
    healthcheck: {
      command: ["node", "-e", `fetch('http://127.0.0.1:${port}/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    },
    // /healthz fails when no batch completes while records wait; /readyz while a batch is being retried.
    probes: { liveness: { path: "/healthz", port: HEALTH, failureThreshold: 6 }, readiness: { path: "/readyz", port: HEALTH } },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } },
  };
}

export function reconcilerService(args: SyncWorkersArgs): ServiceSpec {
  const postgres = postgresEnv(args.postgresReader);
  const mongo = mongoEnv(args.mongo);
  return {
    host: "reconciler",
    role: "reconciler",
    image: args.image,
    command: ["node", "dist/reconciler/main.js", "--schedule", args.reconcileSchedule],
    user: WORKER_UID,
    env: { COEXIST_CONFIG: JSON.stringify(reconcilerConfig(args.config)), NODE_ENV: "production" },
    secretEnv: { ...mongo.secretEnv, ...postgres.secretEnv },
    secretRefEnv: { ...mongo.secretRefEnv, ...postgres.secretRefEnv },
    ports: [{ name: HEALTH, container: args.config.metrics.port }],
    healthcheck: { command: ["node", "-e", `fetch('http://127.0.0.1:${args.config.metrics.port}/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`] },
    // Live while it serves; ready while its last run succeeded (a failing run shows, without a restart loop).
    probes: { liveness: { path: "/healthz", port: HEALTH }, readiness: { path: "/readyz", port: HEALTH } },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } },
  };
}

/**
 * The replication-slot exporter (workers/src/slot): Prometheus metrics of the WAL the stack's slot
 * retains, whether it is active and its wal_status, as a login role with no other privilege.
 */
export function slotExporterService(image: pulumi.Input<string>, m: NonNullable<SyncWorkersArgs["slotMetrics"]>): ServiceSpec {
  return {
    host: "slot-exporter",
    role: "slot-exporter",
    image,
    command: ["node", "dist/slot/main.js"],
    user: WORKER_UID,
    env: { COEXIST_SLOTS: m.slots.join(","), COEXIST_METRICS_PORT: String(m.port), NODE_ENV: "production" },
    ...postgresEnv(m.postgres),
    ports: [{ name: HEALTH, container: m.port, host: m.hostPort }],
    healthcheck: { command: ["node", "-e", `fetch('http://127.0.0.1:${m.port}/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`] },
    probes: { liveness: { path: "/healthz", port: HEALTH }, readiness: { path: "/readyz", port: HEALTH } },
    resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
  };
}

function withKafkaEnv(env: Pick<ServiceSpec, "secretEnv" | "secretRefEnv">, kafka: SyncWorkersArgs["kafkaSecretRefEnv"]): Pick<ServiceSpec, "secretEnv" | "secretRefEnv"> {
  return kafka ? { ...env, secretRefEnv: { ...env.secretRefEnv, ...kafka } } : env;
}

/** Where the Docker sync worker's Kafka password is uploaded. */
export const KAFKA_PASSWORD_FILE = "/run/secrets/coexist/kafka-sasl-password";

/** The worker reads KAFKA_SASL_PASSWORD (workers/src/runtime/config.ts): the shell fills it from the file, then becomes node. */
function withKafkaPasswordFile(password: pulumi.Output<string>): Pick<ServiceSpec, "command" | "files"> {
  return {
    command: ["sh", "-ec", `KAFKA_SASL_PASSWORD="$(cat ${KAFKA_PASSWORD_FILE})"; export KAFKA_SASL_PASSWORD; exec node dist/sync/main.js`],
    // The worker runs as its unprivileged user and uploads belong to root.
    files: [{ path: KAFKA_PASSWORD_FILE, content: password, secret: true, mode: "0444" }],
  };
}

function postgresEnv(reader: PostgresReader): Pick<ServiceSpec, "secretEnv" | "secretRefEnv"> {
  return reader.kind === "url"
    ? { secretEnv: { POSTGRES_URL: reader.url } }
    : { secretRefEnv: { POSTGRES_URL: { secret: reader.secret, key: reader.key } } };
}

/** Builds the worker image from workers/ on the local engine (the Docker target never pushes). */
export function buildWorkerImage(name: string, target: DockerTarget, opts: pulumi.CustomResourceOptions): docker.Image {
  const context = path.join(__dirname, "..", "..", "workers");
  return new docker.Image(
    name,
    {
      imageName: `coexist-worker:${target.namePrefix}`,
      build: { context, dockerfile: path.join(context, "Dockerfile"), platform: "linux/amd64" },
      skipPush: true,
    },
    target.provider ? { ...opts, provider: target.provider } : opts,
  );
}
