// test-lane: control-plane
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { Stack } from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { heartbeatTableSql } from "../components/postgres/cdc-sql";
import { SqlScript } from "../components/postgres/sql-script";
import { GeneratedSecret } from "../components/runtime/generated-secret";
import { loadDataplaneEnv } from "./support/dataplane";
import { testWorkspace, TestWorkspace } from "./support/engine";

/**
 * The dynamic resources coexist defines (SQL scripts, generated secrets) through the real Pulumi
 * engine, against the data plane's real PostgreSQL: up, a second preview with no change, a second
 * up that keeps the generated secret, and a destroy that runs the script's down.
 */
describe("dynamic resources on the real engine", () => {
  const env = loadDataplaneEnv();
  const schema = `coexist_dyn_${randomBytes(3).toString("hex")}`;
  const table = `${schema}.heartbeat`;
  let ws: TestWorkspace;
  let stack: Stack;
  const program = async () => {
    const secret = new GeneratedSecret("replica-set-key", { bytes: 48 });
    new SqlScript("heartbeat-table", { connection: env.POSTGRES_URL, up: heartbeatTableSql(table), down: `DROP SCHEMA IF EXISTS "${schema}" CASCADE;` });
    return { key: secret.value, keyLength: secret.value.apply((v) => v.length) };
  };
  const tableExists = async (): Promise<boolean> => {
    const c = new Client({ connectionString: env.POSTGRES_URL });
    await c.connect();
    try {
      return (await c.query("SELECT to_regclass($1) IS NOT NULL AS present", [table])).rows[0].present as boolean;
    } finally {
      await c.end();
    }
  };

  before(async () => {
    ws = await testWorkspace();
    stack = await ws.stack("dynamic", program);
    await stack.setConfig("coexist:target", { value: "docker" });
  });
  after(async () => {
    await stack?.destroy().catch(() => undefined);
    ws?.dispose();
  });

  it("creates the table through the SQL script and keeps the generated secret a secret", async () => {
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.equal(await tableExists(), true);
    assert.equal(up.outputs.key?.secret, true, "the generated value is a secret output");
    assert.equal(up.outputs.keyLength?.value, 64, "48 random bytes, base64url");
  });

  it("shows no change on a second preview, and keeps the secret across an up", async () => {
    const before = (await stack.outputs()).key?.value;
    const preview = await stack.preview();
    assert.deepEqual(Object.keys(preview.changeSummary).filter((k) => k !== "same"), [], JSON.stringify(preview.changeSummary));
    await stack.up();
    assert.equal((await stack.outputs()).key?.value, before);
  });

  it("runs the script's down on destroy", async () => {
    const destroy = await stack.destroy();
    assert.equal(destroy.summary.result, "succeeded");
    assert.equal(await tableExists(), false);
  });

  void pulumi;
});
