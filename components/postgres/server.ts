import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "../runtime";
import { images } from "../versions";

export type { PostgresRole } from "./role";

/** The container's settings: what postgresService renders. */
export interface PostgresServiceArgs {
  readonly database: string;
  /** The superuser password, through a file (never the environment). */
  readonly superuserPassword: pulumi.Input<string>;
  /** Host port on 127.0.0.1, used by the stack's postgresql provider and by developers. */
  readonly hostPort: number;
  /** Cap on WAL a replication slot may retain; an abandoned slot is invalidated instead of filling the disk. @default "2GB" */
  readonly maxSlotWalKeepSize?: string;
  /** @default 10 */
  readonly maxReplicationSlots?: number;
  /** @default 10 */
  readonly maxWalSenders?: number;
  /** Load components/postgres/demo-schema.sql on first start (dev, pr-<n>). @default false */
  readonly demoSchema?: boolean;
}

export const POSTGRES_HOST = "postgres";
export const POSTGRES_PORT = 5432;
export const POSTGRES_SUPERUSER = "postgres";
const PASSWORD_FILE = "/run/coexist/postgres-password";

/** The server settings that make logical decoding safe; exported for tests and the data plane. */
export function postgresSettings(args: Pick<PostgresServiceArgs, "maxSlotWalKeepSize" | "maxReplicationSlots" | "maxWalSenders">): Record<string, string> {
  return {
    wal_level: "logical",
    max_replication_slots: String(args.maxReplicationSlots ?? 10),
    max_wal_senders: String(args.maxWalSenders ?? 10),
    max_slot_wal_keep_size: args.maxSlotWalKeepSize ?? "2GB",
  };
}

/** PostgreSQL with logical WAL as a container: the Docker realisation's neutral description (container.ts). */
export function postgresService(args: PostgresServiceArgs): ServiceSpec {
  const settings = Object.entries(postgresSettings(args)).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  const files = [
    // The entrypoint drops to the postgres user before reading the file, hence world-readable inside the container.
    { path: PASSWORD_FILE, content: args.superuserPassword, secret: true, mode: "0444" },
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
