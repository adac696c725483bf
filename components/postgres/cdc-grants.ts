import { Capture, splitTable } from "../capture";

export interface GrantSpec {
  readonly id: string;
  readonly schema: string;
  readonly objectType: "schema" | "table";
  readonly objects: string[];
  readonly privileges: string[];
}

/** Captured table names by schema, sorted. */
function tablesBySchema(captures: readonly Capture[]): Map<string, string[]> {
  const bySchema = new Map<string, string[]>();
  for (const c of captures) {
    const { schema, name } = splitTable(c.table);
    bySchema.set(schema, [...(bySchema.get(schema) ?? []), name]);
  }
  return bySchema;
}

/** A read-only role (the reconciler): USAGE on the captured schemas and SELECT on the captured tables. */
export function readerGrants(captures: readonly Capture[]): GrantSpec[] {
  const bySchema = tablesBySchema(captures);
  return [
    ...[...bySchema.keys()].sort().map((schema): GrantSpec => ({ id: `usage-${schema}`, schema, objectType: "schema", objects: [], privileges: ["USAGE"] })),
    ...[...bySchema.entries()].map(([schema, tables]): GrantSpec => ({ id: `select-${schema}`, schema, objectType: "table", objects: [...tables].sort(), privileges: ["SELECT"] })),
  ];
}

/** Least privilege for the Debezium role: USAGE on the schemas, SELECT on captured tables, and write on the heartbeat table only. */
export function cdcGrants(captures: readonly Capture[], heartbeatTable: string): GrantSpec[] {
  const bySchema = tablesBySchema(captures);
  const hb = splitTable(heartbeatTable);
  const schemas = [...new Set([...bySchema.keys(), hb.schema])].sort();
  return [
    ...schemas.map((schema): GrantSpec => ({ id: `usage-${schema}`, schema, objectType: "schema", objects: [], privileges: ["USAGE"] })),
    ...[...bySchema.entries()].map(([schema, tables]): GrantSpec => ({ id: `select-${schema}`, schema, objectType: "table", objects: [...tables].sort(), privileges: ["SELECT"] })),
    { id: "heartbeat", schema: hb.schema, objectType: "table", objects: [hb.name], privileges: ["INSERT", "SELECT", "UPDATE"] },
  ];
}
