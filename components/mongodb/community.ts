import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitAnnotations, customResource } from "../kubernetes/custom-resource";
import { KubernetesTarget } from "../runtime";
import { versions } from "../versions";
import { Capture } from "../capture";
import { deploy } from "../runtime";
import type { MongoAccess } from "./access";
import { MONGODB_TYPE, ReadModelEndpoint } from "./endpoint";
import { mongoInitJob } from "./mongodb";

/**
 * The MongoDB Controllers for Kubernetes realisation of the read model: a `mongodbcommunity.mongodb.com/v1`
 * MongoDBCommunity replica set with SCRAM authentication and one application user (readWrite on
 * the read-model database) whose password comes from a Secret. The operator writes the user's
 * connection string into another Secret, which the workloads read directly.
 */

export const MONGODB_COMMUNITY_API = "mongodbcommunity.mongodb.com/v1";
export const MONGODB_COMMUNITY = "mongodb";

export interface CommunityInput {
  readonly members: number;
  readonly database: string;
  readonly user: string;
  readonly passwordSecret: string;
  readonly connectionSecret: string;
  readonly storageSize: string;
  /** @default the cluster's default StorageClass */
  readonly storageClass?: string;
}

export function renderCommunitySpec(input: CommunityInput): Record<string, unknown> {
  return {
    members: input.members,
    type: "ReplicaSet",
    version: versions.mongodb,
    security: { authentication: { modes: ["SCRAM"] } },
    users: [
      {
        name: input.user,
        db: "admin",
        passwordSecretRef: { name: input.passwordSecret },
        roles: [{ name: "readWrite", db: input.database }],
        scramCredentialsSecretName: `${input.user}-scram`,
        connectionStringSecretName: input.connectionSecret,
      },
    ],
    statefulSet: {
      spec: {
        volumeClaimTemplates: [
          { metadata: { name: "data-volume" }, spec: { ...(input.storageClass ? { storageClassName: input.storageClass } : {}), resources: { requests: { storage: input.storageSize } } } },
        ],
      },
    },
  };
}

export function createCommunityReplicaSet(
  name: string,
  args: { target: KubernetesTarget; database: string; appPassword: pulumi.Input<string>; members?: number; storageSize?: string },
  opts: { parent: pulumi.Resource; retainOnDelete?: boolean },
): { access: MongoAccess; ready: pulumi.Resource[] } {
  const t = args.target;
  const o: pulumi.CustomResourceOptions = { parent: opts.parent, provider: t.provider };
  const input: CommunityInput = {
    members: args.members ?? 3,
    database: args.database,
    user: "coexist-sync",
    passwordSecret: `${MONGODB_COMMUNITY}-coexist-sync-password`,
    connectionSecret: `${MONGODB_COMMUNITY}-coexist-sync`,
    storageSize: args.storageSize ?? "20Gi",
    storageClass: t.storageClass,
  };
  const password = new k8s.core.v1.Secret(`${name}-user-password`, {
    metadata: { name: input.passwordSecret, namespace: t.namespace, labels: t.labels },
    type: "Opaque",
    stringData: { password: pulumi.secret(args.appPassword) },
  }, o);
  const rs = customResource(`${name}-replicaset`, {
    apiVersion: MONGODB_COMMUNITY_API,
    kind: "MongoDBCommunity",
    metadata: { name: MONGODB_COMMUNITY, namespace: t.namespace, labels: t.labels, annotations: awaitAnnotations(t) },
    spec: renderCommunitySpec(input),
  }, { ...o, dependsOn: [password], retainOnDelete: opts.retainOnDelete });
  return { access: { kind: "secretRef", secret: input.connectionSecret, key: "connectionString.standard" }, ready: [password, rs] };
}

export interface MongoCommunityArgs {
  readonly target: KubernetesTarget;
  readonly database: string;
  /** The capture list: one collection each, with the read-model indexes. */
  readonly captures: readonly Capture[];
  /** The application user's password: readWrite on the read-model database, nothing else. */
  readonly appPassword: pulumi.Input<string>;
  /** Replica-set members. @default 3 */
  readonly members?: number;
  /** Each member's volume. @default "20Gi" */
  readonly storageSize?: string;
}

/**
 * The read model on Kubernetes (staging): a MongoDBCommunity replica set, and the schema Job that
 * creates the collections and indexes as the application user.
 */
export class MongoCommunity extends pulumi.ComponentResource {
  readonly endpoint: ReadModelEndpoint;

  constructor(name: string, args: MongoCommunityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(MONGODB_TYPE, name, {}, opts);
    const rs = createCommunityReplicaSet(name, args, { parent: this, retainOnDelete: opts.retainOnDelete });
    const init = deploy(`${name}-init`, mongoInitJob({ database: args.database, captures: args.captures, initiate: false, access: rs.access }), args.target, { parent: this, dependsOn: rs.ready });
    this.endpoint = { access: rs.access, database: args.database, ready: [...rs.ready, ...init.ready] };
    this.registerOutputs({});
  }
}
