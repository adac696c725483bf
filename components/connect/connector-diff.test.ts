import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REPLACE_ON_CHANGE } from "./connector-config";
import { assessStatus, diffConnectorConfig, isSensitiveLiteral, maskValue, normaliseServerConfig } from "./connector-diff";

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
