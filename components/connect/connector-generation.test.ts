import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Capture } from "../capture";
import { REPLACE_ON_CHANGE, renderConnectorConfig } from "./connector-config";
import { connectorProvider } from "./connector-provider";

/**
 * Issue 14 §1.6: a `coexist:postgres.generation` bump (a restore or PITR behind the same host) must
 * never let the connector resume from the old server's offsets, where `trust_offset` would move the
 * new slot forward and skip changes. The generation reaches the connector as the epoch stamp; a
 * change of it must replace the connector, and a replacement deletes the old one first (stop,
 * offsets reset, slot released) so the new one snapshots from nothing. Generated schedules of
 * generation pairs and unrelated config changes; fast-check prints the seed on failure.
 */

const captures: Capture[] = [{ table: "public.orders", collection: "orders", transform: "order" } as Capture];
const base = {
  name: "coexist-postgres-source",
  database: { host: "postgres", port: 5432, dbname: "coexist", user: "debezium" },
  passwordRef: "${file:/secrets/postgres.properties:password}",
  topicPrefix: "coexist",
  slotName: "coexist_dev",
  publicationName: "coexist_dev",
  heartbeat: { table: "coexist.heartbeat", intervalMs: 10_000 },
  captures,
};
const props = (epoch: number, heartbeatMs: number) => ({
  connectUrl: "http://connect:8083", name: base.name,
  config: renderConnectorConfig({ ...base, epoch, heartbeat: { ...base.heartbeat, intervalMs: heartbeatMs } }),
});
const generation = fc.integer({ min: 0, max: 0xffff_ffff });
const heartbeat = fc.integer({ min: 1_000, max: 600_000 });

describe("connector generation (issue 14 §1.6)", () => {
  it("the epoch key is one that forces a replacement on every realisation", () => {
    assert.ok((REPLACE_ON_CHANGE as readonly string[]).includes("transforms.epoch.static.value"));
  });

  it("a generation bump replaces the connector, old one deleted first; the same generation never does", async () => {
    await fc.assert(fc.asyncProperty(generation, generation, heartbeat, heartbeat, async (g0, g1, h0, h1) => {
      const d = await connectorProvider.diff!("id", props(g0, h0), props(g1, h1));
      const replaces = d.replaces ?? [];
      if (g0 !== g1) {
        assert.ok(replaces.includes(`config["transforms.epoch.static.value"]`), `generation ${g0} -> ${g1}: replaces ${JSON.stringify(replaces)}`);
        assert.equal(d.deleteBeforeReplace, true);
      } else {
        assert.deepEqual(replaces, [], `generation ${g0} unchanged, heartbeat ${h0} -> ${h1}`);
        assert.equal(d.changes, h0 !== h1);
      }
    }), { numRuns: 300 });
  });
});
