import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Capture } from "../components/capture";
import { renderConnectorConfig, REPLACE_ON_CHANGE } from "../components/connect/connector-config";
import { diffConnectorConfig } from "../components/connect/connector-diff";
import { connectorProvider } from "../components/connect/connector-provider";
import { connectRequest, DataplaneEnv, eventually, loadDataplaneEnv, newAdmin, newPool } from "./support/dataplane";

/**
 * The Debezium connector resource's provider, driven against the real Kafka Connect of the local
 * data plane: what `pulumi up`, `preview`, `refresh` and `destroy` would do on a dev stack.
 */

const run = randomBytes(3).toString("hex");
const table = `public.provider_probe_${run}`;
const slot = `coexist_provider_${run}`;
const publication = `coexist_provider_${run}`;
const prefix = `provider${run}`;
const name = `coexist-provider-${run}`;
const captures: Capture[] = [{ table, collection: `probe_${run}`, key: "id", transform: "identity" }];
const topics = [`${prefix}.public.provider_probe_${run}`, `__debezium-heartbeat.${prefix}`];

let env: DataplaneEnv;
let pool: ReturnType<typeof newPool>;

function inputs(overrides: Partial<Parameters<typeof renderConnectorConfig>[0]> = {}) {
  const config = renderConnectorConfig({
    name,
    topicPrefix: prefix,
    database: { host: env.PGHOST, port: Number(env.PGPORT), dbname: env.PGDATABASE, user: env.DEBEZIUM_USER },
    passwordRef: env.DEBEZIUM_PASSWORD_REF,
    slotName: slot,
    publicationName: publication,
    heartbeat: { table: "coexist.heartbeat", intervalMs: 10_000 },
    captures,
    ...overrides,
  });
  return { connectUrl: env.CONNECT_URL, name, config, readyTimeoutMs: 90_000 };
}

before(async () => {
  env = loadDataplaneEnv();
  pool = newPool(env);
  await pool.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text)`);
  await pool.query(`CREATE SCHEMA IF NOT EXISTS coexist`);
  await pool.query(`CREATE TABLE IF NOT EXISTS coexist.heartbeat (id integer PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now())`);
  await pool.query(`GRANT USAGE ON SCHEMA coexist TO ${env.DEBEZIUM_USER}`);
  await pool.query(`GRANT SELECT, INSERT, UPDATE ON coexist.heartbeat TO ${env.DEBEZIUM_USER}`);
  await pool.query(`GRANT SELECT ON ${table} TO ${env.DEBEZIUM_USER}`);
  await pool.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}, coexist.heartbeat`);
  await pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  const admin = newAdmin(env);
  try {
    await admin.createTopics({ topics, partitions: 1, replicas: 1 });
  } finally {
    await admin.close();
  }
});

after(async () => {
  await connectRequest(env, "DELETE", `/connectors/${name}`).catch(() => undefined);
  await connectRequest(env, "DELETE", `/connectors/${name}-broken`).catch(() => undefined);
  // The slot is released asynchronously once the task stops.
  await eventually("the slot to be released", async () => {
    const r = await pool.query("SELECT active FROM pg_replication_slots WHERE slot_name = $1", [slot]);
    return r.rows.length === 0 || r.rows[0].active === false ? true : undefined;
  }, 60_000).catch(() => undefined);
  await pool.query("SELECT pg_drop_replication_slot($1) WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", [slot]).catch(() => undefined);
  await pool.query(`DROP PUBLICATION IF EXISTS ${publication}`);
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
  const admin = newAdmin(env);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.close();
});

describe("connector provider against a real Kafka Connect", () => {
  it("creates through PUT /connectors/{name}/config and returns once connector and task run", async () => {
    const desired = inputs();
    const result = await connectorProvider.create!(desired);
    assert.equal(result.id, name);
    const status = await connectRequest(env, "GET", `/connectors/${name}/status`);
    const s = status.json as { connector: { state: string }; tasks: { state: string }[] };
    assert.equal(s.connector.state, "RUNNING");
    assert.deepEqual(s.tasks.map((t) => t.state), ["RUNNING"]);
  });

  it("leaves only the password reference readable through the REST API", async () => {
    const config = (await connectRequest(env, "GET", `/connectors/${name}/config`)).json as Record<string, string>;
    assert.equal(config["database.password"], env.DEBEZIUM_PASSWORD_REF);
  });

  it("refreshes to exactly the declared config: no phantom diff from what Connect adds", async () => {
    const desired = inputs();
    const server = (await connectRequest(env, "GET", `/connectors/${name}/config`)).json as Record<string, string>;
    assert.ok("name" in server, "Connect adds the name to the stored config");
    const read = await connectorProvider.read!(name, desired);
    assert.deepEqual(diffConnectorConfig(desired.config, (read.props as { config: Record<string, string> }).config, REPLACE_ON_CHANGE), []);
    const diff = await connectorProvider.diff!(name, read.props as ReturnType<typeof inputs>, desired);
    assert.equal(diff.changes, false);
  });

  it("updates a setting in place, and replaces (deleting first) when the slot changes", async () => {
    const current = inputs();
    const faster = inputs({ heartbeat: { table: "coexist.heartbeat", intervalMs: 5_000 } });
    const inPlace = await connectorProvider.diff!(name, current, faster);
    assert.equal(inPlace.changes, true);
    assert.deepEqual(inPlace.replaces, []);
    await connectorProvider.update!(name, current, faster);
    const stored = (await connectRequest(env, "GET", `/connectors/${name}/config`)).json as Record<string, string>;
    assert.equal(stored["heartbeat.interval.ms"], "5000");

    const moved = await connectorProvider.diff!(name, faster, inputs({ slotName: `${slot}_other` }));
    assert.deepEqual(moved.replaces, ['config["slot.name"]']);
    assert.equal(moved.deleteBeforeReplace, true);
  });

  it("fails with the task's trace when the connector cannot start", async () => {
    const broken = { ...inputs({ publicationName: `missing_${run}` }), name: `${name}-broken`, readyTimeoutMs: 60_000 };
    broken.config = { ...broken.config, "slot.name": `${slot}_broken` };
    await assert.rejects(connectorProvider.create!(broken), (e: Error) => {
      assert.match(e.message, new RegExp(`connector ${name}-broken: (task 0 FAILED again after a restart|connector FAILED)`));
      assert.ok(e.message.length > 80, `the message carries the trace: ${e.message}`);
      return true;
    });
    await connectorProvider.delete!(`${name}-broken`, broken);
    await pool.query("SELECT pg_drop_replication_slot($1) WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND NOT active)", [`${slot}_broken`]).catch(() => undefined);
  });

  it("deletes the connector on destroy, and a second delete is a no-op", async () => {
    await connectorProvider.delete!(name, inputs());
    assert.equal((await connectRequest(env, "GET", `/connectors/${name}`)).status, 404);
    await connectorProvider.delete!(name, inputs());
  });
});
