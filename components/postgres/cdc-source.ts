import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { Capture, splitTable } from "../capture";
import { publicationTables } from "../connect/connector-config";
import { PostgresServer } from "./server";

export interface CdcSourceArgs {
  readonly server: PostgresServer;
  readonly captures: readonly Capture[];
  /** Schema-qualified heartbeat table, in the publication so an idle source still advances the slot. */
  readonly heartbeatTable: string;
  readonly slotName: string;
  readonly publicationName: string;
  readonly debeziumPassword: pulumi.Output<string>;
  /** @default "debezium" */
  readonly debeziumUser?: string;
  /** @default false */
  readonly protect?: boolean;
}

/**
 * What Debezium reads from: a non-superuser replication role with SELECT on the captured tables
 * only, one publication over those tables plus the heartbeat table, and the replication slot.
 * The stack owns the slot (rather than letting the connector create it) so that destroying the
 * stack drops it: a forgotten slot pins WAL until the disk is full.
 */
export class CdcSource extends pulumi.ComponentResource {
  readonly user: string;
  readonly role: postgresql.Role;
  readonly publication: postgresql.Publication;
  readonly slot: postgresql.ReplicationSlot;
  readonly slotName: string;
  readonly publicationName: string;
  /** Everything the connector needs to exist first; a destroy deletes the connector before these. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: CdcSourceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:postgres:CdcSource", name, {}, opts);
    validateCdcSourceArgs(args);
    const db = args.server.database;
    this.user = args.debeziumUser ?? "debezium";
    this.slotName = args.slotName;
    this.publicationName = args.publicationName;

    const provider = new postgresql.Provider(
      `${name}-provider`,
      {
        host: args.server.hostAddress,
        port: args.server.hostPort,
        database: db,
        username: args.server.superuser,
        password: args.server.superuserPassword,
        sslmode: "disable",
        superuser: true,
      },
      { parent: this, dependsOn: args.server.ready },
    );
    const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
      parent: this,
      provider,
      protect: args.protect ?? false,
      ...extra,
    });

    this.role = new postgresql.Role(
      `${name}-role`,
      { name: this.user, login: true, replication: true, superuser: false, createDatabase: false, createRole: false, password: args.debeziumPassword },
      child(),
    );
    const grants = cdcGrants(args.captures, args.heartbeatTable).map(
      (g) =>
        new postgresql.Grant(
          `${name}-grant-${g.id}`,
          { database: db, role: this.role.name, schema: g.schema, objectType: g.objectType, objects: g.objects, privileges: g.privileges },
          child(),
        ),
    );
    this.publication = new postgresql.Publication(
      `${name}-publication`,
      { name: args.publicationName, database: db, tables: publicationTables(args.captures, args.heartbeatTable), publishParams: ["insert", "update", "delete", "truncate"] },
      child(),
    );
    // pgoutput reads the publication by name when the slot is first streamed, so the slot follows it.
    this.slot = new postgresql.ReplicationSlot(
      `${name}-slot`,
      { name: args.slotName, database: db, plugin: "pgoutput" },
      child({ dependsOn: [this.publication] }),
    );
    this.ready = [this.role, ...grants, this.publication, this.slot];
    this.registerOutputs({ user: this.user, slotName: this.slotName, publicationName: this.publicationName });
  }
}

export interface GrantSpec {
  readonly id: string;
  readonly schema: string;
  readonly objectType: "schema" | "table";
  readonly objects: string[];
  readonly privileges: string[];
}

/** Least privilege for the Debezium role: USAGE on the schemas, SELECT on captured tables, and write on the heartbeat table only. */
export function cdcGrants(captures: readonly Capture[], heartbeatTable: string): GrantSpec[] {
  const bySchema = new Map<string, string[]>();
  for (const c of captures) {
    const { schema, name } = splitTable(c.table);
    bySchema.set(schema, [...(bySchema.get(schema) ?? []), name]);
  }
  const hb = splitTable(heartbeatTable);
  const schemas = [...new Set([...bySchema.keys(), hb.schema])].sort();
  return [
    ...schemas.map((schema): GrantSpec => ({ id: `usage-${schema}`, schema, objectType: "schema", objects: [], privileges: ["USAGE"] })),
    ...[...bySchema.entries()].map(([schema, tables]): GrantSpec => ({ id: `select-${schema}`, schema, objectType: "table", objects: [...tables].sort(), privileges: ["SELECT"] })),
    { id: "heartbeat", schema: hb.schema, objectType: "table", objects: [hb.name], privileges: ["INSERT", "SELECT", "UPDATE"] },
  ];
}

function validateCdcSourceArgs(args: CdcSourceArgs): void {
  if (args.captures.length === 0) throw new Error("CdcSource: captures is empty; declare at least one table in coexist:capture");
  if (args.captures.some((c) => c.table === args.heartbeatTable)) {
    throw new Error(`CdcSource: heartbeatTable ${args.heartbeatTable} is also in captures; fix: the heartbeat table is internal, remove it from coexist:capture`);
  }
  const hbSchema = splitTable(args.heartbeatTable).schema;
  const clash = args.captures.find((c) => splitTable(c.table).schema === hbSchema);
  if (clash) {
    // One postgresql.Grant per (role, schema, object type): two would revoke each other's privileges.
    throw new Error(`CdcSource: captured table ${clash.table} is in schema "${hbSchema}", which is reserved for coexist's heartbeat table; fix: capture tables from application schemas only`);
  }
}
