import { ACCESS_LIST_FIX, admitsWholeInternet } from "./access-list";
import * as mongodbatlas from "@pulumi/mongodbatlas";
import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { AtlasMongo } from "../platform-config";
import { deploy, Target } from "../runtime";
import { versions } from "../versions";
import type { MongoAccess } from "./access";
import type { ReadModelEndpoint } from "./endpoint";
import { mongoInitJob } from "./mongodb";

export interface MongoAtlasArgs extends AtlasMongo {
  /** The cluster's name in the Atlas project. */
  readonly clusterName: string;
  readonly database: string;
  /** The application user's password: readWrite on the read-model database, nothing else. */
  readonly appPassword: pulumi.Input<string>;
  /** Where the schema Job runs (the stack's cluster, which reaches Atlas through the access list). */
  readonly target: Target;
  /** The capture list: one collection each, with the read-model indexes. */
  readonly captures: readonly Capture[];
}

export const ATLAS_APP_USER = "coexist-sync";

/**
 * The read model on MongoDB Atlas (prod): a dedicated replica set with continuous backups,
 * point-in-time restore and termination protection; a least-privilege database user scoped to
 * this cluster; an access list of the cluster's egress addresses only; and the read-model schema
 * (collections and indexes, the same idempotent script as every other realisation) created by a
 * Job as the application user. The connection string is a secret output.
 */
export class MongoAtlas extends pulumi.ComponentResource {
  readonly access: MongoAccess;
  readonly ready: pulumi.Resource[];
  readonly endpoint: ReadModelEndpoint;

  constructor(name: string, args: MongoAtlasArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:mongodb:MongoAtlas", name, {}, opts);
    validateAtlasArgs(name, args);
    const cluster = new mongodbatlas.AdvancedCluster(`${name}-cluster`, {
      projectId: args.projectId,
      name: args.clusterName,
      clusterType: "REPLICASET",
      mongoDbMajorVersion: versions.mongodb.split(".").slice(0, 2).join("."),
      backupEnabled: true,
      pitEnabled: true,
      terminationProtectionEnabled: true,
      // Snapshots outlive the cluster: deleting it by mistake must not take the backups with it.
      retainBackupsEnabled: true,
      replicationSpecs: [{ regionConfigs: [{ providerName: args.providerName, regionName: args.regionName, priority: 7, electableSpecs: { instanceSize: args.instanceSize, nodeCount: 3 } }] }],
    }, { parent: this, retainOnDelete: opts.retainOnDelete });
    const user = new mongodbatlas.DatabaseUser(`${name}-user`, {
      projectId: args.projectId,
      username: ATLAS_APP_USER,
      password: pulumi.secret(args.appPassword),
      authDatabaseName: "admin",
      roles: [{ roleName: "readWrite", databaseName: args.database }],
      scopes: [{ name: cluster.name, type: "CLUSTER" }],
    }, { parent: this });
    const entries = args.accessList.map((cidrBlock, i) =>
      new mongodbatlas.ProjectIpAccessList(`${name}-access-${i}`, { projectId: args.projectId, cidrBlock, comment: `coexist ${args.clusterName}` }, { parent: this }));
    const url = pulumi.secret(pulumi.all([cluster.connectionStrings, args.appPassword]).apply(([c, password]) =>
      `mongodb+srv://${ATLAS_APP_USER}:${encodeURIComponent(password)}@${c.standardSrv.replace(/^mongodb\+srv:\/\//, "")}/${args.database}?retryWrites=true&w=majority`));
    this.access = { kind: "url", url };
    // Atlas runs the replica set and owns the user: the Job creates only collections and indexes
    // (readWrite allows both), and is replaced, so re-run, when the capture list changes the script.
    const init = deploy(`${name}-init`, mongoInitJob({ database: args.database, captures: args.captures, initiate: false, access: this.access }), args.target, { parent: this, dependsOn: [cluster, user, ...entries] });
    this.ready = [cluster, user, ...entries, ...init.ready];
    this.endpoint = { access: this.access, database: args.database, ready: this.ready };
    this.registerOutputs({});
  }
}

function validateAtlasArgs(name: string, args: MongoAtlasArgs): void {
  if (args.accessList.length === 0) throw new Error(`MongoAtlas ${name}: accessList is empty; fix: list the CIDR blocks of the cluster's egress addresses`);
  for (const cidr of args.accessList) {
    if (admitsWholeInternet(cidr)) throw new Error(`MongoAtlas ${name}: accessList entry ${cidr} opens the database to the whole internet; fix: ${ACCESS_LIST_FIX}`);
  }
}
