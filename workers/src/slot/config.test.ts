import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseSlotExporterEnv, slotExporterEnv } from "./config.js";

const URL_ = "postgresql://coexist_slot_reader:s3cret@db:5432/app";

describe("slot exporter config", () => {
  it("reads the slots, the port and the timeout, with defaults", () => {
    assert.deepEqual(parseSlotExporterEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "coexist_dev" }), {
      postgresUrl: URL_, slots: ["coexist_dev"], port: 9465, host: "0.0.0.0", queryTimeoutMs: 5000,
    });
    const c = parseSlotExporterEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: " a , b,a ", COEXIST_METRICS_PORT: "0", COEXIST_METRICS_HOST: "127.0.0.1", COEXIST_SLOT_QUERY_TIMEOUT_MS: "250" });
    assert.deepEqual([c.slots, c.port, c.host, c.queryTimeoutMs], [["a", "b"], 0, "127.0.0.1", 250]);
  });

  it("refuses a missing URL, and a malformed one without echoing it", () => {
    assert.throws(() => parseSlotExporterEnv({ COEXIST_SLOTS: "a" }), /invalid config "POSTGRES_URL": found null; set it to a PostgreSQL URL/);
    assert.throws(() => parseSlotExporterEnv({ POSTGRES_URL: "mysql://u:hunter2@h/db", COEXIST_SLOTS: "a" }), (e: Error) => {
      assert.match(e.message, /POSTGRES_URL.*postgres:\/\/ or postgresql:\/\/ URL/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });

  it("refuses no slot, a slot name PostgreSQL cannot have, and a bad number, naming the key and the fix", () => {
    assert.throws(() => parseSlotExporterEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: " , " }), /"COEXIST_SLOTS".*set the replication slot names/);
    assert.throws(() => parseSlotExporterEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "ok,Bad-Slot" }), /"COEXIST_SLOTS": found "Bad-Slot"; a slot name has only lower-case letters/);
    assert.throws(() => parseSlotExporterEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "a", COEXIST_SLOT_QUERY_TIMEOUT_MS: "5s" }), /"COEXIST_SLOT_QUERY_TIMEOUT_MS": found "5s"; set an integer between 100 and 60000/);
    assert.throws(() => parseSlotExporterEnv({ POSTGRES_URL: URL_, COEXIST_SLOTS: "a", COEXIST_METRICS_PORT: "70000" }), /COEXIST_METRICS_PORT/);
  });

  it("renders a deployment's env that parses back to the same settings, with no secret in it", () => {
    const env = slotExporterEnv({ slots: ["coexist_dev", "coexist_pr_42"], port: 9500, queryTimeoutMs: 3000 });
    assert.deepEqual(env, { COEXIST_SLOTS: "coexist_dev,coexist_pr_42", COEXIST_METRICS_PORT: "9500", COEXIST_SLOT_QUERY_TIMEOUT_MS: "3000" });
    const back = parseSlotExporterEnv({ ...env, POSTGRES_URL: URL_ });
    assert.deepEqual([back.slots, back.port, back.queryTimeoutMs], [["coexist_dev", "coexist_pr_42"], 9500, 3000]);
    assert.throws(() => slotExporterEnv({ slots: ["no-dashes"] }), /COEXIST_SLOTS/);
  });
});
