import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Capture } from "../capture";
import { cdcTopics, heartbeatActionQuery, publicationTables, renderConnectorConfig, REPLACE_ON_CHANGE, topicFor } from "./connector-config";

const captures: Capture[] = [
  { table: "public.orders", collection: "orders", key: "order_id", transform: "order" },
  { table: "sales.customers", collection: "customers", key: "customer_id", transform: "customer" },
];
const input = {
  name: "coexist-postgres-source",
  topicPrefix: "coexist",
  database: { host: "postgres", port: 5432, dbname: "coexist", user: "debezium" },
  passwordRef: "${file:/kafka/secrets/postgres.properties:password}",
  slotName: "coexist_dev",
  publicationName: "coexist_dev",
  heartbeat: { table: "coexist.heartbeat", intervalMs: 10_000 },
  captures,
};

describe("renderConnectorConfig", () => {
  const config = renderConnectorConfig(input);

  it("streams with pgoutput from the stack's own slot and pre-created publication", () => {
    assert.equal(config["plugin.name"], "pgoutput");
    assert.equal(config["slot.name"], "coexist_dev");
    assert.equal(config["publication.name"], "coexist_dev");
    // `all_tables` would publish every table; `filtered` would drop the heartbeat table from it.
    assert.equal(config["publication.autocreate.mode"], "disabled");
    assert.equal(config["slot.drop.on.stop"], "false");
    assert.equal(config["table.include.list"], "public.orders,sales.customers");
    assert.equal(config["snapshot.mode"], "initial");
  });

  it("uses the Debezium 3.6 flush and offset-validation settings, never the deprecated ones", () => {
    assert.equal(config["lsn.flush.mode"], "connector");
    assert.equal(config["offset.mismatch.strategy"], "trust_offset");
    assert.equal(config["flush.lsn.source"], undefined, "deprecated in 3.4 for lsn.flush.mode");
    assert.equal(config["slot.seek.to.known.offset.on.start"], undefined, "deprecated for offset.mismatch.strategy");
  });

  it("heartbeats through a write to the heartbeat table", () => {
    assert.equal(config["heartbeat.interval.ms"], "10000");
    assert.equal(config["heartbeat.action.query"], 'INSERT INTO "coexist"."heartbeat" (id, ts) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts');
    assert.equal(heartbeatActionQuery("coexist.heartbeat"), config["heartbeat.action.query"]);
  });

  it("emits Debezium's envelope unflattened, with truncates, stamped with the source epoch", () => {
    assert.equal(config["transforms"], "epoch", "ExtractNewRecordState would drop truncate events");
    assert.equal(config["transforms.epoch.type"], "org.apache.kafka.connect.transforms.InsertField$Value");
    assert.equal(config["transforms.epoch.static.field"], "__epoch");
    assert.equal(config["transforms.epoch.static.value"], "0");
    assert.equal(renderConnectorConfig({ ...input, epoch: 3 })["transforms.epoch.static.value"], "3");
    assert.equal(config["skipped.operations"], "none", "Debezium's default skips truncates");
    assert.equal(config["database.server.name"], undefined, "removed in Debezium 2.0; topic.prefix replaces it");
    assert.throws(() => renderConnectorConfig({ ...input, epoch: -1 }), /epoch must be an integer between 0 and 4294967295.*got -1/);
  });

  it("keeps NUMERIC exact and lets the worker see column types", () => {
    assert.equal(config["decimal.handling.mode"], "precise");
    assert.equal(config["value.converter.schemas.enable"], "true");
    assert.equal(config["key.converter.schemas.enable"], "false");
  });

  it("polls often enough for sub-second lag", () => {
    assert.equal(config["poll.interval.ms"], "100");
  });

  it("fails loudly instead of skipping records", () => {
    assert.equal(config["errors.tolerance"], "none");
  });

  it("carries a config-provider reference, never the password", () => {
    assert.equal(config["database.password"], "${file:/kafka/secrets/postgres.properties:password}");
    assert.throws(() => renderConnectorConfig({ ...input, passwordRef: "hunter2" }), /passwordRef must be a Connect config-provider reference/);
  });

  it("only renders string values, so the REST API echoes back exactly what was sent", () => {
    for (const [k, v] of Object.entries(config)) assert.equal(typeof v, "string", k);
  });

  it("refuses an empty capture list", () => {
    assert.throws(() => renderConnectorConfig({ ...input, captures: [] }), /captures is empty/);
  });

  it("replaces the connector when the replication stream changes", () => {
    for (const key of ["slot.name", "publication.name", "database.dbname"]) assert.ok(REPLACE_ON_CHANGE.includes(key as (typeof REPLACE_ON_CHANGE)[number]), key);
  });
});

describe("topic and publication derivation", () => {
  it("names topics <prefix>.<schema>.<table>", () => {
    assert.equal(topicFor("coexist", "public.orders"), "coexist.public.orders");
    assert.deepEqual(cdcTopics("cx", captures), ["cx.public.orders", "cx.sales.customers"]);
  });

  it("publishes the captured tables plus the heartbeat table", () => {
    assert.deepEqual(publicationTables(captures, "coexist.heartbeat"), ["public.orders", "sales.customers", "coexist.heartbeat"]);
  });
});
