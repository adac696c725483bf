import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { Capture } from "../components/capture";
import { renderConnectorConfig, REPLACE_ON_CHANGE } from "../components/connect/connector-config";
import { diffConnectorConfig } from "../components/connect/connector-diff";
import { connectorProvider, ProviderInputs } from "../components/connect/connector-provider";
import { pg } from "../workers/src/testing/deps.js";
import { connectRequest, DataplaneEnv, eventually, loadDataplaneEnv, newAdmin, newPool } from "./support/dataplane";
import { debeziumUrl, readTopic, serialisedConnectorProvider, SlotHolder, slotRow, withDatabase } from "./support/slots";
import { connectUrlWithCredentials } from "../scripts/stack.d/dataplane-env";

/**
 * The Debezium connector resource's provider, driven against the real Kafka Connect of the local
 * data plane: what `pulumi up`, `preview`, `refresh` and `destroy` would do on a dev stack.
 * The tests run in order on one connector: create, refresh, update, replace (twice), delete.
 */

const run = randomBytes(3).toString("hex");
const table = `public.provider_probe_${run}`;
const slot = `coexist_provider_${run}`;
/** The slot of the second database a replacement moves the connector to. */
const slot2 = `coexist_provider_${run}_db2`;
const heldSlot = `coexist_provider_${run}_held`;
const publication = `coexist_provider_${run}`;
const db2 = `coexist_provider_${run}`;
const prefix = `provider${run}`;
const name = `coexist-provider-${run}`;
const captures: Capture[] = [{ table, collection: `probe_${run}`, key: "id", transform: "identity" }];
const topic = `${prefix}.public.provider_probe_${run}`;
const topics = [topic, `__debezium-heartbeat.${prefix}`];

let env: DataplaneEnv;
let pool: InstanceType<typeof pg.Pool>;
let pool2: InstanceType<typeof pg.Pool> | undefined;

function inputs(overrides: Partial<Parameters<typeof renderConnectorConfig>[0]> = {}, extra: Partial<ProviderInputs> = {}): ProviderInputs {
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
  return { connectUrl: connectUrlWithCredentials(env), name, config, readyTimeoutMs: 90_000, ...extra };
}

/** What the stack deploys on the second database: the captured table, heartbeat table, grants, publication. */
async function prepareSecondDatabase(): Promise<InstanceType<typeof pg.Pool>> {
  await pool.query(`CREATE DATABASE ${db2}`);
  const p = new pg.Pool({ connectionString: withDatabase(env.POSTGRES_URL, db2), max: 2 });
  await p.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, note text)`);
  await p.query(`CREATE SCHEMA coexist`);
  await p.query(`CREATE TABLE coexist.heartbeat (id integer PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now())`);
  await p.query(`GRANT USAGE ON SCHEMA coexist TO ${env.DEBEZIUM_USER}`);
  await p.query(`GRANT SELECT, INSERT, UPDATE ON coexist.heartbeat TO ${env.DEBEZIUM_USER}`);
  await p.query(`GRANT SELECT ON ${table} TO ${env.DEBEZIUM_USER}`);
  await p.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}, coexist.heartbeat`);
  return p;
}

/** The LSN of the connector's last committed source offset, as Connect reports it. */
async function committedLsn(): Promise<bigint | undefined> {
  const r = (await connectRequest(env, "GET", `/connectors/${name}/offsets`)).json as { offsets?: { offset: { lsn?: number } }[] };
  const lsn = r.offsets?.[0]?.offset.lsn;
  return lsn === undefined ? undefined : BigInt(lsn);
}

function lsnToBigint(lsn: string): bigint {
  const [hi, lo] = lsn.split("/");
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

async function taskStates(): Promise<string[]> {
  const s = (await connectRequest(env, "GET", `/connectors/${name}/status`)).json as { tasks?: { state: string }[] };
  return (s.tasks ?? []).map((t) => t.state);
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
  const drop = async (p: InstanceType<typeof pg.Pool>, s: string) => {
    // The slot is released asynchronously once the task stops.
    await eventually(`slot ${s} released`, async () => {
      const r = await slotRow(p, s);
      return r === undefined || !r.active ? true : undefined;
    }, 60_000).catch(() => undefined);
    await p.query("SELECT pg_drop_replication_slot($1) WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", [s]).catch(() => undefined);
  };
  await drop(pool, slot);
  await drop(pool, heldSlot);
  if (pool2) {
    await drop(pool2, slot2);
    await pool2.end();
  }
  await pool.query(`DROP DATABASE IF EXISTS ${db2}`).catch(() => undefined);
  await pool.query(`DROP PUBLICATION IF EXISTS ${publication}`);
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.end();
  const admin = newAdmin(env);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.close();
});

describe("connector provider against a real Kafka Connect", { timeout: 600_000 }, () => {
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

  it("the REST API refuses a caller without the credentials, and the error shows no password", async () => {
    assert.equal((await fetch(`${env.CONNECT_URL}/connectors/${name}/config`)).status, 401);
    const wrong = { ...inputs(), connectUrl: connectUrlWithCredentials({ ...env, CONNECT_PASSWORD: "not-the-password" }) };
    await assert.rejects(connectorProvider.read!(name, wrong), (e: Error) => {
      assert.match(e.message, /HTTP 401/);
      assert.ok(!e.message.includes("not-the-password") && !e.message.includes(env.CONNECT_PASSWORD), e.message);
      return true;
    });
  });

  it("refreshes to exactly the declared config: no phantom diff from what Connect adds", async () => {
    const desired = inputs();
    const server = (await connectRequest(env, "GET", `/connectors/${name}/config`)).json as Record<string, string>;
    assert.ok("name" in server, "Connect adds the name to the stored config");
    const read = await connectorProvider.read!(name, desired);
    assert.deepEqual(diffConnectorConfig(desired.config, (read.props as { config: Record<string, string> }).config, REPLACE_ON_CHANGE), []);
    const diff = await connectorProvider.diff!(name, read.props as ProviderInputs, desired);
    assert.equal(diff.changes, false);
  });

  it("updates a setting in place, and replaces (deleting first) when the slot changes", async () => {
    const current = inputs();
    const faster = inputs({ heartbeat: { table: "coexist.heartbeat", intervalMs: 1_000 } });
    const inPlace = await connectorProvider.diff!(name, current, faster);
    assert.equal(inPlace.changes, true);
    assert.deepEqual(inPlace.replaces, []);
    await connectorProvider.update!(name, current, faster);
    const stored = (await connectRequest(env, "GET", `/connectors/${name}/config`)).json as Record<string, string>;
    assert.equal(stored["heartbeat.interval.ms"], "1000");

    const moved = await connectorProvider.diff!(name, faster, inputs({ slotName: `${slot}_other` }));
    assert.deepEqual(moved.replaces, ['config["slot.name"]']);
    assert.equal(moved.deleteBeforeReplace, true);
  });

  it("a replacement onto another database starts clean: it snapshots there instead of resuming from the old offsets", async () => {
    const current = inputs({ heartbeat: { table: "coexist.heartbeat", intervalMs: 1_000 } });
    pool2 = await prepareSecondDatabase();
    // Rows that exist before the new slot: only a snapshot can bring them.
    await pool2.query(`INSERT INTO ${table} (id, note) VALUES (1, 'db2 before slot'), (2, 'db2 before slot')`);
    // The stack creates the new slot before it swaps the connector (the slot is replaced
    // create-before-delete; the connector delete-before-replace).
    const created = await pool2.query<{ lsn: string }>("SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", [slot2]);
    const slot2Lsn = lsnToBigint(created.rows[0]!.lsn);
    // A change after the new slot was created: only the new slot's stream carries it.
    await pool2.query(`INSERT INTO ${table} (id, note) VALUES (3, 'db2 after slot')`);
    // The old connector keeps committing offsets (heartbeats every second) past the new slot's
    // start. Reused, such an offset makes trust_offset advance the new slot over row 3, and it
    // says the snapshot is done, so rows 1 and 2 never come either.
    await eventually("the old connector's offset to pass the new slot's start", async () => {
      const lsn = await committedLsn();
      return lsn !== undefined && lsn > slot2Lsn ? true : undefined;
    });

    const desired = inputs({ database: { host: env.PGHOST, port: Number(env.PGPORT), dbname: db2, user: env.DEBEZIUM_USER }, slotName: slot2, heartbeat: { table: "coexist.heartbeat", intervalMs: 1_000 } });
    const diff = await connectorProvider.diff!(name, current, desired);
    assert.deepEqual([...(diff.replaces ?? [])].sort(), ['config["database.dbname"]', 'config["slot.name"]']);
    assert.equal(diff.deleteBeforeReplace, true);
    // What the engine does for a delete-before-replace: delete the old, create the new.
    await connectorProvider.delete!(name, { ...current, slotProbeUrl: debeziumUrl(env) });
    await connectorProvider.create!(desired);

    const records = await readTopic(env, topic, (rs) => [1, 2, 3].every((id) => rs.some((r) => r.row?.id === id)), 60_000);
    const byId = (id: number) => records.find((r) => r.row?.id === id)?.row;
    assert.equal(byId(1)?.__op, "r", "row 1 arrives through a snapshot of the new database");
    assert.equal(byId(2)?.__op, "r");
    assert.equal(byId(3)?.note, "db2 after slot", "the change after the new slot's start is not skipped");
    assert.deepEqual(await taskStates(), ["RUNNING"]);
  });

  it("a replacement on the same server keeps its slot, passes trust_offset, and loses no row written during the swap", async () => {
    assert.ok(pool2, "runs after the replacement onto the second database");
    const onDb2 = { database: { host: env.PGHOST, port: Number(env.PGPORT), dbname: db2, user: env.DEBEZIUM_USER }, slotName: slot2, heartbeat: { table: "coexist.heartbeat", intervalMs: 1_000 } };
    const current = inputs(onDb2);
    // Another name for the same server: the slot (and its confirmed position) stays.
    const desired = inputs({ ...onDb2, database: { ...onDb2.database, host: "localhost" } });
    assert.deepEqual((await connectorProvider.diff!(name, current, desired)).replaces, ['config["database.hostname"]']);
    await pool2.query(`INSERT INTO ${table} (id, note) VALUES (4, 'before the swap')`);
    await connectorProvider.delete!(name, { ...current, slotProbeUrl: debeziumUrl(env, db2) });
    await pool2.query(`INSERT INTO ${table} (id, note) VALUES (5, 'while no connector runs')`);
    await connectorProvider.create!(desired);
    await pool2.query(`INSERT INTO ${table} (id, note) VALUES (6, 'after the swap')`);

    const records = await readTopic(env, topic, (rs) => [4, 5, 6].every((id) => rs.some((r) => r.row?.id === id)), 60_000);
    // With no stored offset the new connector snapshots; the kept slot is behind the snapshot, so
    // trust_offset advances it instead of failing the task.
    assert.ok(records.some((r) => r.row?.id === 5 && r.row.__op === "r"), "row 5 arrives through the new connector's snapshot");
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(await taskStates(), ["RUNNING"], "the task did not fail on an offset mismatch");
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

  describe("delete and the replication slot", () => {
    let provider: pulumi.dynamic.ResourceProvider;
    before(async () => {
      provider = await serialisedConnectorProvider();
    });

    it("returns only once the slot is released: the stack's slot drop right after succeeds", async () => {
      assert.ok(pool2);
      const current = inputs({ database: { host: "localhost", port: Number(env.PGPORT), dbname: db2, user: env.DEBEZIUM_USER }, slotName: slot2 }, { slotProbeUrl: debeziumUrl(env, db2) });
      assert.equal((await slotRow(pool2, slot2))?.active, true, "the connector streams from the slot");
      await provider.delete!(name, current);
      // What CdcSource's slot resource does next in a destroy, at once: it must not find the slot
      // active. (Right after a bare DELETE it does: "replication slot ... is active for PID".)
      await pool2.query("SELECT pg_drop_replication_slot($1)", [slot2]);
      assert.equal((await connectRequest(env, "GET", `/connectors/${name}`)).status, 404);
      await provider.delete!(name, current);
    });

    it("waits for a slot held by another client, and returns as soon as it is released", async () => {
      await pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [heldSlot]);
      const holder = await SlotHolder.start(env, pool, heldSlot, publication);
      const props = inputs({ slotName: heldSlot }, { slotProbeUrl: debeziumUrl(env), slotReleaseTimeoutMs: 60_000 });
      const started = Date.now();
      setTimeout(() => void holder.release(), 3_000);
      await provider.delete!(`${name}-gone`, { ...props, name: `${name}-gone` });
      assert.ok(Date.now() - started >= 2_500, `delete returned after ${Date.now() - started} ms, before the holder let go`);
      await pool.query("SELECT pg_drop_replication_slot($1)", [heldSlot]);
    });

    it("fails after its bound, naming the slot and the backend pid that holds it", async () => {
      await pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [heldSlot]);
      const holder = await SlotHolder.start(env, pool, heldSlot, publication);
      try {
        const pid = (await slotRow(pool, heldSlot))?.active_pid;
        assert.ok(pid);
        const props = inputs({ slotName: heldSlot }, { slotProbeUrl: debeziumUrl(env), slotReleaseTimeoutMs: 2_000 });
        const started = Date.now();
        await assert.rejects(provider.delete!(`${name}-gone`, { ...props, name: `${name}-gone` }), (e: Error) => {
          assert.match(e.message, new RegExp(`replication slot "${heldSlot}" is still active \\(held by backend pid ${pid}\\) after 2s`));
          assert.match(e.message, /pg_terminate_backend/);
          return true;
        });
        assert.ok(Date.now() - started < 15_000, "the bound holds");
      } finally {
        await holder.release();
      }
    });
  });
});
