import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { ServiceSpec } from "../runtime";
import { images } from "../versions";
import { type MongoAccess, mongoEnv } from "./access";

export type { MongoAccess } from "./access";
export { mongoEnv } from "./access";

export const MONGODB_HOST = "mongodb";
export const MONGODB_PORT = 27017;
export const MONGODB_ROOT_USER = "root";
/** The user the sync worker and the reconciler log in as. */
export const MONGODB_APP_USER = "coexist-sync";
export const REPLICA_SET = "rs0";
const SECRETS = "/run/coexist";

/** The container's settings (Docker): a single-member replica set with a root user and a key file. */
export function mongoService(args: { hostPort: number; rootPassword: pulumi.Input<string>; keyFile: pulumi.Input<string> }): ServiceSpec {
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
