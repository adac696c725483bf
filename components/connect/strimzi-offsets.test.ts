import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Capture } from "../capture";
import { renderConnectorConfig } from "./connector-config";
import { strimziOffsetsProvider, OffsetsInputs, OffsetsOutputs } from "./strimzi-offsets-provider";
import {
  connectorIdentity,
  describeConnector,
  identityChanges,
  isConnectorStopped,
  KafkaConnectorApi,
  KafkaConnectorObject,
  OFFSETS_ANNOTATION,
  resetKafkaConnectorOffsets,
  ResetStep,
  slotHeldAfterStopMessage,
} from "./strimzi-offsets";

/**
 * The Strimzi offset reset (issue 14 §1.6) against an in-memory KafkaConnector and a fake operator
 * that answers like Strimzi's: it observes each new generation, stops the connector when
 * spec.state is stopped, and removes `strimzi.io/connector-offsets=reset` once it reset the
 * offsets, which it refuses (keeping the annotation, with a Warning) while the connector runs.
 * test/strimzi-offsets.test.ts drives the same code against a real API server.
 */

interface FakeOperator {
  /** Stops the connector on spec.state stopped. */
  stops: boolean;
  /** Resets and removes the annotation. */
  resets: boolean;
}

function fakeConnector(operator: FakeOperator, config: Record<string, unknown> = { "slot.name": "s" }) {
  const calls: string[] = [];
  let offsets = 5;
  let cr: { metadata: { name: string; generation: number; annotations: Record<string, string> }; spec: { state: string; config: Record<string, unknown> }; status: Record<string, unknown> } | undefined = {
    metadata: { name: "c", generation: 1, annotations: {} },
    spec: { state: "running", config },
    status: { observedGeneration: 1, connectorStatus: { connector: { state: "RUNNING" }, tasks: [{ id: 0, state: "RUNNING" }] } },
  };
  const reconcile = () => {
    if (!cr) return;
    const stopped = cr.spec.state === "stopped" && operator.stops;
    if (operator.stops || cr.spec.state !== "stopped") {
      cr.status = { observedGeneration: cr.metadata.generation, connectorStatus: stopped ? { connector: { state: "STOPPED" }, tasks: [] } : cr.status.connectorStatus };
    }
    if (cr.metadata.annotations[OFFSETS_ANNOTATION] === "reset" && operator.resets) {
      const isStopped = (cr.status.connectorStatus as { connector: { state: string } }).connector.state === "STOPPED";
      if (isStopped) {
        offsets = 0;
        delete cr.metadata.annotations[OFFSETS_ANNOTATION];
      } else {
        cr.status = { ...cr.status, conditions: [{ type: "Warning", status: "True", reason: "ResetOffsets", message: "Failed to reset the connector offsets due to connector not stopped" }] };
      }
    }
  };
  const api: KafkaConnectorApi = {
    ref: "ns/c",
    async get() {
      reconcile();
      return cr && (structuredClone(cr) as KafkaConnectorObject);
    },
    async patch(p) {
      if (!cr) throw new Error("404");
      const spec = p.spec as { state?: string } | undefined;
      const meta = p.metadata as { annotations?: Record<string, string> } | undefined;
      if (spec?.state !== undefined && spec.state !== cr.spec.state) {
        cr.spec.state = spec.state;
        cr.metadata.generation += 1;
        calls.push(`state=${spec.state}`);
      }
      if (meta?.annotations) {
        Object.assign(cr.metadata.annotations, meta.annotations);
        calls.push(`annotate ${JSON.stringify(meta.annotations)}`);
      }
      return structuredClone(cr) as KafkaConnectorObject;
    },
  };
  return { api, calls, offsets: () => offsets, remove: () => { cr = undefined; }, state: () => cr?.spec.state };
}

const captures: Capture[] = [{ table: "public.orders", collection: "orders", transform: "order" } as Capture];
const rendered = (epoch: number, slotName = "coexist_staging", heartbeatMs = 10_000) => renderConnectorConfig({
  name: "coexist-postgres-source",
  database: { host: "postgres-rw", port: 5432, dbname: "coexist", user: "debezium" },
  passwordRef: "${secrets:coexist/connect-postgres:password}",
  topicPrefix: "coexist",
  slotName,
  publicationName: "coexist",
  heartbeat: { table: "coexist.heartbeat", intervalMs: heartbeatMs },
  captures,
  epoch,
});

describe("the Strimzi offset reset sequence", () => {
  it("stops, waits for STOPPED, waits for the slot, annotates, waits for the operator, and leaves the connector stopped", async () => {
    const f = fakeConnector({ stops: true, resets: true });
    const steps: ResetStep[] = [];
    let slotWaitedWhileStopped = false;
    const result = await resetKafkaConnectorOffsets(f.api, {
      timeoutMs: 5_000,
      pollMs: 1,
      onStep: (s) => steps.push(s),
      waitSlotReleased: async () => {
        slotWaitedWhileStopped = f.calls.length === 1 && f.calls[0] === "state=stopped";
      },
    });
    assert.equal(result, "reset");
    assert.deepEqual(steps, ["stop", "stopped", "slot", "annotate", "reset"]);
    assert.deepEqual(f.calls, ["state=stopped", `annotate {"${OFFSETS_ANNOTATION}":"reset"}`]);
    assert.ok(slotWaitedWhileStopped, "the slot is waited for after the stop and before the annotation");
    assert.equal(f.offsets(), 0);
    assert.equal(f.state(), "stopped", "running again is the KafkaConnector's own update, not the reset's");
  });

  it("does nothing where there is no KafkaConnector", async () => {
    const f = fakeConnector({ stops: true, resets: true });
    f.remove();
    assert.equal(await resetKafkaConnectorOffsets(f.api, { timeoutMs: 1_000, pollMs: 1 }), "absent");
    assert.deepEqual(f.calls, []);
  });

  it("fails by its bound, naming the stop step and the last status, when no operator stops the connector", async () => {
    const f = fakeConnector({ stops: false, resets: false });
    await assert.rejects(resetKafkaConnectorOffsets(f.api, { timeoutMs: 200, pollMs: 10 }), (e: Error) => {
      assert.match(e.message, /KafkaConnector ns\/c: not STOPPED 0\.2s after spec\.state was set to stopped \(spec\.state stopped, generation 2 observed 1, connector RUNNING, 1 task\(s\)\); its offsets were not reset; fix: check that the Strimzi cluster operator runs/);
      return true;
    });
    assert.deepEqual(f.calls, ["state=stopped"], "never annotated: Strimzi refuses a reset on a running connector");
  });

  it("fails by its bound, naming the annotation, when the operator stops the connector but never resets", async () => {
    const f = fakeConnector({ stops: true, resets: false });
    await assert.rejects(resetKafkaConnectorOffsets(f.api, { timeoutMs: 200, pollMs: 10 }), /the operator did not remove strimzi\.io\/connector-offsets=reset within 0\.2s.*strimzi\.io\/connector-offsets=reset\); the connector stays stopped/);
    assert.equal(f.offsets(), 5);
  });

  it("passes a slot that is never released on as the failure", async () => {
    const f = fakeConnector({ stops: true, resets: true });
    await assert.rejects(resetKafkaConnectorOffsets(f.api, { timeoutMs: 1_000, pollMs: 1, waitSlotReleased: async () => { throw new Error("slot still active"); } }), /slot still active/);
    assert.equal(f.offsets(), 5, "no reset while the task may still commit");
  });

  it("says which backend holds the stopped connector's slot, that nothing was reset, and how to proceed", () => {
    assert.equal(
      slotHeldAfterStopMessage("ns/c", "coexist_staging", { active: true, activePid: 4242 }, 60_000),
      'KafkaConnector ns/c was stopped for its offset reset, but replication slot "coexist_staging" is still active (held by backend pid 4242) after 60s, ' +
        "so its offsets were not reset (the task could still commit some); fix: check what holds it (SELECT * FROM pg_stat_replication WHERE pid = 4242); " +
        "if it is the stopped connector's task, SELECT pg_terminate_backend(4242) and retry, or raise slotReleaseTimeoutMs",
    );
    assert.match(slotHeldAfterStopMessage("ns/c", "s", undefined, 5_000, "connect ECONNREFUSED"), /could not be checked within 5s: connect ECONNREFUSED; its offsets were not reset; fix: make PostgreSQL reachable/);
  });

  it("reads STOPPED only from a status of the current generation", () => {
    const stale: KafkaConnectorObject = { metadata: { name: "c", generation: 3 }, status: { observedGeneration: 2, connectorStatus: { connector: { state: "STOPPED" }, tasks: [] } } };
    assert.equal(isConnectorStopped(stale), false);
    assert.equal(isConnectorStopped({ ...stale, status: { ...stale.status, observedGeneration: 3 } }), true);
    assert.equal(isConnectorStopped({ ...stale, status: { observedGeneration: 3, connectorStatus: { connector: { state: "STOPPED" }, tasks: [{}] } } }), false);
    assert.equal(describeConnector(undefined), "no KafkaConnector");
  });
});

describe("what triggers the reset", () => {
  it("the identity carries the generation's epoch stamp and the slot", () => {
    const id = connectorIdentity(rendered(7));
    assert.equal(id["transforms.epoch.static.value"], "7");
    assert.equal(id["slot.name"], "coexist_staging");
    assert.equal(id["heartbeat.interval.ms"], undefined, "settings that keep the connector the same are not in it");
  });

  it("a generation bump (or another slot) changes the identity; the same generation with other settings never does", () => {
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.integer({ min: 1_000, max: 600_000 }), fc.boolean(), (g0, g1, hb, otherSlot) => {
      const changed = identityChanges(connectorIdentity(rendered(g0)), connectorIdentity(rendered(g1, otherSlot ? "coexist_other" : "coexist_staging", hb)));
      const expected = [...(otherSlot ? ["slot.name"] : []), ...(g0 !== g1 ? ["transforms.epoch.static.value"] : [])];
      assert.deepEqual(changed, expected);
    }), { numRuns: 300 });
  });

  it("the provider updates (never replaces) on a generation bump, and resets the connector that runs, the old one", async () => {
    const f = fakeConnector({ stops: true, resets: true }, rendered(1));
    const seen: OffsetsInputs[] = [];
    const provider = strimziOffsetsProvider((p) => {
      seen.push(p);
      return f.api;
    });
    const olds: OffsetsOutputs = { namespace: "ns", connector: "c", identity: connectorIdentity(rendered(1)), awaitOperators: true, slotName: "coexist_staging", outcome: "x" };
    const news: OffsetsInputs = { ...olds, identity: connectorIdentity(rendered(2)), offsetResetTimeoutMs: 5_000 };
    const d = await provider.diff!("ns/c", olds, news);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
    const same = await provider.diff!("ns/c", olds, { ...olds, outcome: undefined } as unknown as OffsetsInputs);
    assert.equal(same.changes, false);
    const up = await provider.update!("ns/c", olds, news);
    assert.match(up.outs!.outcome, /^reset \(transforms\.epoch\.static\.value changed\)/);
    assert.equal(f.offsets(), 0);
    assert.equal(seen[0]?.connector, "c");
    // The same generation again: nothing is asked of the operator.
    const calls = f.calls.length;
    const again = await provider.update!("ns/c", { ...news, outcome: up.outs!.outcome } as OffsetsOutputs, { ...news, offsetResetTimeoutMs: 9_000 });
    assert.equal(f.calls.length, calls);
    assert.equal(again.outs!.outcome, up.outs!.outcome);
  });

  it("on create, resets a KafkaConnector already there with another identity, and leaves one with the same identity alone", async () => {
    const f = fakeConnector({ stops: true, resets: true }, rendered(1));
    const provider = strimziOffsetsProvider(() => f.api);
    const same = await provider.create!({ namespace: "ns", connector: "c", identity: connectorIdentity(rendered(1)), awaitOperators: true, offsetResetTimeoutMs: 5_000 });
    assert.match(same.outs!.outcome, /^kept/);
    assert.deepEqual(f.calls, []);
    const bumped = await provider.create!({ namespace: "ns", connector: "c", identity: connectorIdentity(rendered(2)), awaitOperators: true, offsetResetTimeoutMs: 5_000 });
    assert.match(bumped.outs!.outcome, /^reset/);
    assert.equal(f.offsets(), 0);
  });

  it("where operators are not awaited it asks nothing of the API server and says so", async () => {
    const provider = strimziOffsetsProvider(() => { throw new Error("must not be called"); });
    const olds: OffsetsOutputs = { namespace: "ns", connector: "c", identity: connectorIdentity(rendered(1)), awaitOperators: false, outcome: "x" };
    const up = await provider.update!("ns/c", olds, { ...olds, identity: connectorIdentity(rendered(2)) });
    assert.match(up.outs!.outcome, /^not reset \(transforms\.epoch\.static\.value changed\): awaitOperators is false/);
    const created = await provider.create!({ ...olds });
    assert.match(created.outs!.outcome, /^not checked/);
  });
});

describe("the slot wait where PostgreSQL is reachable only in the cluster", () => {
  const base: OffsetsOutputs = {
    namespace: "coexist-staging", connector: "c", identity: connectorIdentity(rendered(1)), awaitOperators: true, slotName: "coexist_staging",
    inClusterProbeImage: "registry.example.com/coexist/worker@sha256:ab", inClusterProbeUrl: "postgresql://coexist_slot_reader:pw@postgres-rw:5432/coexist",
    offsetResetTimeoutMs: 5_000, slotReleaseTimeoutMs: 3_000, outcome: "x",
  };

  it("runs the probe pod between the stop and the annotation, in the connector's namespace, with the image, the slot and the URL", async () => {
    const f = fakeConnector({ stops: true, resets: true }, rendered(1));
    const runs: unknown[] = [];
    const provider = strimziOffsetsProvider(() => f.api, async (context, spec, waitMs) => {
      runs.push({ context, spec, waitMs, calls: [...f.calls] });
      return { released: true, state: { active: false, activePid: null } };
    });
    const up = await provider.update!("ns/c", base, { ...base, identity: connectorIdentity(rendered(2)) });
    assert.match(up.outs!.outcome, /^reset/);
    assert.equal(runs.length, 1);
    const run = runs[0] as { context: unknown; spec: unknown; waitMs: number; calls: string[] };
    assert.deepEqual(run.spec, { namespace: "coexist-staging", image: base.inClusterProbeImage, url: base.inClusterProbeUrl, slot: "coexist_staging" });
    assert.deepEqual(run.calls, ["state=stopped"], "after the stop, before the annotation");
    assert.ok(run.waitMs <= 3_000 && run.waitMs >= 1_000, `bounded by slotReleaseTimeoutMs: ${run.waitMs}`);
    assert.deepEqual(f.calls, ["state=stopped", `annotate {"${OFFSETS_ANNOTATION}":"reset"}`]);
  });

  it("fails before any annotation when the pod finds the slot held, naming the backend; or unreadable, naming the probe's fix", async () => {
    for (const [outcome, expected] of [
      [{ released: false, state: { active: true, activePid: 77 } }, /replication slot "coexist_staging" is still active \(held by backend pid 77\) after 3s, so its offsets were not reset/],
      [{ released: false, state: undefined, error: "password authentication failed" }, /could not be checked within 3s: password authentication failed; its offsets were not reset; fix: check that the slot exporter reads the slot/],
    ] as const) {
      const f = fakeConnector({ stops: true, resets: true }, rendered(1));
      const provider = strimziOffsetsProvider(() => f.api, async () => outcome);
      await assert.rejects(provider.update!("ns/c", base, { ...base, identity: connectorIdentity(rendered(2)) }), expected);
      assert.deepEqual(f.calls, ["state=stopped"], "never annotated");
    }
  });

  it("a probe reachable from Pulumi wins; without an image or URL no pod is run", async () => {
    const noPod = async (): Promise<never> => assert.fail("no pod");
    // The direct probe is used: nothing listens there, so it fails with its own fix, not the pod's.
    const direct = fakeConnector({ stops: true, resets: true }, rendered(1));
    await assert.rejects(
      strimziOffsetsProvider(() => direct.api, noPod).update!("ns/c", base, { ...base, slotProbeUrl: "postgresql://127.0.0.1:1/x", slotReleaseTimeoutMs: 1_000, identity: connectorIdentity(rendered(2)) }),
      /could not be checked within 1s: .*make PostgreSQL reachable from where Pulumi runs/,
    );
    for (const news of [{ ...base, inClusterProbeImage: undefined }, { ...base, inClusterProbeUrl: undefined }]) {
      const f = fakeConnector({ stops: true, resets: true }, rendered(1));
      const up = await strimziOffsetsProvider(() => f.api, noPod).update!("ns/c", base, { ...news, identity: connectorIdentity(rendered(2)) });
      assert.match(up.outs!.outcome, /^reset/, "the reset goes on, waiting for STOPPED only");
    }
  });

  it("a destroy waits for the slot through the pod, and fails naming the backend; where no operator runs it runs none", async () => {
    const runs: number[] = [];
    const held = strimziOffsetsProvider(() => assert.fail("no API call"), async (_c, _s, waitMs) => {
      runs.push(waitMs);
      return { released: false, state: { active: true, activePid: 9 } };
    });
    await assert.rejects(held.delete!("ns/c", base), /connector c was deleted, but replication slot "coexist_staging" is still active \(held by backend pid 9\) after 3s/);
    assert.deepEqual(runs, [3_000]);
    const unreadable = strimziOffsetsProvider(() => assert.fail("no API call"), async () => ({ released: false, state: undefined, error: "the probe pod ended Failed without a verdict" }));
    await assert.rejects(unreadable.delete!("ns/c", base), /could not be checked within 3s by the in-cluster probe: the probe pod ended Failed without a verdict; fix: check that the slot exporter reads the slot/);
    const released = strimziOffsetsProvider(() => assert.fail("no API call"), async () => ({ released: true, state: undefined }));
    await released.delete!("ns/c", base);
    const local = strimziOffsetsProvider(() => assert.fail("no API call"), async () => assert.fail("no pod where nothing runs it"));
    await local.delete!("ns/c", { ...base, awaitOperators: false });
  });

  it("a change of the probe's image or URL is an update of the waiting resource, never a reset", async () => {
    const f = fakeConnector({ stops: true, resets: true }, rendered(1));
    const provider = strimziOffsetsProvider(() => f.api, async () => assert.fail("no pod"));
    const news = { ...base, inClusterProbeImage: "registry.example.com/coexist/worker@sha256:cd" };
    assert.equal((await provider.diff!("ns/c", base, news)).changes, true);
    await provider.update!("ns/c", base, news);
    assert.deepEqual(f.calls, []);
  });
});
