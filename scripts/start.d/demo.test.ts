import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DemoWriter, parseSchema } from "./demo";
import { rng } from "../../components/testing/seeded";
import { transforms, type TransformName } from "../../workers/src/transform/transforms.js";

const SEED = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);
const schema = parseSchema(fs.readFileSync(path.join(__dirname, "..", "..", "components", "postgres", "demo-schema.sql"), "utf8"));
const CAPTURES = [
  { table: "public.customers", key: "customer_id", transform: "customer" as TransformName },
  { table: "public.products", key: "product_id", transform: "product" as TransformName },
  { table: "public.orders", key: "order_id", transform: "order" as TransformName },
];

test("parseSchema reads the demo schema's tables and columns", () => {
  const orders = schema.get("public.orders")!;
  assert.deepEqual(orders.columns.map((c) => c.name), ["order_id", "customer_id", "status", "total", "items", "notes", "created_at", "updated_at"]);
  assert.equal(orders.columns.find((c) => c.name === "status")!.hasDefault, true);
  assert.equal(schema.get("public.products")!.columns.find((c) => c.name === "sku")!.unique, true);
  assert.equal(schema.get("public.products")!.columns.find((c) => c.name === "sku")!.notNull, true);
});

test(`demo writer: updates and deletes only hit live rows, inserts never reuse a key, NOT NULL columns get values (generated schedules, seed ${SEED})`, () => {
  const r = rng(SEED);
  for (let run = 0; run < 50; run++) {
    const caps = CAPTURES.filter(() => r() < 0.7);
    if (caps.length === 0) caps.push(CAPTURES[0]!);
    const w = new DemoWriter(caps, schema, r);
    const live = new Map<string, Set<unknown>>();
    const ever = new Set<string>();
    const ops = { insert: 0, update: 0, delete: 0 };
    for (let i = 0; i < 500; i++) {
      const s = w.next();
      ops[s.op]++;
      const rows = live.get(s.table) ?? new Set();
      live.set(s.table, rows);
      const key = s.params[s.op === "update" ? 1 : 0];
      if (s.op === "insert") {
        const cols = /\(([^)]*)\) VALUES/.exec(s.sql)![1]!.split(", ").map((c) => c.replace(/"/g, ""));
        const table = schema.get(s.table)!;
        for (const c of table.columns.filter((c) => c.notNull && !c.hasDefault)) {
          const v = s.params[cols.indexOf(c.name)];
          assert.ok(cols.includes(c.name) && v !== null && v !== undefined, `seed ${SEED} run ${run}: ${s.table}.${c.name} NOT NULL without a value`);
        }
        const k = `${s.table}/${String(s.params[cols.indexOf(caps.find((c) => c.table === s.table)!.key)])}`;
        assert.ok(!ever.has(k), `seed ${SEED} run ${run}: key reused ${k}`);
        ever.add(k);
        rows.add(s.params[cols.indexOf(caps.find((c) => c.table === s.table)!.key)]);
        // The row as Debezium carries it (JSON columns as strings) passes the worker's transform: no DLQ.
        const row = Object.fromEntries(cols.map((c, j) => [c, s.params[j]]));
        assert.doesNotThrow(() => transforms[caps.find((c) => c.table === s.table)!.transform](row), `seed ${SEED} run ${run}: ${s.table} ${JSON.stringify(row)}`);
      } else {
        assert.ok(rows.has(key), `seed ${SEED} run ${run}: ${s.op} of a row not live: ${s.table} ${String(key)}`);
        if (s.op === "delete") rows.delete(key);
        if (s.op === "update") {
          const col = /SET "([^"]+)"/.exec(s.sql)![1]!;
          assert.doesNotThrow(() => transforms[caps.find((c) => c.table === s.table)!.transform]({ [col]: s.params[0] }), `seed ${SEED} run ${run}: update ${s.table}.${col}=${String(s.params[0])}`);
        }
      }
    }
    assert.ok(ops.insert > 0 && ops.update > 0 && ops.delete > 0, `seed ${SEED} run ${run}: all three operations: ${JSON.stringify(ops)}`);
  }
});

test("demo writer refuses a captured table outside the demo schema, naming it", () => {
  assert.throws(() => new DemoWriter([{ table: "public.ledger", key: "id" }], schema, Math.random), /public\.ledger is not in components\/postgres\/demo-schema\.sql/);
});
