/**
 * The capture list: each captured table declared once. Every layer derives from it
 * (publication, connector include list, topics, worker mapping, collections, reconciler).
 */

/** Named document transforms implemented by the sync worker (workers/src/transforms). */
export const TRANSFORMS = ["order", "customer", "product", "identity"] as const;
export type TransformName = (typeof TRANSFORMS)[number];

export interface Capture {
  /** Schema-qualified source table, e.g. `public.orders`. */
  readonly table: string;
  /** MongoDB collection of the read model. */
  readonly collection: string;
  /** Primary-key column, or a composite key's columns comma-separated (`tenant_id,order_id`): the document `_id` (a document of those columns, in that order, when composite). */
  readonly key: string;
  /** Named transform applied by the worker. */
  readonly transform: TransformName;
}

/** Splits `schema.table`; callers have validated the shape already. */
export function splitTable(table: string): { schema: string; name: string } {
  const dot = table.indexOf(".");
  return { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

/** Quotes a schema-qualified name for SQL (`"public"."orders"`). */
export function quoteTable(table: string): string {
  const { schema, name } = splitTable(table);
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function quoteIdent(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}
