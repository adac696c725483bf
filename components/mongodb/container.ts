import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { deploy, DockerTarget, GeneratedSecret, LOOPBACK } from "../runtime";
import { MONGODB_TYPE, ReadModelEndpoint } from "./endpoint";
import { MONGODB_APP_USER, MONGODB_HOST, MONGODB_PORT, MONGODB_ROOT_USER, mongoInitJob, mongoService, REPLICA_SET } from "./mongodb";

export interface MongoContainerArgs {
  readonly target: DockerTarget;
  readonly database: string;
  /** The capture list: one collection each, with the read-model indexes. */
  readonly captures: readonly Capture[];
  /** The root password (administration only; workloads use the application user). */
  readonly rootPassword: pulumi.Input<string>;
  /** The application user's password: readWrite on the read-model database, nothing else. */
  readonly appPassword: pulumi.Input<string>;
  /** Host port on 127.0.0.1. */
  readonly hostPort: number;
}

/**
 * The read model for dev and pr-<n>: a single-node replica set in a container (change streams and
 * transactions need one), and a one-shot job that initiates it, creates the application user, the
 * collections and the indexes.
 */
export class MongoContainer extends pulumi.ComponentResource {
  readonly endpoint: ReadModelEndpoint;

  constructor(name: string, args: MongoContainerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(MONGODB_TYPE, name, {}, opts);
    const appPassword = pulumi.output(args.appPassword).apply(encodeURIComponent);
    const root = pulumi.output(args.rootPassword).apply(encodeURIComponent);
    const access = { kind: "url" as const, url: pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_APP_USER}:${appPassword}@${MONGODB_HOST}:${MONGODB_PORT}/${args.database}?authSource=admin&replicaSet=${REPLICA_SET}`) };
    // The member advertises the private host name, which the host cannot resolve: connect directly.
    const hostUrl = pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_ROOT_USER}:${root}@${LOOPBACK}:${args.hostPort}/?authSource=admin&directConnection=true`);
    // The key file members authenticate each other with: random, never derived from a password.
    const keyFile = new GeneratedSecret(`${name}-keyfile`, { bytes: 756, encoding: "base64" }, { parent: this });
    const server = deploy(`${name}-server`, mongoService({ hostPort: args.hostPort, rootPassword: args.rootPassword, keyFile: keyFile.value }), args.target, { parent: this, retainOnDelete: opts.retainOnDelete });
    // Replaced (and so re-run) whenever the capture list changes the script.
    const init = deploy(`${name}-init`, mongoInitJob({
      database: args.database, captures: args.captures, initiate: true,
      access: { kind: "url", url: pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_ROOT_USER}:${root}@${MONGODB_HOST}:${MONGODB_PORT}/?authSource=admin&directConnection=true`) },
      appPassword: args.appPassword,
    }), args.target, { parent: this, dependsOn: server.ready });
    this.endpoint = { access, database: args.database, ready: [...server.ready, ...init.ready], hostUrl };
    this.registerOutputs({ hostUrl });
  }
}
