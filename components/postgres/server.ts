import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { deploy, LOOPBACK, ServiceSpec, Target } from "../runtime";
import { images } from "../versions";

export interface PostgresServerArgs {
  readonly target: Target;
  readonly database: string;
  readonly superuserPassword: pulumi.Output<string>;
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
  /** @default false */
  readonly protect?: boolean;
}

export const POSTGRES_HOST = "postgres";
export const POSTGRES_PORT = 5432;
export const POSTGRES_SUPERUSER = "postgres";
const PASSWORD_FILE = "/run/coexist/postgres-password";

/** PostgreSQL with logical WAL: the system of record and the CDC source. */
export class PostgresServer extends pulumi.ComponentResource {
  /** Host name and port on the stack's private network. */
  readonly host = POSTGRES_HOST;
  readonly port = POSTGRES_PORT;
  readonly database: string;
  /** Address the Pulumi engine (and a developer) reaches it on. */
  readonly hostAddress = LOOPBACK;
  readonly hostPort: number;
  readonly superuser = POSTGRES_SUPERUSER;
  readonly superuserPassword: pulumi.Output<string>;
  readonly ready: pulumi.Resource[];
  /** Superuser URL on loopback; a secret. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: PostgresServerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:postgres:PostgresServer", name, {}, opts);
    this.database = args.database;
    this.hostPort = args.hostPort;
    this.superuserPassword = args.superuserPassword;
    this.ready = deploy(`${name}-server`, postgresService(args), args.target, { parent: this, protect: args.protect ?? false }).ready;
    this.url = pulumi.secret(
      pulumi.interpolate`postgresql://${POSTGRES_SUPERUSER}:${args.superuserPassword.apply(encodeURIComponent)}@${LOOPBACK}:${args.hostPort}/${args.database}`,
    );
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
    { path: PASSWORD_FILE, content: args.superuserPassword, secret: true, mode: "0444" },
  ];
  if (args.demoSchema) {
    files.push({ path: "/docker-entrypoint-initdb.d/10-demo-schema.sql", content: pulumi.output(demoSchemaSql()), secret: false, mode: "0444" });
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
