import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { deploy, ServiceSpec, Target } from "../runtime";
import { images } from "../versions";

export interface MongoDbArgs {
  readonly target: Target;
  readonly database: string;
  readonly captures: readonly Capture[];
  readonly rootPassword: pulumi.Output<string>;
  /** Host port on 127.0.0.1. */
  readonly hostPort: number;
  /** @default false */
  readonly protect?: boolean;
}

export const MONGODB_HOST = "mongodb";
export const MONGODB_PORT = 27017;
export const MONGODB_ROOT_USER = "root";
export const REPLICA_SET = "rs0";
const SECRETS = "/run/coexist";

/**
 * MongoDB as a single-node replica set (change streams and transactions need one), its
 * database, and the collections and indexes the capture list implies.
 */
export class MongoDb extends pulumi.ComponentResource {
  /** Connection string for services on the private network; a secret. */
  readonly internalUrl: pulumi.Output<string>;
  /** Connection string on 127.0.0.1 for developers and tests; a secret. */
  readonly hostUrl: pulumi.Output<string>;
  readonly database: string;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: MongoDbArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:mongodb:MongoDb", name, {}, opts);
    this.database = args.database;
    const password = args.rootPassword.apply(encodeURIComponent);
    this.internalUrl = pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_ROOT_USER}:${password}@${MONGODB_HOST}:${MONGODB_PORT}/?authSource=admin&replicaSet=${REPLICA_SET}`);
    // The member advertises the private host name, which the host cannot resolve: connect directly.
    this.hostUrl = pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_ROOT_USER}:${password}@127.0.0.1:${args.hostPort}/?authSource=admin&directConnection=true`);
    const server = deploy(`${name}-server`, mongoService(args), args.target, { parent: this, protect: args.protect ?? false });
    // A one-shot job initiates the replica set and creates collections and indexes; it is replaced
    // (and so re-run) whenever the capture list changes the script.
    const init = deploy(`${name}-init`, mongoInitJob(args), args.target, { parent: this, dependsOn: server.ready });
    this.ready = [...server.ready, ...init.ready];
    this.registerOutputs({ internalUrl: this.internalUrl, hostUrl: this.hostUrl });
  }
}

export function mongoService(args: MongoDbArgs): ServiceSpec {
  return {
    host: MONGODB_HOST,
    image: images.mongodb,
    // mongod refuses a key file readable by others or owned by another user, and uploads land as root.
    entrypoint: ["bash", "-c", `install -m 0400 -o mongodb -g mongodb ${SECRETS}/keyfile /data/keyfile && exec docker-entrypoint.sh "$@"`, "mongod"],
    command: ["mongod", "--replSet", REPLICA_SET, "--keyFile", "/data/keyfile", "--bind_ip_all"],
    env: { MONGO_INITDB_ROOT_USERNAME: MONGODB_ROOT_USER, MONGO_INITDB_ROOT_PASSWORD_FILE: `${SECRETS}/root-password` },
    ports: [{ name: "mongodb", container: MONGODB_PORT, host: args.hostPort }],
    volumes: [{ name: "data", path: "/data/db" }],
    files: [
      { path: `${SECRETS}/root-password`, content: args.rootPassword, secret: true, mode: "0444" },
      { path: `${SECRETS}/keyfile`, content: args.rootPassword.apply(replicaSetKey), secret: true },
    ],
    healthcheck: { command: ["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"] },
  };
}

export function mongoInitJob(args: MongoDbArgs): ServiceSpec {
  return {
    host: `${MONGODB_HOST}-init`,
    image: images.mongodb,
    command: ["bash", "-c", `mongosh --quiet "mongodb://${MONGODB_ROOT_USER}:$(cat ${SECRETS}/root-password)@${MONGODB_HOST}:${MONGODB_PORT}/?authSource=admin&directConnection=true" ${SECRETS}/init.js`],
    files: [
      { path: `${SECRETS}/root-password`, content: args.rootPassword, secret: true, mode: "0444" },
      { path: `${SECRETS}/init.js`, content: renderMongoInit(args.database, args.captures) },
    ],
    job: true,
  };
}

/** The replica-set key file, derived from the root password so it is stable and never stored separately. */
export function replicaSetKey(password: string): string {
  return createHash("sha256").update(`coexist-keyfile/${password}`).digest("base64");
}

/** Collections and indexes implied by the capture list, as an idempotent mongosh script. */
export function renderMongoInit(database: string, captures: readonly Capture[]): string {
  const collections = captures.map((c) => c.collection);
  return `// Rendered by coexist from the capture list; idempotent.
try { rs.status(); } catch (e) {
  rs.initiate({ _id: ${JSON.stringify(REPLICA_SET)}, members: [{ _id: 0, host: ${JSON.stringify(`${MONGODB_HOST}:${MONGODB_PORT}`)} }] });
}
for (let i = 0; i < 60 && !db.hello().isWritablePrimary; i++) sleep(1000);
if (!db.hello().isWritablePrimary) throw new Error("replica set ${REPLICA_SET} has no primary after 60s");
const target = db.getSiblingDB(${JSON.stringify(database)});
const existing = target.getCollectionNames();
for (const name of ${JSON.stringify(collections)}) {
  if (!existing.includes(name)) target.createCollection(name);
${MONGO_INDEXES.map((ix) => `  target.getCollection(name).createIndex(${JSON.stringify(ix.keys)}, ${JSON.stringify(ix.options)});`).join("\n")}
}
`;
}

/**
 * Indexes on every read-model collection (the key is `_id`, indexed already): freshness queries
 * and the reconciler scan by `_synced_at`; read services filter soft-deleted documents.
 */
export const MONGO_INDEXES: readonly { keys: Record<string, number>; options: Record<string, unknown> }[] = [
  { keys: { _synced_at: 1 }, options: { name: "coexist_synced_at" } },
  { keys: { _deleted: 1 }, options: { name: "coexist_deleted", partialFilterExpression: { _deleted: true } } },
];
