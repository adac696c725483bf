import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REPLACE_ON_CHANGE } from "./connector-config";
import { assessStatus, diffConnectorConfig, isSensitiveLiteral, isSlotReleased, isStopped, isUnknownConnector, maskValue, normaliseServerConfig, slotHeldMessage } from "./connector-diff";

describe("connector diff", () => {
  const applied = { "slot.name": "a", "snapshot.mode": "initial", "database.password": "${file:/s:password}" };

  it("reports field-level changes and which force a replacement", () => {
    const changes = diffConnectorConfig(applied, { ...applied, "slot.name": "b", "snapshot.mode": "no_data", "heartbeat.interval.ms": "5000" }, REPLACE_ON_CHANGE);
    assert.deepEqual(changes, [
      { key: "heartbeat.interval.ms", kind: "add", replace: false, from: undefined, to: "5000" },
      { key: "slot.name", kind: "update", replace: true, from: "a", to: "b" },
      { key: "snapshot.mode", kind: "update", replace: false, from: "initial", to: "no_data" },
    ]);
  });

  it("shows nothing when only the server's additions differ", () => {
    const server = { ...applied, name: "coexist-postgres-source", "tasks.max": "1" };
    assert.deepEqual(diffConnectorConfig(applied, normaliseServerConfig(server, applied), REPLACE_ON_CHANGE), []);
  });

  it("still shows drift on a key we declare", () => {
    const server = { ...applied, "snapshot.mode": "never" };
    assert.equal(diffConnectorConfig(applied, normaliseServerConfig(server, applied), REPLACE_ON_CHANGE).length, 1);
  });

  it("tells a literal credential from a config-provider reference", () => {
    assert.equal(isSensitiveLiteral("database.password", "hunter2"), true);
    assert.equal(isSensitiveLiteral("database.password", "${env:PG_PASSWORD}"), false);
    assert.equal(isSensitiveLiteral("database.user", "debezium"), false);
  });

  it("masks sensitive literals but shows config-provider references", () => {
    assert.equal(maskValue("database.password", "hunter2"), "[secret]");
    assert.equal(maskValue("database.password", "${file:/s:password}"), "${file:/s:password}");
    assert.equal(maskValue("sasl.jaas.config", "org.apache... password=\"x\";"), "[secret]");
    assert.equal(maskValue("slot.name", "a"), "a");
  });
});

describe("connector status", () => {
  it("is done only when the connector and every task run", () => {
    assert.equal(assessStatus({ connector: { state: "RUNNING" }, tasks: [{ id: 0, state: "RUNNING" }] }).done, true);
    assert.equal(assessStatus({ connector: { state: "RUNNING" }, tasks: [] }).done, false);
    assert.equal(assessStatus({ connector: { state: "RUNNING" }, tasks: [{ id: 0, state: "UNASSIGNED" }] }).done, false);
  });

  it("names failed tasks to restart and surfaces a failed connector's trace", () => {
    assert.deepEqual(assessStatus({ connector: { state: "RUNNING" }, tasks: [{ id: 0, state: "FAILED", trace: "boom" }] }).failedTasks, [0]);
    assert.match(assessStatus({ connector: { state: "FAILED", trace: "no pg_hba entry" }, tasks: [] }).failure ?? "", /no pg_hba entry/);
  });
});

describe("connector delete", () => {
  it("is stopped only when Connect says STOPPED and no task is left", () => {
    assert.equal(isStopped({ connector: { state: "STOPPED" }, tasks: [] }), true);
    assert.equal(isStopped({ connector: { state: "STOPPED" }, tasks: [{ id: 0, state: "RUNNING" }] }), false);
    assert.equal(isStopped({ connector: { state: "RUNNING" }, tasks: [] }), false);
  });

  it("tells a missing connector from an endpoint this Connect does not have", () => {
    assert.equal(isUnknownConnector(404, '{"error_code":404,"message":"Unknown connector c"}'), true);
    assert.equal(isUnknownConnector(404, '{"error_code":404,"message":"Connector c not found"}'), true);
    assert.equal(isUnknownConnector(404, '{"error_code":404,"message":"HTTP 404 Not Found"}'), false);
    assert.equal(isUnknownConnector(500, "Unknown connector c"), false);
  });

  it("treats a dropped or inactive slot as released, an active one as held", () => {
    assert.equal(isSlotReleased(undefined), true);
    assert.equal(isSlotReleased({ active: false, activePid: null }), true);
    assert.equal(isSlotReleased({ active: true, activePid: 42 }), false);
  });

  it("names the slot, the pid that holds it, the bound and the fix when the slot stays active", () => {
    const message = slotHeldMessage("c", "coexist_dev", { active: true, activePid: 4242 }, 60_000);
    assert.match(message, /replication slot "coexist_dev" is still active \(held by backend pid 4242\) after 60s/);
    assert.match(message, /pg_terminate_backend\(4242\)/);
    assert.match(message, /slotReleaseTimeoutMs/);
  });

  it("says the slot could not be checked, and why, when PostgreSQL does not answer", () => {
    const message = slotHeldMessage("c", "coexist_dev", undefined, 5_000, "connect ECONNREFUSED 127.0.0.1:5432");
    assert.match(message, /"coexist_dev" is released could not be checked within 5s: connect ECONNREFUSED/);
  });
});
