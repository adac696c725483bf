import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRun, settle } from "../testing/mocks";

/** The DebeziumConnector component under Pulumi mocks: what reaches its dynamic resource. */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const CONNECTOR = "pulumi-nodejs:dynamic/coexist:Connector";
const connect = { url: "http://127.0.0.1:18083", ready: [] } as never;

let run: MockRun;
let mod: typeof import("./connector");

before(async () => {
  run = installMocks("unit", {});
  mod = await import("./connector");
});

describe("DebeziumConnector", () => {
  it("passes the slot probe URL to its resource only as a secret", async () => {
    await run.runProgram(() => new mod.DebeziumConnector("probed", {
      connect,
      config: { name: "probed", "slot.name": "coexist_dev" },
      slotProbeUrl: pulumi.output("postgresql://debezium:hunter2@127.0.0.1:15432/app"),
      slotReleaseTimeoutMs: 30_000,
    }));
    await settle();
    const inputs = run.one(CONNECTOR, "probed").inputs;
    const probe = inputs.slotProbeUrl as Record<string, unknown>;
    assert.ok(probe && probe[SECRET_SIG] !== undefined, `slotProbeUrl is a secret: ${JSON.stringify(probe)}`);
    assert.equal(probe.value, "postgresql://debezium:hunter2@127.0.0.1:15432/app");
    assert.equal(inputs.slotReleaseTimeoutMs, 30_000);
  });

  it("registers no probe when none is given", async () => {
    await run.runProgram(() => new mod.DebeziumConnector("plain", { connect, config: { name: "plain", "slot.name": "s" } }));
    await settle();
    assert.equal(run.one(CONNECTOR, "plain").inputs.slotProbeUrl, undefined);
  });

  it("refuses a release bound below one second, naming the field, the value and the fix", () => {
    assert.throws(
      () => new mod.DebeziumConnector("bad", { connect, config: { name: "bad" }, slotReleaseTimeoutMs: 50 }),
      /DebeziumConnector bad: slotReleaseTimeoutMs must be an integer number of milliseconds of at least 1000, got 50; fix: e\.g\. 60000/,
    );
  });
});
