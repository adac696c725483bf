import { Capture, quoteIdent, quoteTable, splitTable } from "../capture";
import { publicationTables } from "../connect/connector-config";
import { cdcGrants, GrantSpec, readerGrants } from "./cdc-grants";

/**
 * The CDC source as idempotent SQL: what a DBA runs for a `cdcSource: existing` stack, what the
 * Kubernetes setup Job runs against a provisioned cluster, and what the tests run against the data
 * plane. The Docker target applies the same objects as resources of the postgresql provider; the
 * one thing that provider cannot declare, the heartbeat table, comes from here on every target.
 */

export interface CdcSqlInput {
  readonly captures: readonly Capture[];
  readonly heartbeatTable: string;
  readonly user: string;
  readonly publicationName: string;
  readonly slotName: string;
}

/** The heartbeat table Debezium's heartbeat.action.query writes to; in the publication so an idle source still moves the slot. */
export function heartbeatTableSql(heartbeatTable: string): string {
  const { schema } = splitTable(heartbeatTable);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)};`,
    `CREATE TABLE IF NOT EXISTS ${quoteTable(heartbeatTable)} (id integer PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now());`,
  ].join("\n");
}

/** GRANTs for the Debezium role: USAGE on the schemas, SELECT on the captured tables, write on the heartbeat table. */
export function grantsSql(input: Pick<CdcSqlInput, "captures" | "heartbeatTable" | "user">): string {
  return grantSpecsSql(cdcGrants(input.captures, input.heartbeatTable), input.user);
}

/** GRANTs for a read-only role (the reconciler). */
export function readerGrantsSql(captures: readonly Capture[], user: string): string {
  return grantSpecsSql(readerGrants(captures), user);
}

function grantSpecsSql(grants: readonly GrantSpec[], user: string): string {
  return grants
    .map((g) => {
      const on = g.objectType === "schema" ? `SCHEMA ${quoteIdent(g.schema)}` : `TABLE ${g.objects.map((o) => `${quoteIdent(g.schema)}.${quoteIdent(o)}`).join(", ")}`;
      return `GRANT ${g.privileges.join(", ")} ON ${on} TO ${quoteIdent(user)};`;
    })
    .join("\n");
}

/** The publication over the captured tables plus the heartbeat table, created or brought to exactly that list. */
export function publicationSql(input: Pick<CdcSqlInput, "captures" | "heartbeatTable" | "publicationName">): string {
  const tables = publicationTables(input.captures, input.heartbeatTable).map(quoteTable).join(", ");
  const name = quoteIdent(input.publicationName);
  return [
    "DO $coexist$ BEGIN",
    `  IF EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ${literal(input.publicationName)}) THEN`,
    `    ALTER PUBLICATION ${name} SET TABLE ${tables};`,
    "  ELSE",
    `    CREATE PUBLICATION ${name} FOR TABLE ${tables} WITH (publish = 'insert, update, delete, truncate');`,
    "  END IF;",
    "END $coexist$;",
  ].join("\n");
}

/** The stack-owned pgoutput slot, created when missing (it must follow the publication). */
export function slotSql(slotName: string): string {
  return `SELECT pg_create_logical_replication_slot(${literal(slotName)}, 'pgoutput') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ${literal(slotName)});`;
}

/**
 * The whole source except the role (whose password is a secret, created by the platform: a
 * managed role on Kubernetes, a provider resource on Docker, the DBA elsewhere), in the order
 * PostgreSQL needs: heartbeat table, grants, publication, then the slot. Two scripts, each run on
 * its own: PostgreSQL refuses to create a logical slot in a transaction that has written.
 */
export function cdcSourceSql(input: CdcSqlInput): [objects: string, slot: string] {
  return [[heartbeatTableSql(input.heartbeatTable), grantsSql(input), publicationSql(input)].join("\n"), slotSql(input.slotName)];
}

/** Undoes `cdcSourceSql` once the connector is gone: the slot first (it pins WAL), then the publication. */
export function dropCdcSourceSql(input: Pick<CdcSqlInput, "publicationName" | "slotName">): string {
  return [
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${literal(input.slotName)} AND NOT active;`,
    `DROP PUBLICATION IF EXISTS ${quoteIdent(input.publicationName)};`,
  ].join("\n");
}

/** A SQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
