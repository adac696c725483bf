import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { deploy, GeneratedSecret, ServiceSpec, Target } from "../runtime";
import { images } from "../versions";
import { type MongoAccess, mongoEnv } from "./access";
import { createCommunityReplicaSet } from "./community";

export type { MongoAccess } from "./access";
export { mongoEnv } from "./access";

export interface MongoDbArgs {
  readonly target: Target;
  readonly database: string;
  readonly captures: readonly Capture[];
  /** Docker: the root password (administration only; workloads use the application user). */
  readonly rootPassword?: pulumi.Input<string>;
  /** The application user's password: readWrite on the read-model database, nothing else. */
  readonly appPassword: pulumi.Input<string>;
  /** Docker: host port on 127.0.0.1. */
  readonly hostPort: number;
  /** Kubernetes: replica-set members. @default 3 */
  readonly members?: number;
  /** Kubernetes: each member's volume. @default "20Gi" */
  readonly storageSize?: string;
}

export const MONGODB_HOST = "mongodb";
export const MONGODB_PORT = 27017;
export const MONGODB_ROOT_USER = "root";
/** The user the sync worker and the reconciler log in as. */
export const MONGODB_APP_USER = "coexist-sync";
export const REPLICA_SET = "rs0";
const SECRETS = "/run/coexist";

/**
 * MongoDB as a replica set (change streams and transactions need one), its application user, and
 * the collections and indexes the capture list implies: a single-node replica set in a container
 * on Docker; a MongoDBCommunity replica set on Kubernetes.
 */
export class MongoDb extends pulumi.ComponentResource {
  /** How the stack's workloads connect, as the application user. */
  readonly access: MongoAccess;
  /** Docker: root connection string on 127.0.0.1 for developers and tests; a secret. */
  readonly hostUrl?: pulumi.Output<string>;
  readonly database: string;
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: MongoDbArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:mongodb:MongoDb", name, {}, opts);
    this.database = args.database;
    const appPassword = pulumi.output(args.appPassword).apply(encodeURIComponent);
    if (args.target.kind === "kubernetes") {
      const rs = createCommunityReplicaSet(name, { ...args, target: args.target }, { parent: this, retainOnDelete: opts.retainOnDelete });
      this.access = rs.access;
      const init = deploy(`${name}-init`, mongoInitJob({ database: args.database, captures: args.captures, initiate: false, access: rs.access }), args.target, { parent: this, dependsOn: rs.ready });
      this.ready = [...rs.ready, ...init.ready];
    } else {
      if (args.rootPassword === undefined) throw new Error(`MongoDb ${name}: rootPassword is required on the docker target; fix: set coexist:mongodbPassword`);
      const root = pulumi.output(args.rootPassword).apply(encodeURIComponent);
      this.access = { kind: "url", url: pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_APP_USER}:${appPassword}@${MONGODB_HOST}:${MONGODB_PORT}/${args.database}?authSource=admin&replicaSet=${REPLICA_SET}`) };
      // The member advertises the private host name, which the host cannot resolve: connect directly.
      this.hostUrl = pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_ROOT_USER}:${root}@127.0.0.1:${args.hostPort}/?authSource=admin&directConnection=true`);
      // The key file members authenticate each other with: random, never derived from a password.
      const keyFile = new GeneratedSecret(`${name}-keyfile`, { bytes: 756, encoding: "base64" }, { parent: this });
      const server = deploy(`${name}-server`, mongoService({ ...args, rootPassword: args.rootPassword, keyFile: keyFile.value }), args.target, { parent: this, retainOnDelete: opts.retainOnDelete });
      // A one-shot job initiates the replica set, creates the application user, the collections and
      // the indexes; it is replaced (and so re-run) whenever the capture list changes the script.
      const init = deploy(`${name}-init`, mongoInitJob({
        database: args.database, captures: args.captures, initiate: true,
        access: { kind: "url", url: pulumi.secret(pulumi.interpolate`mongodb://${MONGODB_ROOT_USER}:${root}@${MONGODB_HOST}:${MONGODB_PORT}/?authSource=admin&directConnection=true`) },
        appPassword: args.appPassword,
      }), args.target, { parent: this, dependsOn: server.ready });
      this.ready = [...server.ready, ...init.ready];
    }
    this.registerOutputs({ hostUrl: this.hostUrl });
  }
}

export function mongoService(args: Pick<MongoDbArgs, "hostPort"> & { rootPassword: pulumi.Input<string>; keyFile: pulumi.Input<string> }): ServiceSpec {
  return {
    host: MONGODB_HOST,
    image: images.mongodb,
    // mongod refuses a key file readable by others or owned by another user, and Docker uploads land as root.
    entrypoint: ["bash", "-c", `install -m 0400 -o mongodb -g mongodb ${SECRETS}/keyfile /data/keyfile && exec docker-entrypoint.sh "$@"`, "mongod"],
    command: ["mongod", "--replSet", REPLICA_SET, "--keyFile", "/data/keyfile", "--bind_ip_all"],
    env: { MONGO_INITDB_ROOT_USERNAME: MONGODB_ROOT_USER, MONGO_INITDB_ROOT_PASSWORD_FILE: `${SECRETS}/root-password` },
    ports: [{ name: "mongodb", container: MONGODB_PORT, host: args.hostPort }],
    volumes: [{ name: "data", path: "/data/db" }],
    files: [
      { path: `${SECRETS}/root-password`, content: args.rootPassword, secret: true, mode: "0444" },
      { path: `${SECRETS}/keyfile`, content: args.keyFile, secret: true },
    ],
    healthcheck: { command: ["mongosh", "--quiet", "--eval", "db.adminCommand('ping').ok"] },
  };
}

/**
 * The job that prepares the read model. The connection string reaches mongosh through the
 * environment and a file, never its command line (which any process on the host can read).
 */
export function mongoInitJob(args: { database: string; captures: readonly Capture[]; initiate: boolean; access: MongoAccess; appPassword?: pulumi.Input<string> }): ServiceSpec {
  const files: ServiceSpec["files"] = [
    { path: `${SECRETS}/init.js`, content: renderMongoInit(args.database, args.captures, { initiate: args.initiate, createAppUser: args.appPassword !== undefined }) },
    ...(args.appPassword !== undefined ? [{ path: `${SECRETS}/app-password`, content: args.appPassword, secret: true, mode: "0444" }] : []),
  ];
  return {
    host: `${MONGODB_HOST}-init`,
    role: "mongodb-init",
    image: images.mongodb,
    user: "999",
    entrypoint: ["bash", "-c"],
    command: [`exec mongosh --quiet --nodb --file ${SECRETS}/init.js`],
    ...mongoEnv(args.access),
    files,
    scratch: ["/tmp", "/data/db"],
    job: true,
  };
}

/** Collections, indexes and (on Docker) the replica set and application user, as an idempotent mongosh script. */
export function renderMongoInit(database: string, captures: readonly Capture[], opts: { initiate: boolean; createAppUser: boolean } = { initiate: true, createAppUser: true }): string {
  const collections = captures.map((c) => c.collection);
  const lines = [
    "// Rendered by coexist from the capture list; idempotent. MONGODB_URL comes from the environment.",
    "const conn = connect(process.env.MONGODB_URL);",
  ];
  if (opts.initiate) {
    lines.push(
      "try { conn.adminCommand({ replSetGetStatus: 1 }); } catch (e) {",
      `  conn.adminCommand({ replSetInitiate: { _id: ${JSON.stringify(REPLICA_SET)}, members: [{ _id: 0, host: ${JSON.stringify(`${MONGODB_HOST}:${MONGODB_PORT}`)} }] } });`,
      "}",
      "for (let i = 0; i < 60 && !conn.hello().isWritablePrimary; i++) sleep(1000);",
      `if (!conn.hello().isWritablePrimary) throw new Error("replica set ${REPLICA_SET} has no primary after 60s");`,
    );
  }
  if (opts.createAppUser) {
    lines.push(
      `const password = fs.readFileSync(${JSON.stringify(`${SECRETS}/app-password`)}, "utf8");`,
      `const admin = conn.getSiblingDB("admin");`,
      `const roles = [{ role: "readWrite", db: ${JSON.stringify(database)} }];`,
      `if (admin.getUser(${JSON.stringify(MONGODB_APP_USER)})) admin.updateUser(${JSON.stringify(MONGODB_APP_USER)}, { pwd: password, roles });`,
      `else admin.createUser({ user: ${JSON.stringify(MONGODB_APP_USER)}, pwd: password, roles });`,
    );
  }
  lines.push(
    `const target = conn.getSiblingDB(${JSON.stringify(database)});`,
    "const existing = target.getCollectionNames();",
    `for (const name of ${JSON.stringify(collections)}) {`,
    "  if (!existing.includes(name)) target.createCollection(name);",
    ...MONGO_INDEXES.map((ix) => `  target.getCollection(name).createIndex(${JSON.stringify(ix.keys)}, ${JSON.stringify(ix.options)});`),
    "}",
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Indexes on every read-model collection (the key is `_id`, indexed already): freshness queries
 * and the reconciler scan by `_synced_at`; read services filter soft-deleted documents.
 */
export const MONGO_INDEXES: readonly { keys: Record<string, number>; options: Record<string, unknown> }[] = [
  { keys: { _synced_at: 1 }, options: { name: "coexist_synced_at" } },
  { keys: { _deleted: 1 }, options: { name: "coexist_deleted", partialFilterExpression: { _deleted: true } } },
];
