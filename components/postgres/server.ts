import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { deploy, LOOPBACK, ServiceSpec, Target } from "../runtime";
import { images } from "../versions";
import { createCnpgCluster } from "./cnpg";
import type { PostgresRole } from "./role";

export type { PostgresRole } from "./role";

export interface PostgresServerArgs {
  readonly target: Target;
  readonly database: string;
  /** Docker: the superuser password. Kubernetes has no superuser login (CloudNativePG keeps it off). */
  readonly superuserPassword?: pulumi.Input<string>;
  /** Host port on 127.0.0.1 (Docker target), used by the stack's postgresql provider and by developers. */
  readonly hostPort: number;
  /** Cap on WAL a replication slot may retain; an abandoned slot is invalidated instead of filling the disk. @default "2GB" */
  readonly maxSlotWalKeepSize?: string;
  /** @default 10 */
  readonly maxReplicationSlots?: number;
  /** @default 10 */
  readonly maxWalSenders?: number;
  /** Load components/postgres/demo-schema.sql on first start (dev, pr-<n>). @default false */
  readonly demoSchema?: boolean;
  /**
   * Kubernetes: login roles the operator owns (Debezium's replication role, the reconciler's
   * read-only one), each with its password in a Secret. On Docker the CdcSource declares them
   * through the postgresql provider instead.
   */
  readonly roles?: readonly PostgresRole[];
  /** Kubernetes: instances of the cluster (one primary, the rest streaming replicas). @default 3 */
  readonly instances?: number;
  /** Kubernetes: each instance's volume. @default "20Gi" */
  readonly storageSize?: string;
}

export const POSTGRES_HOST = "postgres";
export const POSTGRES_PORT = 5432;
export const POSTGRES_SUPERUSER = "postgres";
const PASSWORD_FILE = "/run/coexist/postgres-password";

/**
 * PostgreSQL with logical WAL: the system of record and the CDC source. A container on Docker;
 * a CloudNativePG cluster on Kubernetes.
 */
export class PostgresServer extends pulumi.ComponentResource {
  /** Host name and port where the stack's workloads reach the primary. */
  readonly host: string;
  readonly port = POSTGRES_PORT;
  readonly database: string;
  /** Docker: where the Pulumi engine (and a developer) reaches it, as the superuser. */
  readonly admin?: { readonly host: string; readonly port: number; readonly user: string; readonly password: pulumi.Input<string> };
  /** Kubernetes: the CloudNativePG cluster, the Secret of its application owner's credentials, and each role's Secret. */
  readonly cnpg?: { readonly cluster: string; readonly ownerSecret: string; readonly roleSecrets: Readonly<Record<string, string>> };
  readonly ready: pulumi.Resource[];
  /** Docker: superuser URL on loopback; a secret. */
  readonly url?: pulumi.Output<string>;

  constructor(name: string, args: PostgresServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:postgres:PostgresServer", name, {}, opts);
    this.database = args.database;
    if (args.target.kind === "kubernetes") {
      const cluster = createCnpgCluster(name, { ...args, target: args.target, settings: postgresSettings(args) }, { parent: this, retainOnDelete: opts.retainOnDelete });
      this.host = cluster.host;
      this.cnpg = { cluster: cluster.name, ownerSecret: cluster.ownerSecret, roleSecrets: cluster.roleSecrets };
      this.ready = cluster.ready;
    } else {
      if (args.superuserPassword === undefined) throw new Error(`PostgresServer ${name}: superuserPassword is required on the docker target; fix: set coexist:postgresPassword`);
      this.host = POSTGRES_HOST;
      this.admin = { host: LOOPBACK, port: args.hostPort, user: POSTGRES_SUPERUSER, password: args.superuserPassword };
      this.ready = deploy(`${name}-server`, postgresService(args), args.target, { parent: this, retainOnDelete: opts.retainOnDelete }).ready;
      this.url = pulumi.secret(
        pulumi.interpolate`postgresql://${POSTGRES_SUPERUSER}:${pulumi.output(args.superuserPassword).apply(encodeURIComponent)}@${LOOPBACK}:${args.hostPort}/${args.database}`,
      );
    }
    this.registerOutputs({ url: this.url });
  }
}

/** The server settings that make logical decoding safe; exported for tests and the data plane. */
export function postgresSettings(args: Pick<PostgresServerArgs, "maxSlotWalKeepSize" | "maxReplicationSlots" | "maxWalSenders">): Record<string, string> {
  return {
    wal_level: "logical",
    max_replication_slots: String(args.maxReplicationSlots ?? 10),
    max_wal_senders: String(args.maxWalSenders ?? 10),
    max_slot_wal_keep_size: args.maxSlotWalKeepSize ?? "2GB",
  };
}

export function postgresService(args: PostgresServerArgs): ServiceSpec {
  const settings = Object.entries(postgresSettings(args)).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  const files = [
    // The entrypoint drops to the postgres user before reading the file, hence world-readable inside the container.
    { path: PASSWORD_FILE, content: args.superuserPassword ?? "", secret: true, mode: "0444" },
  ];
  if (args.demoSchema) {
    files.push({ path: "/docker-entrypoint-initdb.d/10-demo-schema.sql", content: demoSchemaSql(), secret: false, mode: "0444" });
  }
  return {
    host: POSTGRES_HOST,
    image: images.postgres,
    command: ["postgres", ...settings],
    env: { POSTGRES_DB: args.database, POSTGRES_USER: POSTGRES_SUPERUSER, POSTGRES_PASSWORD_FILE: PASSWORD_FILE },
    ports: [{ name: "postgres", container: POSTGRES_PORT, host: args.hostPort }],
    volumes: [{ name: "data", path: "/var/lib/postgresql/data" }],
    files,
    healthcheck: { command: ["pg_isready", "-U", POSTGRES_SUPERUSER, "-d", args.database] },
  };
}

export function demoSchemaSql(): string {
  return fs.readFileSync(path.join(__dirname, "demo-schema.sql"), "utf8");
}
