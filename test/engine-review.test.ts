import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { Capture } from "../components/capture";
import { DebeziumConnector } from "../components/connect";
import { renderConnectorConfig } from "../components/connect/connector-config";
import { heartbeatTableSql } from "../components/postgres/cdc-sql";
import { SqlScript } from "../components/postgres/sql-script";
import { GeneratedSecret } from "../components/runtime/generated-secret";
import { ROOT } from "../scripts/stack.d/engine";
import { collectPreview } from "../scripts/stack.d/markdown";
import { GITHUB_COMMENT_LIMIT, renderPreviewMarkdown } from "../scripts/stack.d/markdown-render";
import { DataplaneEnv, loadDataplaneEnv, newAdmin, newPool } from "./support/dataplane";
import { testWorkspace, TestWorkspace } from "./support/engine";
import { connectUrlWithCredentials } from "../scripts/stack.d/dataplane-env";

/**
 * The pull-request comment from a real preview: the engine (the CLI built here, under the
 * Automation API) previews a change to a Debezium connector registered for real on the data
 * plane's Kafka Connect, with the policy pack running, and `scripts/stack preview --markdown`'s
 * renderer turns its events into the comment. The connector is created by a real `up` first.
 */
const run = randomBytes(3).toString("hex");
const table = `public.review_probe_${run}`;
const slot = `coexist_review_${run}`;
const publication = `coexist_review_${run}`;
const prefix = `review${run}`;
const connectorName = `${prefix}-postgres-source`;
const schema = `coexist_review_${run}`;
const captures: Capture[] = [{ table, collection: `probe_${run}`, key: "id", transform: "identity" }];
const topics = [`${prefix}.public.review_probe_${run}`, `__debezium-heartbeat.${prefix}`];

describe("preview --markdown on the real engine", { timeout: 600_000 }, () => {
  let env: DataplaneEnv;
  let ws: TestWorkspace;
  let stack: Stack;
  let version = 1;
  const program = async () => {
    const config = renderConnectorConfig({
      name: connectorName,
      topicPrefix: prefix,
      database: { host: env.PGHOST, port: Number(env.PGPORT), dbname: env.PGDATABASE, user: env.DEBEZIUM_USER },
      passwordRef: env.DEBEZIUM_PASSWORD_REF,
      // Version 2 moves the connector to another slot (a replacement) and slows its heartbeat (an update).
      slotName: version === 1 ? slot : `${slot}_v2`,
      publicationName: publication,
      heartbeat: { table: "coexist.heartbeat", intervalMs: version === 1 ? 1_000 : 2_000 },
      captures,
    });
    new DebeziumConnector("connector", { connect: { kind: "rest", url: connectUrlWithCredentials(env), passwordRef: env.DEBEZIUM_PASSWORD_REF, ready: [] }, config: { name: connectorName, ...config }, readyTimeoutMs: 120_000 });
    new SqlScript("audit-table", { connection: env.POSTGRES_URL, up: heartbeatTableSql(`${schema}.${version === 1 ? "audit" : "audit_v2"}`), down: `DROP SCHEMA IF EXISTS "${schema}" CASCADE;` });
    if (version === 1) new GeneratedSecret("scratch-key");
    return {};
  };

  before(async () => {
    env = loadDataplaneEnv();
    const pool = newPool(env);
    try {
      await pool.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text)`);
      await pool.query("CREATE SCHEMA IF NOT EXISTS coexist");
      await pool.query("CREATE TABLE IF NOT EXISTS coexist.heartbeat (id integer PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now())");
      await pool.query(`GRANT USAGE ON SCHEMA coexist TO ${env.DEBEZIUM_USER}`);
      await pool.query(`GRANT SELECT, INSERT, UPDATE ON coexist.heartbeat TO ${env.DEBEZIUM_USER}`);
      await pool.query(`GRANT SELECT ON ${table} TO ${env.DEBEZIUM_USER}`);
      await pool.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}, coexist.heartbeat`);
      await pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
    } finally {
      await pool.end();
    }
    const admin = newAdmin(env);
    try {
      await admin.createTopics({ topics, partitions: 1, replicas: 1 });
    } finally {
      await admin.close();
    }
    ws = await testWorkspace();
    stack = await ws.stack("review", program);
    await stack.setConfig("coexist:target", { value: "docker" });
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
  });

  after(async () => {
    await stack?.destroy().catch(() => undefined);
    ws?.dispose();
    const pool = newPool(env);
    try {
      await pool.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", [slot]);
      await pool.query(`DROP PUBLICATION IF EXISTS ${publication}`);
      await pool.query(`DROP TABLE IF EXISTS ${table}`);
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await pool.end();
    }
    const admin = newAdmin(env);
    try {
      await admin.deleteTopics({ topics });
    } finally {
      await admin.close();
    }
  });

  it("turns the engine's events into the comment: counts, the connector's replacement and key diff, no secret", async () => {
    version = 2;
    const events: EngineEvent[] = [];
    const preview = await stack.preview({ policyPacks: [path.join(ROOT, "policy", "analyzer")], onEvent: (e) => events.push(e) });
    const text = renderPreviewMarkdown(collectPreview("review", events));
    const lines = text.split("\n");
    assert.equal(lines[0], "<!-- coexist-preview:review -->");
    const counts = lines[lines.findIndex((l) => l.startsWith("| create |")) + 2];
    const c = preview.changeSummary;
    assert.equal(counts, `| ${c.create ?? 0} | ${c.update ?? 0} | ${c.replace ?? 0} | ${c.delete ?? 0} | ${c.same ?? 0} |`);
    assert.equal(c.replace, 1, JSON.stringify(c));
    assert.match(text, /<summary><b>replace<\/b> <code>Connector review[0-9a-f]+-postgres-source<\/code>: 2 keys<\/summary>/);
    assert.match(text, /\| <code>heartbeat\.interval\.ms<\/code> \| update \| <code>1000<\/code> \| <code>2000<\/code> \|/);
    assert.match(text, new RegExp(`\\| <code>slot\\.name</code> \\| update \\*\\*\\(replaces the connector\\)\\*\\* \\| <code>${slot}</code> \\| <code>${slot}_v2</code> \\|`));
    assert.match(text, /\*\*The connector is replaced:\*\*/);
    assert.match(text, /<b>delete<\/b> <code>GeneratedSecret scratch-key<\/code>/);
    assert.doesNotMatch(text, /Policy violations/, "the connector as the stack renders it holds every policy");
    for (const secret of [env.DEBEZIUM_PASSWORD_REF.includes("${") ? "" : env.DEBEZIUM_PASSWORD_REF, process.env.PGPASSWORD ?? "", new URL(env.POSTGRES_URL.replace(/^postgres(ql)?:/, "http:")).password].filter(Boolean)) {
      assert.ok(!text.includes(secret), "a credential of the data plane is in the comment");
    }
    assert.ok(text.length < GITHUB_COMMENT_LIMIT);
  });
});
