import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitAnnotations, customResource } from "../kubernetes/custom-resource";
import { KubernetesTarget } from "../runtime";
import { versions } from "../versions";
import type { MongoAccess } from "./access";

/**
 * The MongoDB Controllers for Kubernetes realisation of MongoDb: a `mongodbcommunity.mongodb.com/v1`
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
