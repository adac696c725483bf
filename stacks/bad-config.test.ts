import { stackConfig } from "./stack-files";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { installMocks, settle } from "../components/testing/mocks";

/** Invalid config fails the program before any resource is registered. */

const PASSWORDS = { "coexist:postgresPassword": "p", "coexist:debeziumPassword": "d", "coexist:mongodbPassword": "m" };
const devConfig = stackConfig("dev");
const orders = { table: "public.orders", collection: "orders", key: "order_id", transform: "order" };

const cases: { name: string; stack: string; config: Record<string, unknown>; message: RegExp }[] = [
  { name: "a table that is not schema-qualified", stack: "dev", config: { "coexist:capture": [{ ...orders, table: "orders" }] }, message: /coexist:capture\[0\]\.table: .*fix: prefix the schema/ },
  { name: "two tables mapped to one collection", stack: "dev", config: { "coexist:capture": [orders, { ...orders, table: "public.old_orders" }] }, message: /coexist:capture\[1\]\.collection: "orders" is already the collection/ },
  { name: "an unknown transform", stack: "dev", config: { "coexist:capture": [{ ...orders, transform: "ordre" }] }, message: /coexist:capture\[0\]\.transform: unknown transform "ordre"/ },
  { name: "a port out of range", stack: "dev", config: { "coexist:postgres": { port: 0 } }, message: /coexist:postgres\.port: port out of range, found 0/ },
  { name: "a prod stack without protection", stack: "prod", config: { "coexist:target": "kubernetes", "coexist:protect": false }, message: /coexist:protect: prod must protect its stateful resources/ },
  { name: "an unknown target", stack: "dev", config: { "coexist:target": "ecs" }, message: /coexist:target: unknown value "ecs"/ },
  { name: "missing gateway credentials", stack: "dev", config: {}, message: /coexist:kongCredentials: the dev gateway config needs DECK_/ },
  { name: "a missing secret", stack: "dev", config: { "coexist:mongodbPassword": undefined }, message: /coexist:mongodbPassword: missing; fix: pulumi config set --secret/ },
];

describe("invalid config", () => {
  for (const c of cases) {
    it(`fails on ${c.name}, naming the key, and registers no resource`, async () => {
      const config = Object.fromEntries(Object.entries({ ...devConfig, ...PASSWORDS, ...c.config }).filter(([, v]) => v !== undefined));
      const secretKeys = Object.keys(PASSWORDS).filter((k) => config[k] !== undefined);
      const run = installMocks(c.stack, config, secretKeys);
      const { main } = await import("./program");
      assert.throws(() => main(), c.message);
      await settle();
      assert.deepEqual(run.resources.map((r) => r.type), []);
    });
  }
});
