import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { deploy, DockerTarget, ServiceSpec, Target } from "../runtime";
import { WorkerConfig } from "./config";

export interface SyncWorkersArgs {
  readonly target: Target;
  /** The worker image (built from workers/ on Docker, pulled from a registry on Kubernetes). */
  readonly image: pulumi.Input<string>;
  readonly config: WorkerConfig;
  /** Secret connection strings, passed as env and never rendered into the config. */
  readonly mongodbUrl: pulumi.Output<string>;
  readonly postgresUrl: pulumi.Output<string>;
  /** @default 1 */
  readonly replicas?: number;
  /** Five-field cron expression for the reconciler. */
  readonly reconcileSchedule: string;
  /** Host port on 127.0.0.1 for the first replica's metrics; unset keeps metrics on the private network. */
  readonly metricsHostPort?: number;
  readonly dependsOn?: pulumi.Resource[];
}

/** The sync worker replicas and the scheduled reconciler. */
export class SyncWorkers extends pulumi.ComponentResource {
  constructor(name: string, args: SyncWorkersArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:workers:SyncWorkers", name, {}, opts);
    if ((args.replicas ?? 1) < 1) throw new Error(`SyncWorkers ${name}: replicas must be at least 1, got ${args.replicas}`);
    const childOpts = { parent: this, dependsOn: args.dependsOn };
    for (let i = 0; i < (args.replicas ?? 1); i++) {
      deploy(`${name}-sync-${i}`, syncService(args, i), args.target, childOpts);
    }
    deploy(`${name}-reconciler`, reconcilerService(args), args.target, childOpts);
    this.registerOutputs({});
  }
}

function workerEnv(args: SyncWorkersArgs): Pick<ServiceSpec, "env" | "secretEnv"> {
  return {
    env: { COEXIST_CONFIG: JSON.stringify(args.config), NODE_ENV: "production" },
    secretEnv: { MONGODB_URL: args.mongodbUrl, POSTGRES_URL: args.postgresUrl },
  };
}

export function syncService(args: SyncWorkersArgs, replica: number): ServiceSpec {
  const port = args.config.metrics.port;
  return {
    host: `sync-${replica}`,
    image: args.image,
    command: ["node", "dist/sync/main.js"],
    ...workerEnv(args),
    ports: [{ name: "metrics", container: port, host: replica === 0 ? args.metricsHostPort : undefined }],
    healthcheck: {
      command: ["node", "-e", `fetch('http://127.0.0.1:${port}/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    },
  };
}

export function reconcilerService(args: SyncWorkersArgs): ServiceSpec {
  return {
    host: "reconciler",
    image: args.image,
    command: ["node", "dist/reconciler/main.js", "--schedule", args.reconcileSchedule],
    ...workerEnv(args),
  };
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
