import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { Capture, splitTable } from "../capture";
import { publicationTables } from "../connect/connector-config";
import { customResource } from "../kubernetes/custom-resource";
import { deploy, ServiceSpec } from "../runtime";
import { images } from "../versions";
import { cdcGrants, readerGrants } from "./cdc-grants";
import { grantsSql, heartbeatTableSql, readerGrantsSql, slotSql } from "./cdc-sql";
import { CNPG_API } from "./cnpg";
import type { CdcSourceVia } from "./endpoint";
import { postgresUrl, SqlScript } from "./sql-script";

export type { CdcSourceVia } from "./endpoint";

export { cdcGrants } from "./cdc-grants";
export type { GrantSpec } from "./cdc-grants";

export interface CdcSourceArgs {
  readonly database: string;
  readonly captures: readonly Capture[];
  /** Schema-qualified heartbeat table, in the publication so an idle source still advances the slot. */
  readonly heartbeatTable: string;
  readonly slotName: string;
  readonly publicationName: string;
  /** The Debezium role. */
  readonly user: string;
  /**
   * Other login roles: the reconciler's (`select`: USAGE on the captured schemas and SELECT on the
   * captured tables, nothing else) and the slot exporter's (LOGIN only: reading
   * pg_replication_slots and the WAL position needs no privilege). @default none
   */
  readonly readers?: readonly { readonly name: string; readonly password: pulumi.Input<string>; readonly select: boolean }[];
  readonly via: CdcSourceVia;
}

/**
 * What Debezium reads from: a non-superuser replication role with SELECT on the captured tables
 * only, the heartbeat table, one publication over the captured tables plus the heartbeat table,
 * and the replication slot. The stack owns the slot (rather than letting the connector create
 * it) so that destroying the stack drops it: a forgotten slot pins WAL until the disk is full.
 */
export class CdcSource extends pulumi.ComponentResource {
  readonly user: string;
  readonly slotName: string;
  readonly publicationName: string;
  /** Everything the connector needs to exist first; a destroy deletes the connector before these. */
  readonly ready: pulumi.Resource[];

  /** `opts.dependsOn`: what the database needs first (the server); the source's resources wait for it. */
  constructor(name: string, args: CdcSourceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:postgres:CdcSource", name, {}, opts);
    validateCdcSourceArgs(args);
    this.user = args.user;
    this.slotName = args.slotName;
    this.publicationName = args.publicationName;
    this.ready = args.via.kind === "provider" ? this.throughProvider(name, args, args.via, opts) : this.throughOperator(name, args, args.via, opts);
    this.registerOutputs({ user: this.user, slotName: this.slotName, publicationName: this.publicationName });
  }

  private throughProvider(name: string, args: CdcSourceArgs, via: Extract<CdcSourceVia, { kind: "provider" }>, opts: pulumi.ComponentResourceOptions): pulumi.Resource[] {
    const provider = new postgresql.Provider(`${name}-provider`, {
      host: via.host,
      port: via.port,
      database: args.database,
      username: via.adminUser,
      password: via.adminPassword,
      sslmode: via.sslmode,
      superuser: false,
    }, { parent: this, dependsOn: opts.dependsOn });
    const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({ parent: this, provider, ...extra });
    // The one object the provider cannot declare; it must exist before the grants and the publication name it.
    const heartbeat = new SqlScript(`${name}-heartbeat-table`, {
      connection: postgresUrl({ host: via.host, port: via.port, user: via.adminUser, password: via.adminPassword, database: args.database, sslmode: via.sslmode }),
      up: heartbeatTableSql(args.heartbeatTable),
      down: `DROP TABLE IF EXISTS ${args.heartbeatTable};`,
    }, { parent: this, dependsOn: opts.dependsOn });
    const role = new postgresql.Role(`${name}-role`, {
      name: args.user, login: true, replication: true, superuser: false, createDatabase: false, createRole: false, password: via.debeziumPassword,
    }, child());
    const grants = cdcGrants(args.captures, args.heartbeatTable).map((g) =>
      new postgresql.Grant(`${name}-grant-${g.id}`, {
        database: args.database, role: role.name, schema: g.schema, objectType: g.objectType, objects: g.objects, privileges: g.privileges,
      }, child({ dependsOn: [heartbeat] })));
    const publication = new postgresql.Publication(`${name}-publication`, {
      name: args.publicationName, database: args.database, tables: publicationTables(args.captures, args.heartbeatTable), publishParams: ["insert", "update", "delete", "truncate"],
    }, child({ dependsOn: [heartbeat] }));
    // pgoutput reads the publication by name when the slot is first streamed, so the slot follows it.
    const slot = new postgresql.ReplicationSlot(`${name}-slot`, { name: args.slotName, database: args.database, plugin: "pgoutput" }, child({ dependsOn: [publication] }));
    const readers = (args.readers ?? []).flatMap((r) => {
      const reader = new postgresql.Role(`${name}-reader-${r.name}`, { name: r.name, login: true, replication: false, superuser: false, createDatabase: false, createRole: false, password: r.password }, child());
      return [reader, ...(r.select ? readerGrants(args.captures) : []).map((g) =>
        new postgresql.Grant(`${name}-reader-${r.name}-${g.id}`, { database: args.database, role: reader.name, schema: g.schema, objectType: g.objectType, objects: g.objects, privileges: g.privileges }, child()))];
    });
    return [heartbeat, role, ...grants, publication, slot, ...readers];
  }

  private throughOperator(name: string, args: CdcSourceArgs, via: Extract<CdcSourceVia, { kind: "cnpg" }>, opts: pulumi.ComponentResourceOptions): pulumi.Resource[] {
    const t = via.target;
    // Heartbeat table and grants as the application owner (who owns the tables its migrations
    // created), then the slot as the replication role itself: no superuser anywhere.
    const setup = deploy(`${name}-setup`, cdcSetupJob(args, via), t, { parent: this, dependsOn: opts.dependsOn });
    const publication = customResource(`${name}-publication`, {
      apiVersion: CNPG_API,
      kind: "Publication",
      metadata: { name: args.publicationName.replace(/_/g, "-"), namespace: t.namespace, labels: t.labels },
      spec: renderCnpgPublicationSpec({ ...args, cluster: via.cluster }),
    }, { parent: this, provider: t.provider, dependsOn: setup.ready });
    return [...setup.ready, publication];
  }
}

/** The CloudNativePG Publication's spec: the captured tables plus the heartbeat table, dropped with the resource. */
export function renderCnpgPublicationSpec(input: { cluster: string; database: string; publicationName: string; captures: readonly Capture[]; heartbeatTable: string }): Record<string, unknown> {
  return {
    cluster: { name: input.cluster },
    dbname: input.database,
    name: input.publicationName,
    target: { objects: publicationTables(input.captures, input.heartbeatTable).map((t) => ({ table: splitTable(t) })) },
    publicationReclaimPolicy: "delete",
  };
}

/** The Kubernetes Job that applies the heartbeat table, the grants and the slot inside a CloudNativePG cluster. */
export function cdcSetupJob(args: Pick<CdcSourceArgs, "database" | "captures" | "heartbeatTable" | "slotName" | "user" | "readers">, via: { host: string; ownerSecret: string; roleSecret: string }): ServiceSpec {
  const owner = [
    heartbeatTableSql(args.heartbeatTable),
    grantsSql(args),
    ...(args.readers ?? []).filter((r) => r.select).map((r) => readerGrantsSql(args.captures, r.name)),
  ].join("\n");
  const conn = (user: string) => `host=${via.host} dbname=${args.database} user=${user} sslmode=require connect_timeout=15`;
  return {
    host: "cdc-setup",
    role: "cdc-setup",
    image: images.cnpgPostgres,
    // The postgres image's own uid.
    user: "26",
    entrypoint: ["bash", "-ec"],
    command: [
      [
        `psql -v ON_ERROR_STOP=1 "${conn("$OWNER")}" -f /sql/owner.sql`,
        `PGPASSWORD="$ROLE_PASSWORD" psql -v ON_ERROR_STOP=1 "${conn(args.user)}" -c ${shellQuote(slotSql(args.slotName))}`,
      ].join("\n"),
    ],
    secretRefEnv: {
      OWNER: { secret: via.ownerSecret, key: "username" },
      PGPASSWORD: { secret: via.ownerSecret, key: "password" },
      ROLE_PASSWORD: { secret: via.roleSecret, key: "password" },
    },
    files: [{ path: "/sql/owner.sql", content: owner }],
    job: true,
  };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
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


