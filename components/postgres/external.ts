import * as pulumi from "@pulumi/pulumi";
import { PostgresEndpoint } from "./endpoint";

export interface ExternalPostgresArgs {
  /**
   * The server's host name, known at preview: it is part of the connector's config, which a
   * preview diffs field by field (a new host replaces the connector).
   */
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** libpq sslmode for the stack's and the connector's connections. */
  readonly sslmode: "disable" | "require" | "verify-full";
  /** "managed": the stack applies the CDC source as `adminUser`; "existing": a DBA did. */
  readonly cdcSource: "managed" | "existing";
  /** The role the stack applies the CDC source with (CREATEROLE, and ownership or grant option on the captured tables). */
  readonly adminUser: string;
  /** `adminUser`'s password; required when `cdcSource` is managed. @default none */
  readonly adminPassword?: pulumi.Input<string>;
  /** The Debezium role's password; required when `cdcSource` is managed. @default none */
  readonly debeziumPassword?: pulumi.Input<string>;
  /** What the server waits for (an RDS instance of the same program). @default none */
  readonly ready?: pulumi.Resource[];
}

/**
 * An existing PostgreSQL server (RDS, Cloud SQL, a DBA's cluster): no resource of its own, only
 * the endpoint. With `cdcSource: managed` the stack applies the source through the postgresql
 * provider, from where Pulumi runs, as the admin role.
 */
export function externalPostgres(name: string, args: ExternalPostgresArgs): PostgresEndpoint {
  const where = { host: args.host, port: args.port };
  if (args.cdcSource === "existing") return { ...where, database: args.database, sslmode: args.sslmode, probe: where, ready: args.ready ?? [] };
  if (args.adminPassword === undefined) throw new Error(`${name}: cdcSource managed needs the admin role's password; fix: pulumi config set --secret coexist:postgresPassword`);
  if (args.debeziumPassword === undefined) throw new Error(`${name}: cdcSource managed creates the Debezium role and needs its password; fix: pulumi config set --secret coexist:debeziumPassword`);
  return {
    ...where,
    database: args.database,
    sslmode: args.sslmode,
    cdc: { kind: "provider", ...where, adminUser: args.adminUser, adminPassword: args.adminPassword, sslmode: args.sslmode, debeziumPassword: args.debeziumPassword },
    probe: where,
    ready: args.ready ?? [],
  };
}
