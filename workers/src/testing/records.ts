/**
 * Builders for Debezium change events exactly as the connector's JsonConverter
 * writes them (key without schema, value with schema: the envelope with before,
 * after, source, op and the `__epoch` the InsertField SMT adds), used by unit tests.
 * Shapes follow Debezium's PostgreSQL type mapping with decimal.handling.mode=precise
 * and time.precision.mode=adaptive_time_microseconds (checked against the real
 * connector's output in test/).
 */
import type { RawRecord } from "../sync/change.js";
import type { Capture } from "../runtime/config.js";

export const ORDERS: Capture = { table: "public.orders", topic: "coexist.public.orders", collection: "orders", key: "order_id", transform: "order" };
export const CUSTOMERS: Capture = { table: "public.customers", topic: "coexist.public.customers", collection: "customers", key: "customer_id", transform: "customer" };
export const PRODUCTS: Capture = { table: "public.products", topic: "coexist.public.products", collection: "products", key: "product_id", transform: "product" };

const sourceSchema = {
  type: "struct",
  name: "io.debezium.connector.postgresql.Source",
  optional: false,
  field: "source",
  fields: [
    { field: "version", type: "string", optional: false },
    { field: "connector", type: "string", optional: false },
    { field: "name", type: "string", optional: false },
    { field: "ts_ms", type: "int64", optional: false },
    { field: "snapshot", type: "string", optional: true, name: "io.debezium.data.Enum" },
    { field: "db", type: "string", optional: false },
    { field: "sequence", type: "string", optional: true },
    { field: "schema", type: "string", optional: false },
    { field: "table", type: "string", optional: false },
    { field: "txId", type: "int64", optional: true },
    { field: "lsn", type: "int64", optional: true },
  ],
};

/** The row struct of public.orders, as `before` and `after` carry it. */
export const orderRowSchema = {
  type: "struct",
  name: "coexist.public.orders.Value",
  optional: true,
  fields: [
    { field: "order_id", type: "int64", optional: false },
    { field: "customer_id", type: "int64", optional: true },
    { field: "status", type: "string", optional: true },
    { field: "total", type: "bytes", optional: true, name: "org.apache.kafka.connect.data.Decimal", version: 1, parameters: { scale: "18", "connect.decimal.precision": "38" } },
    { field: "items", type: "string", optional: true, name: "io.debezium.data.Json", version: 1 },
    { field: "notes", type: "string", optional: true },
    { field: "created_at", type: "string", optional: true, name: "io.debezium.time.ZonedTimestamp", version: 1 },
    { field: "updated_at", type: "string", optional: true, name: "io.debezium.time.ZonedTimestamp", version: 1 },
  ],
};

export const orderSchema = envelopeSchema("coexist.public.orders", orderRowSchema);

export function envelopeSchema(name: string, row: object): object {
  return {
    type: "struct",
    name: `${name}.Envelope`,
    optional: false,
    fields: [
      { ...row, field: "before" },
      { ...row, field: "after" },
      sourceSchema,
      { field: "op", type: "string", optional: false },
      { field: "ts_ms", type: "int64", optional: true },
      { field: "__epoch", type: "string", optional: true },
    ],
  };
}

/** Unscaled integer → Connect Decimal base64 (minimal big-endian two's complement, as Java's BigInteger.toByteArray). */
export function decimalBase64(unscaled: bigint): string {
  let bytes = 1;
  while (unscaled >= 1n << BigInt(8 * bytes - 1) || unscaled < -(1n << BigInt(8 * bytes - 1))) bytes++;
  const encoded = unscaled < 0n ? (1n << BigInt(8 * bytes)) + unscaled : unscaled;
  return Buffer.from(encoded.toString(16).padStart(bytes * 2, "0"), "hex").toString("base64");
}

export interface OrderImage {
  order_id: number;
  customer_id?: number | null;
  status?: string | null;
  total?: bigint | null;
  items?: string | null;
  notes?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
}

export interface EventOptions {
  op?: "c" | "u" | "d" | "r";
  lsn: number;
  offset: bigint;
  partition?: number;
  tsMs?: number;
  /** The `__epoch` field; omitted when undefined (a connector without the epoch SMT). @default 0 */
  epoch?: number | null;
}

export function orderRecord(image: OrderImage, o: EventOptions): RawRecord {
  const op = o.op ?? "c";
  const row = {
    order_id: image.order_id,
    customer_id: image.customer_id ?? null,
    status: image.status ?? null,
    total: image.total === undefined || image.total === null ? null : decimalBase64(image.total),
    items: image.items ?? null,
    notes: image.notes ?? null,
    created_at: image.created_at ?? null,
    updated_at: image.updated_at ?? null,
  };
  return raw(ORDERS.topic, { order_id: image.order_id }, changeEvent(op, op === "d" ? null : row, { ...o, op }, op === "d" ? { order_id: image.order_id } : null), o.offset, o.partition);
}

/** An envelope value `{schema, payload}` for a change of public.orders. */
export function changeEvent(op: string, after: Record<string, unknown> | null, o: EventOptions, before: Record<string, unknown> | null = null): object {
  const tsMs = o.tsMs ?? 1_732_400_000_000;
  const payload: Record<string, unknown> = {
    before,
    after,
    source: {
      version: "3.6.1.Final",
      connector: "postgresql",
      name: "coexist",
      ts_ms: tsMs,
      snapshot: op === "r" ? "true" : "false",
      db: "coexist",
      sequence: `[null,"${o.lsn}"]`,
      schema: "public",
      table: "orders",
      txId: 1,
      lsn: o.lsn,
    },
    op,
    ts_ms: tsMs + 5,
  };
  const epoch = o.epoch === undefined ? 0 : o.epoch;
  if (epoch !== null) payload.__epoch = String(epoch);
  return { schema: orderSchema, payload };
}

/** A TRUNCATE of public.orders: Debezium sends it without a key, to any partition. */
export function truncateRecord(o: Omit<EventOptions, "op">): RawRecord {
  return raw(ORDERS.topic, null, changeEvent("t", null, { ...o, op: "c" }), o.offset, o.partition);
}

export function tombstone(topic: string, key: Record<string, unknown>, offset: bigint, partition = 0): RawRecord {
  return { topic, partition, offset, key: Buffer.from(JSON.stringify(key)), value: null };
}

export function raw(topic: string, key: unknown, value: unknown, offset: bigint, partition = 0): RawRecord {
  return {
    topic,
    partition,
    offset,
    key: key === null ? null : Buffer.from(typeof key === "string" ? key : JSON.stringify(key)),
    value: value === null ? null : Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
  };
}
