import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ExternalPostgres } from "../platform-config";
import { externalPostgres } from "./external";

/** The external realisation of PostgreSQL: the endpoint alone, no resource (postgresFor's "external" case). */

const EXTERNAL: ExternalPostgres = {
  mode: "external", host: "orders-db.example.com", port: 6432, sslmode: "verify-full", adminUser: "coexist_admin", cdcSource: "managed",
  database: "orders", slotName: "coexist_prod", publicationName: "coexist_prod", heartbeatIntervalMs: 10_000, debeziumUser: "debezium", generation: 0,
};

describe("externalPostgres", () => {
  it("points the workloads, the connector and Pulumi's slot probe at the server, with its sslmode", () => {
    const e = externalPostgres("pg", { ...EXTERNAL, adminPassword: "a", debeziumPassword: "d" });
    assert.deepEqual([e.host, e.port, e.database, e.sslmode], ["orders-db.example.com", 6432, "orders", "verify-full"]);
    assert.deepEqual(e.probe, { host: "orders-db.example.com", port: 6432 });
    assert.equal(e.hostUrl, undefined, "no superuser URL of a server the stack does not run");
  });

  it("applies a managed CDC source through the provider as the admin role", () => {
    const e = externalPostgres("pg", { ...EXTERNAL, adminPassword: "a", debeziumPassword: "d" });
    assert.equal(e.cdc?.kind, "provider");
    assert.deepEqual(e.cdc?.kind === "provider" && [e.cdc.host, e.cdc.port, e.cdc.adminUser, e.cdc.sslmode], ["orders-db.example.com", 6432, "coexist_admin", "verify-full"]);
  });

  it("carries no CDC source when a DBA made it, and needs no admin password then", () => {
    const e = externalPostgres("pg", { ...EXTERNAL, cdcSource: "existing" });
    assert.equal(e.cdc, undefined);
  });

  it("refuses a managed source without the admin's or Debezium's password, naming the secret", () => {
    assert.throws(() => externalPostgres("pg", { ...EXTERNAL, debeziumPassword: "d" }), /pg: cdcSource managed needs the admin role's password; fix: pulumi config set --secret coexist:postgresPassword/);
    assert.throws(() => externalPostgres("pg", { ...EXTERNAL, adminPassword: "a" }), /pg: .*fix: pulumi config set --secret coexist:debeziumPassword/);
  });
});
