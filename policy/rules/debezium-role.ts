import type { StackValidationPolicy } from "@pulumi/policy";
import { connectorConfig, describe, get, isKube, isRecord, list, Resource, TYPES } from "../shapes";

/**
 * Debezium needs REPLICATION, LOGIN and SELECT on the captured tables; a superuser connector can
 * read every table, drop any slot and write anywhere through its heartbeat query. Roles are
 * declared through the postgresql provider (Docker, external servers) or as CloudNativePG managed
 * roles (Kubernetes); the connector names its role in `database.user`.
 */

/** The built-in superuser of the postgres image, CloudNativePG and most managed services. */
const BUILTIN_SUPERUSERS = ["postgres", "rdsadmin", "cloudsqladmin", "azure_superuser"];

interface Role {
  readonly name: string;
  readonly superuser: boolean;
  readonly replication: boolean;
  readonly owner: Resource;
}

export function rolesOf(resources: readonly Resource[]): Role[] {
  const roles: Role[] = [];
  for (const r of resources) {
    if (r.type === TYPES.pgRole) {
      roles.push({ name: String(r.props.name ?? r.name), superuser: r.props.superuser === true, replication: r.props.replication === true, owner: r });
    }
    if (isKube(r, "postgresql.cnpg.io", "Cluster")) {
      for (const m of list(get(r.props, "spec", "managed", "roles")).filter(isRecord)) {
        roles.push({ name: String(m.name), superuser: m.superuser === true, replication: m.replication === true, owner: r });
      }
    }
  }
  return roles;
}

export function superuserDebezium(resources: readonly Resource[]): { message: string; urn: string }[] {
  const out: { message: string; urn: string }[] = [];
  const roles = rolesOf(resources);
  for (const role of roles.filter((x) => x.superuser && x.replication)) {
    const who = role.owner.type === TYPES.pgRole ? `${describe(role.owner)} has` : `${describe(role.owner)} declares role ${role.name} with`;
    out.push({ urn: role.owner.urn, message: `${who} REPLICATION and SUPERUSER; a replication role needs neither SUPERUSER nor more than SELECT on the captured tables; fix: set superuser false` });
  }
  for (const r of resources) {
    const user = connectorConfig(r)?.["database.user"];
    if (user === undefined) continue;
    if (BUILTIN_SUPERUSERS.includes(user)) {
      out.push({ urn: r.urn, message: `${describe(r)} logs in to PostgreSQL as ${user}, a superuser; fix: give it its own role with REPLICATION, LOGIN and SELECT on the captured tables (coexist:postgres.debeziumUser)` });
      continue;
    }
    const declared = roles.find((x) => x.name === user && x.superuser);
    if (declared) {
      out.push({ urn: r.urn, message: `${describe(r)} logs in as ${user}, which ${describe(declared.owner)} declares SUPERUSER; fix: set superuser false on that role` });
    }
  }
  return out;
}

export const debeziumRoleNotSuperuser: StackValidationPolicy = {
  name: "debezium-role-not-superuser",
  description: "The role the Debezium connector logs in as is not a superuser.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const v of superuserDebezium(args.resources)) reportViolation(v.message, v.urn);
  },
};
