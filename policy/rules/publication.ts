import type { ResourceValidationPolicy } from "@pulumi/policy";
import { connectorConfig, describe, get, isKube, Resource, TYPES } from "../shapes";

/**
 * A publication over all tables sends every change of every table, present and future, through
 * the slot: data the stack never meant to copy lands in Kafka, and the slot's WAL grows with the
 * whole database's traffic. Debezium's own default (`publication.autocreate.mode` unset) creates
 * exactly that when the publication is missing.
 */
export function allTablesPublications(r: Resource): string[] {
  if (r.type === TYPES.pgPublication && r.props.allTables === true) {
    return [`${describe(r)} is FOR ALL TABLES; fix: list the captured tables plus the heartbeat table (tables) and leave allTables unset`];
  }
  if (isKube(r, "postgresql.cnpg.io", "Publication") && get(r.props, "spec", "target", "allTables") === true) {
    return [`${describe(r)} targets all tables; fix: list the captured tables plus the heartbeat table under spec.target.objects`];
  }
  if (r.type === TYPES.sqlScript && /\bFOR\s+ALL\s+TABLES\b/i.test(String(r.props.up ?? ""))) {
    return [`${describe(r)} runs CREATE PUBLICATION ... FOR ALL TABLES; fix: FOR TABLE <captured tables>, <heartbeat table>`];
  }
  const config = connectorConfig(r);
  if (config) {
    const mode = config["publication.autocreate.mode"];
    if (mode === undefined || mode === "all_tables") {
      return [`${describe(r)} has publication.autocreate.mode ${mode === undefined ? "unset (Debezium's default, all_tables)" : "all_tables"}: a missing publication is created FOR ALL TABLES; fix: disabled, with the publication created by the stack (or filtered)`];
    }
  }
  return [];
}

export const publicationNotAllTables: ResourceValidationPolicy = {
  name: "publication-not-all-tables",
  description: "Publications list the captured tables; none is FOR ALL TABLES, and no connector may create one.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of allTablesPublications(args)) reportViolation(finding);
  },
};
