import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { Capture } from "../capture";
import { cdcGrants } from "./cdc-source";
import { postgresService, postgresSettings } from "./server";

describe("postgres server settings", () => {
  it("enables logical WAL and bounds what a slot may retain", () => {
    const s = postgresSettings({});
    assert.equal(s.wal_level, "logical");
    assert.equal(s.max_slot_wal_keep_size, "2GB");
    assert.equal(s.max_replication_slots, "10");
    assert.equal(s.max_wal_senders, "10");
  });

  it("passes every setting on the server command line", () => {
    const spec = postgresService({ database: "coexist", superuserPassword: pulumi.output("x"), hostPort: 15432, maxSlotWalKeepSize: "5GB" });
    const cmd = (spec.command ?? []).join(" ");
    assert.match(cmd, /-c wal_level=logical/);
    assert.match(cmd, /-c max_slot_wal_keep_size=5GB/);
    assert.deepEqual(spec.ports, [{ name: "postgres", container: 5432, host: 15432 }]);
    assert.equal(spec.env?.POSTGRES_PASSWORD, undefined, "the password goes through a file, not the env");
  });
});

describe("cdc grants", () => {
  const captures: Capture[] = [
    { table: "public.orders", collection: "orders", key: "order_id", transform: "order" },
    { table: "public.customers", collection: "customers", key: "customer_id", transform: "customer" },
    { table: "sales.products", collection: "products", key: "product_id", transform: "product" },
  ];
  it("grants SELECT on the captured tables only, and writes on the heartbeat table only", () => {
    const grants = cdcGrants(captures, "coexist.heartbeat");
    assert.deepEqual(
      grants.map((g) => [g.schema, g.objectType, g.objects.join(","), g.privileges.join(",")]),
      [
        ["coexist", "schema", "", "USAGE"],
        ["public", "schema", "", "USAGE"],
        ["sales", "schema", "", "USAGE"],
        ["public", "table", "customers,orders", "SELECT"],
        ["sales", "table", "products", "SELECT"],
        ["coexist", "table", "heartbeat", "INSERT,SELECT,UPDATE"],
      ],
    );
  });
});
