import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRun, settle } from "../testing/mocks";

/** The DebeziumConnector component under Pulumi mocks: what reaches its dynamic resource. */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const CONNECTOR = "pulumi-nodejs:dynamic/coexist:Connector";
const OFFSETS = "pulumi-nodejs:dynamic/coexist:StrimziConnectorOffsets";
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

  it("on Strimzi, declares the offsets guard with the generation in its trigger, and the KafkaConnector after it", async () => {
    const target = { kind: "kubernetes", namespace: pulumi.output("coexist-staging"), namespaceName: "coexist-staging", kubeContext: "staging-admin", labels: {}, awaitOperators: true };
    const strimzi = { kind: "strimzi", target, cluster: "connect", passwordRef: "${secrets:coexist-staging/connect-postgres:password}", ready: [] } as never;
    const dependsOn = new Map<string, unknown>();
    await run.runProgram(() => {
      pulumi.runtime.registerStackTransformation((a) => {
        dependsOn.set(a.name, a.opts.dependsOn);
        return undefined;
      });
      return new mod.DebeziumConnector("cr", {
        connect: strimzi,
        config: { name: "coexist-postgres-source", "connector.class": "io.debezium.connector.postgresql.PostgresConnector", "slot.name": "coexist_staging", "transforms.epoch.static.value": "42", "heartbeat.interval.ms": "5000" },
        slotProbeUrl: pulumi.output("postgresql://coexist_reconciler:pw@db.example:5432/app"),
        offsetResetTimeoutMs: 120_000,
      });
    });
    await settle();
    const guard = run.one(OFFSETS, "cr-offsets");
    assert.equal(guard.parentType, "coexist:connect:DebeziumConnector");
    assert.deepEqual(guard.inputs.identity, { "slot.name": "coexist_staging", "transforms.epoch.static.value": "42" }, "the generation's epoch stamp triggers the reset");
    assert.equal(guard.inputs.connector, "coexist-postgres-source");
    assert.equal(guard.inputs.namespace, "coexist-staging");
    assert.equal(guard.inputs.kubeContext, "staging-admin", "the reset talks to the cluster the stack's provider does");
    assert.equal(guard.inputs.awaitOperators, true);
    assert.equal(guard.inputs.offsetResetTimeoutMs, 120_000);
    const probe = guard.inputs.slotProbeUrl as Record<string, unknown>;
    assert.ok(probe && probe[SECRET_SIG] !== undefined, "the probe URL is a secret");
    const cr = run.resources.find((r) => r.name === "cr-resource");
    assert.ok(cr, `registered: ${run.resources.map((r) => `${r.type}::${r.name}`).join(", ")}`);
    assert.equal((cr.inputs.spec as { state: string }).state, "running");
    const crDeps = (dependsOn.get("cr-resource") ?? []) as pulumi.Resource[];
    const names = await Promise.all(crDeps.map((d) => new Promise<string>((r) => d.urn.apply((u) => r(u)))));
    assert.ok(names.some((u) => u.endsWith("::cr-offsets")), `the KafkaConnector depends on the guard, so an update resets before it is replaced: ${names.join(", ")}`);
    assert.ok(cr.replaceOnChanges?.includes('spec.config["transforms.epoch.static.value"]'));
  });

  it("refuses a release bound below one second, naming the field, the value and the fix", () => {
    assert.throws(
      () => new mod.DebeziumConnector("bad", { connect, config: { name: "bad" }, slotReleaseTimeoutMs: 50 }),
      /DebeziumConnector bad: slotReleaseTimeoutMs must be an integer number of milliseconds of at least 1000, got 50; fix: e\.g\. 60000/,
    );
  });
});
