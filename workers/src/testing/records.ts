/**
 * Builders for flattened Debezium records exactly as the connector's
 * JsonConverter writes them (key without schema, value with schema), used
 * by unit tests. Shapes follow Debezium's PostgreSQL type mapping with
 * decimal.handling.mode=precise and time.precision.mode=adaptive_time_microseconds.
 */
import type { RawRecord } from "../sync/change.js";
import type { Capture } from "../runtime/config.js";

export const ORDERS: Capture = { table: "public.orders", topic: "coexist.public.orders", collection: "orders", key: "order_id", transform: "order" };
export const CUSTOMERS: Capture = { table: "public.customers", topic: "coexist.public.customers", collection: "customers", key: "customer_id", transform: "customer" };
export const PRODUCTS: Capture = { table: "public.products", topic: "coexist.public.products", collection: "products", key: "product_id", transform: "product" };

const meta = [
  { field: "__op", type: "string", optional: true },
  { field: "__lsn", type: "int64", optional: true },
  { field: "__source_ts_ms", type: "int64", optional: true },
  { field: "__deleted", type: "string", optional: true },
];

export const orderSchema = {
  type: "struct",
  name: "coexist.public.orders.Value",
  optional: false,
  fields: [
    { field: "order_id", type: "int64", optional: false },
    { field: "customer_id", type: "int64", optional: true },
    { field: "status", type: "string", optional: true },
    { field: "total", type: "bytes", optional: true, name: "org.apache.kafka.connect.data.Decimal", version: 1, parameters: { scale: "18", "connect.decimal.precision": "38" } },
    { field: "items", type: "string", optional: true, name: "io.debezium.data.Json", version: 1 },
    { field: "notes", type: "string", optional: true },
    { field: "created_at", type: "string", optional: true, name: "io.debezium.time.ZonedTimestamp", version: 1 },
    { field: "updated_at", type: "string", optional: true, name: "io.debezium.time.ZonedTimestamp", version: 1 },
    ...meta,
  ],
};

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

export function orderRecord(
  image: OrderImage,
  o: { op?: "c" | "u" | "d" | "r"; lsn: number; offset: bigint; partition?: number; tsMs?: number },
): RawRecord {
  const op = o.op ?? "c";
  const payload = {
    order_id: image.order_id,
    customer_id: image.customer_id ?? null,
    status: image.status ?? null,
    total: image.total === undefined || image.total === null ? null : decimalBase64(image.total),
    items: image.items ?? null,
    notes: image.notes ?? null,
    created_at: image.created_at ?? null,
    updated_at: image.updated_at ?? null,
    __op: op,
    __lsn: o.lsn,
    __source_ts_ms: o.tsMs ?? 1_732_400_000_000,
    __deleted: op === "d" ? "true" : "false",
  };
  return raw(ORDERS.topic, { order_id: image.order_id }, { schema: orderSchema, payload }, o.offset, o.partition);
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
