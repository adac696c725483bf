// `npm start -- --demo [rate]`: a steady stream of inserts, updates and deletes on the captured
// tables. The tables come from the stack's capture config, their columns from the demo schema
// (components/postgres/demo-schema.sql). Pure: parsing and statement generation; main.ts runs them.

export interface Column {
  name: string;
  type: string; // lower-case SQL type as written, e.g. "bigint", "numeric(12,2)"
  notNull: boolean;
  hasDefault: boolean;
  unique: boolean;
}

export interface Table {
  name: string; // schema-qualified
  columns: Column[];
}

/** The CREATE TABLE statements of a schema file (the demo schema's plain form: one column per line). */
export function parseSchema(sql: string): Map<string, Table> {
  const tables = new Map<string, Table>();
  const text = sql.replace(/--[^\n]*/g, "");
  for (const m of text.matchAll(/CREATE TABLE IF NOT EXISTS\s+([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)\s*\(([\s\S]*?)\n\);/gi)) {
    const columns: Column[] = [];
    for (const raw of m[2]!.split("\n")) {
      const line = raw.trim().replace(/,$/, "");
      const c = /^([a-z_][a-z0-9_]*)\s+([a-z]+(?:\s+precision)?(?:\([0-9, ]+\))?)(.*)$/i.exec(line);
      if (!c || /^(primary|unique|constraint|foreign|check)$/i.test(c[1]!)) continue;
      const rest = c[3]!.toLowerCase();
      columns.push({ name: c[1]!, type: c[2]!.toLowerCase(), notNull: /not null|primary key/.test(rest), hasDefault: /default/.test(rest) || /serial/.test(c[2]!.toLowerCase()), unique: /unique|primary key/.test(rest) });
    }
    tables.set(m[1]!.toLowerCase(), { name: m[1]!.toLowerCase(), columns });
  }
  return tables;
}

export interface DemoCapture {
  table: string;
  key: string;
}

export interface Statement {
  sql: string;
  params: unknown[];
  op: "insert" | "update" | "delete";
  table: string;
}

const ident = (s: string) => s.split(".").map((p) => `"${p.replace(/"/g, '""')}"`).join(".");

/** A value for a column of `type`, from a random source; the row number keeps unique text columns unique. */
export function valueFor(col: Column, row: number, r: () => number): unknown {
  const t = col.type;
  if (/^(bigint|integer|int|smallint|bigserial|serial)/.test(t)) return col.unique ? row : Math.floor(r() * 1000);
  if (t.startsWith("numeric") || t.startsWith("double") || t === "real") return (Math.round(r() * 100_000) / 100).toFixed(2);
  // The worker's transforms (workers/src/transform/transforms.ts) want orders.items as a JSON array
  // and other JSON columns (products.attributes) as objects; anything else goes to the DLQ.
  if ((t === "jsonb" || t === "json") && col.name === "items") return JSON.stringify([{ sku: `demo-${Math.floor(r() * 100)}`, qty: 1 + Math.floor(r() * 5) }]);
  if (t === "jsonb" || t === "json") return JSON.stringify({ demo: true, n: Math.floor(r() * 100) });
  if (t === "boolean") return r() < 0.5;
  if (t.startsWith("timestamp")) return new Date().toISOString();
  return col.unique ? `demo-${row}` : `demo ${Math.floor(r() * 1e6).toString(36)}`;
}

/**
 * The demo writer's state: the keys it inserted and has not deleted yet, per table. next() picks the
 * operation: an insert while a table holds few demo rows, else an update (60 %) or a delete.
 */
export class DemoWriter {
  readonly #live = new Map<string, number[]>();
  #next: number;
  readonly #tables: { capture: DemoCapture; table: Table }[];

  constructor(captures: readonly DemoCapture[], schema: ReadonlyMap<string, Table>, private readonly r: () => number, firstKey = 1_000_000_000) {
    this.#next = firstKey;
    this.#tables = captures.map((c) => {
      const table = schema.get(c.table.toLowerCase());
      if (!table) throw new Error(`--demo: the captured table ${c.table} is not in components/postgres/demo-schema.sql; the demo writes only the demo schema's tables`);
      if (!table.columns.some((col) => col.name === c.key)) throw new Error(`--demo: ${c.table} has no column ${c.key} (its capture key)`);
      return { capture: c, table };
    });
    if (this.#tables.length === 0) throw new Error("--demo: the stack captures no table");
  }

  next(): Statement {
    const { capture, table } = this.#tables[Math.floor(this.r() * this.#tables.length)]!;
    const live = this.#live.get(table.name) ?? [];
    this.#live.set(table.name, live);
    const key = table.columns.find((c) => c.name === capture.key)!;
    const roll = this.r();
    if (live.length < 20 || roll < 0.5) {
      const row = this.#next++;
      const cols = table.columns.filter((c) => c.name === capture.key || !c.hasDefault);
      const params = cols.map((c) => (c.name === capture.key ? (/int|serial/.test(key.type) ? row : `demo-${row}`) : valueFor(c, row, this.r)));
      live.push(row);
      return { op: "insert", table: table.name, sql: `INSERT INTO ${ident(table.name)} (${cols.map((c) => ident(c.name)).join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, params };
    }
    const idx = Math.floor(this.r() * live.length);
    const row = live[idx]!;
    const keyValue = /int|serial/.test(key.type) ? row : `demo-${row}`;
    if (roll < 0.85) {
      const mutable = table.columns.filter((c) => c.name !== capture.key && !c.unique && !c.type.startsWith("timestamp"));
      const col = mutable.length > 0 ? mutable[Math.floor(this.r() * mutable.length)]! : undefined;
      if (col) {
        return { op: "update", table: table.name, sql: `UPDATE ${ident(table.name)} SET ${ident(col.name)} = $1 WHERE ${ident(capture.key)} = $2`, params: [valueFor(col, row, this.r), keyValue] };
      }
    }
    live.splice(idx, 1);
    return { op: "delete", table: table.name, sql: `DELETE FROM ${ident(table.name)} WHERE ${ident(capture.key)} = $1`, params: [keyValue] };
  }
}
