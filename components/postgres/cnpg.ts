import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { awaitAnnotations, customResource } from "../kubernetes/custom-resource";
import { KubernetesTarget } from "../runtime";
import { images } from "../versions";
import { POSTGRES_SERVER_TYPE, PostgresEndpoint } from "./endpoint";
import type { PostgresRole } from "./role";
import { POSTGRES_PORT, postgresSettings } from "./server";

/** The CloudNativePG realisation of PostgreSQL: a `postgresql.cnpg.io/v1` Cluster. */

export const CNPG_API = "postgresql.cnpg.io/v1";
/** The cluster's name inside the stack's namespace; CloudNativePG names its Services `<name>-rw`, `-ro`, `-r`. */
export const CNPG_CLUSTER = "postgres";

export interface CnpgClusterInput {
  readonly database: string;
  /** postgresql.conf parameters (wal_level, max_slot_wal_keep_size...). */
  readonly settings: Record<string, string>;
  /** @default 3 */
  readonly instances?: number;
  /** @default "20Gi" */
  readonly storageSize?: string;
  /** @default the cluster's default StorageClass */
  readonly storageClass?: string;
  /** Managed roles: each one's password is in the named basic-auth Secret. */
  readonly roles: readonly { readonly name: string; readonly secret: string; readonly replication?: boolean }[];
}

/** The Cluster's spec, pure: what a reviewer sees in a preview and the CRD schema validates. */
export function renderCnpgClusterSpec(input: CnpgClusterInput): Record<string, unknown> {
  return {
    instances: input.instances ?? 3,
    imageName: images.cnpgPostgres,
    // No superuser login: the stack's objects are owned by the application owner and by roles the operator manages.
    enableSuperuserAccess: false,
    postgresql: { parameters: input.settings },
    bootstrap: { initdb: { database: input.database, owner: "app" } },
    storage: { size: input.storageSize ?? "20Gi", ...(input.storageClass ? { storageClass: input.storageClass } : {}) },
    managed: {
      roles: input.roles.map((r) => ({
        name: r.name,
        ensure: "present",
        login: true,
        // REPLICATION without SUPERUSER is enough for a logical slot; the reader gets neither.
        replication: r.replication ?? false,
        superuser: false,
        createdb: false,
        createrole: false,
        inherit: true,
        passwordSecret: { name: r.secret },
      })),
    },
  };
}

/** The basic-auth Secret CloudNativePG reads a managed role's password from. */
export function cnpgRoleSecret(role: string): string {
  return `${CNPG_CLUSTER}-${role.replace(/_/g, "-")}`;
}

export interface CnpgCluster {
  readonly name: string;
  /** The read-write Service: where workloads reach the primary. */
  readonly host: string;
  /** The Secret CloudNativePG writes with the application owner's credentials (username, password, uri). */
  readonly ownerSecret: string;
  /** Each managed role's basic-auth Secret, by role name. */
  readonly roleSecrets: Record<string, string>;
  readonly ready: pulumi.Resource[];
}

export function createCnpgCluster(
  name: string,
  args: { target: KubernetesTarget; database: string; settings: Record<string, string>; instances?: number; storageSize?: string; roles?: readonly PostgresRole[] },
  opts: { parent: pulumi.Resource; retainOnDelete?: boolean },
): CnpgCluster {
  const t = args.target;
  const o: pulumi.CustomResourceOptions = { parent: opts.parent, provider: t.provider };
  const roles = (args.roles ?? []).map((r) => ({ name: r.name, secret: cnpgRoleSecret(r.name), replication: r.replication, password: r.password }));
  // CloudNativePG reads managed roles' passwords from basic-auth Secrets, and reloads them on change.
  const secrets = roles.map((r) => new k8s.core.v1.Secret(`${name}-role-${r.name}`, {
    metadata: { name: r.secret, namespace: t.namespace, labels: { ...t.labels, "cnpg.io/reload": "true" } },
    type: "kubernetes.io/basic-auth",
    stringData: { username: r.name, password: pulumi.secret(r.password) },
  }, o));
  const cluster = customResource(`${name}-cluster`, {
    apiVersion: CNPG_API,
    kind: "Cluster",
    metadata: { name: CNPG_CLUSTER, namespace: t.namespace, labels: t.labels, annotations: awaitAnnotations(t) },
    spec: renderCnpgClusterSpec({ ...args, storageClass: t.storageClass, roles }),
  }, { ...o, dependsOn: secrets, retainOnDelete: opts.retainOnDelete });
  return {
    name: CNPG_CLUSTER,
    host: `${CNPG_CLUSTER}-rw`,
    ownerSecret: `${CNPG_CLUSTER}-app`,
    roleSecrets: Object.fromEntries(roles.map((r) => [r.name, r.secret])),
    ready: [cluster, ...secrets],
  };
}

export interface PostgresCnpgArgs {
  readonly target: KubernetesTarget;
  readonly database: string;
  /**
   * Login roles the operator owns (Debezium's replication role, the reconciler's read-only one),
   * each with its password in a Secret; CloudNativePG keeps the superuser login off.
   */
  readonly roles: readonly PostgresRole[];
  /** The replication role among `roles` that the CDC source is applied for. */
  readonly debeziumUser: string;
  /** Cap on WAL a replication slot may retain. @default "2GB" */
  readonly maxSlotWalKeepSize?: string;
  /** @default 10 */
  readonly maxReplicationSlots?: number;
  /** @default 10 */
  readonly maxWalSenders?: number;
  /** Instances of the cluster (one primary, the rest streaming replicas). @default 3 */
  readonly instances?: number;
  /** Each instance's volume. @default "20Gi" */
  readonly storageSize?: string;
}

/** PostgreSQL as a CloudNativePG cluster in the stack's namespace (staging, prod). */
export class PostgresCnpg extends pulumi.ComponentResource {
  readonly endpoint: PostgresEndpoint;

  constructor(name: string, args: PostgresCnpgArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(POSTGRES_SERVER_TYPE, name, {}, opts);
    if (!args.roles.some((r) => r.name === args.debeziumUser && r.replication === true)) {
      throw new Error(`PostgresCnpg ${name}: debeziumUser ${args.debeziumUser} is not among the roles with REPLICATION (${args.roles.map((r) => r.name).join(", ")}); fix: declare it with its password and replication: true`);
    }
    const cluster = createCnpgCluster(name, { ...args, settings: postgresSettings(args) }, { parent: this, retainOnDelete: opts.retainOnDelete });
    this.endpoint = {
      host: cluster.host,
      port: POSTGRES_PORT,
      database: args.database,
      sslmode: "require",
      cdc: { kind: "cnpg", target: args.target, cluster: cluster.name, host: cluster.host, ownerSecret: cluster.ownerSecret, roleSecret: cnpgRoleSecret(args.debeziumUser) },
      ready: cluster.ready,
    };
    this.registerOutputs({});
  }
}
