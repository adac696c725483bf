import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Footprint, formatLeftovers, leftovers } from "./ephemeral-footprint";
import { defaultCreator, ephemeralRefusal, expiresAt, formatTtl, isExpired, metaOf, parseDuration, parseTtl, tagsOf } from "./ephemeral-meta";
import { canaryInsert, canaryKey, checkGateway } from "./ephemeral-smoke";

describe("ephemeral stack metadata", () => {
  it("round-trips PR, creator, creation time and TTL through stack tags", () => {
    const meta = { pr: 42, creator: "octocat", createdAt: new Date("2026-11-26T10:00:00Z"), ttlMs: parseTtl("36h") };
    const tags = tagsOf(meta);
    assert.deepEqual(tags, { "coexist:ephemeral": "true", "coexist:pr": "42", "coexist:creator": "octocat", "coexist:created-at": "2026-11-26T10:00:00.000Z", "coexist:ttl": "36h" });
    assert.deepEqual(metaOf("pr-42", tags), meta);
    assert.equal(metaOf("dev", { "coexist:pr": "1" }), undefined, "a stack without the ephemeral tag is not ephemeral");
  });

  it("expires a stack exactly at created-at + TTL", () => {
    const meta = { creator: "x", createdAt: new Date("2026-11-26T10:00:00Z"), ttlMs: parseTtl("90m") };
    assert.equal(expiresAt(meta).toISOString(), "2026-11-26T11:30:00.000Z");
    assert.equal(isExpired(meta, new Date("2026-11-26T11:29:59Z")), false);
    assert.equal(isExpired(meta, new Date("2026-11-26T11:30:00Z")), true);
  });

  it("reads durations and refuses what is not one, or too long to be ephemeral", () => {
    assert.equal(parseTtl("2d"), 172_800_000);
    assert.equal(formatTtl(parseTtl("90m")), "90m");
    assert.equal(parseDuration("45s", "--timeout"), 45_000);
    assert.throws(() => parseTtl("1 week"), /TTL "1 week" is not a duration; fix: a whole number and a unit, e.g. 90s, 90m, 24h or 2d/);
    assert.throws(() => parseTtl("31d"), /longer than 30 days/);
    assert.throws(() => metaOf("pr-1", { "coexist:ephemeral": "true", "coexist:created-at": "yesterday" }), /tag coexist:created-at is "yesterday", not a date; fix: pulumi stack tag set/);
  });

  it("refuses staging and prod (and dev, which is nobody's review stack)", () => {
    assert.match(ephemeralRefusal("staging") ?? "", /staging is never ephemeral.*refused/);
    assert.match(ephemeralRefusal("prod") ?? "", /prod is never ephemeral/);
    assert.match(ephemeralRefusal("dev") ?? "", /dev is a developer's own stack/);
    assert.equal(ephemeralRefusal("pr-7"), undefined);
    assert.equal(ephemeralRefusal("local"), undefined);
  });

  it("names the creator from CI, else git, else the OS user", () => {
    assert.equal(defaultCreator({ GITHUB_ACTOR: "octocat" }, () => "a@b", () => "root"), "octocat");
    assert.equal(defaultCreator({}, () => "a@b", () => "root"), "a@b");
    assert.equal(defaultCreator({}, () => undefined, () => "root"), "root");
  });
});

describe("ephemeral leftovers", () => {
  const f: Footprint = { stack: "pr-4", flavour: "kubernetes", slot: "coexist_pr_4", publication: "coexist_pr_4", topicPrefix: "coexist_pr_4", connector: "coexist_pr_4-postgres-source", namespace: "coexist-pr-4", mongoDatabase: "coexist_pr_4" };

  it("finds nothing when nothing of the stack is left, even beside another stack's objects with a longer name", () => {
    const list = leftovers({
      slots: [{ name: "coexist_pr_42", active: true, pid: 7 }], publications: ["coexist_pr_42"], topics: ["coexist_pr_42.public.orders", "coexist_pr_42-connect.offsets"],
      groups: ["coexist_pr_42-sync"], connectors: ["coexist_pr_42-postgres-source"], mongoDatabases: ["coexist_pr_42"], kubeObjects: [], docker: { containers: [], volumes: [], networks: [] },
    }, f);
    assert.deepEqual(list, []);
    assert.equal(formatLeftovers("pr-4", list), "pr-4: 0 leftovers");
  });

  it("names every kind of leftover with the command that removes it", () => {
    const list = leftovers({
      slots: [{ name: "coexist_pr_4", active: true, pid: 4711 }, { name: "coexist_pr_4_orphan", active: false }],
      publications: ["coexist_pr_4"], topics: ["coexist_pr_4.public.orders", "__debezium-heartbeat.coexist_pr_4", "coexist_pr_4-connect.configs"],
      groups: ["coexist_pr_4-sync"], connectors: ["coexist_pr_4-postgres-source"], mongoDatabases: ["coexist_pr_4"], namespacePhase: "Terminating",
      kubeObjects: ["ClusterRole coexist-pr-4-reader", "ConfigMap other/kong-files"], docker: { containers: ["coexist-pr-4-kafka"], volumes: ["coexist-pr-4-kafka-data"], networks: ["coexist-pr-4"] },
    }, f);
    const text = formatLeftovers("pr-4", list);
    assert.match(text, /^pr-4: 15 leftovers; the stack is kept so that a second destroy finishes the job once they are gone:/);
    assert.match(text, /replication slot coexist_pr_4: still active \(pid 4711\): stop what reads it, then on PostgreSQL: SELECT pg_drop_replication_slot\('coexist_pr_4'\);/);
    assert.match(text, /replication slot coexist_pr_4_orphan: it pins WAL until dropped/);
    assert.match(text, /topic __debezium-heartbeat\.coexist_pr_4: kafka-topics --delete/);
    assert.match(text, /Kubernetes namespace coexist-pr-4 \(Terminating\)/);
    assert.match(text, /Kubernetes object ConfigMap other\/kong-files: kubectl delete configmap kong-files -n other/);
    assert.match(text, /Kubernetes object ClusterRole coexist-pr-4-reader: kubectl delete clusterrole coexist-pr-4-reader$/m);
    assert.match(text, /volume coexist-pr-4-kafka-data: docker volume rm coexist-pr-4-kafka-data/);
  });
});

describe("smoke test canary", () => {
  const columns = [
    { column_name: "order_id", data_type: "bigint", is_nullable: "NO", column_default: null, is_identity: "NO", is_generated: "NEVER" },
    { column_name: "status", data_type: "text", is_nullable: "NO", column_default: "'pending'::text", is_identity: "NO", is_generated: "NEVER" },
    { column_name: "sku", data_type: "text", is_nullable: "NO", column_default: null, is_identity: "NO", is_generated: "NEVER" },
    { column_name: "notes", data_type: "text", is_nullable: "YES", column_default: null, is_identity: "NO", is_generated: "NEVER" },
  ] as const;

  it("writes the key and a value for every column that demands one, and nothing else", () => {
    const insert = canaryInsert("public.orders", "order_id", -5, columns);
    assert.equal(insert.sql, 'INSERT INTO "public"."orders" ("order_id", "sku") VALUES ($1, $2)');
    assert.deepEqual(insert.values, [-5, "coexist-canary"]);
  });

  it("says which column it cannot fill, and the fix", () => {
    assert.throws(() => canaryInsert("public.shapes", "id", 1, [{ column_name: "geom", data_type: "USER-DEFINED", is_nullable: "NO", column_default: null, is_identity: "NO", is_generated: "NEVER" }]),
      /public\.shapes\.geom is NOT NULL without a default and of type USER-DEFINED.*fix: give the column a default, or choose another capture with --table/);
  });

  it("picks a key no real row uses: negative numbers, marked strings", () => {
    assert.equal(canaryKey("bigint", 1_700_000_000_123), -700_000_000_123);
    assert.equal(canaryKey("text", 5), "coexist-canary-5");
  });

  it("reports a gateway it does not check, and one that lets a call without a token through", async () => {
    assert.deepEqual(await checkGateway({ skipped: "kwok" }), { ok: true, line: "gateway: not checked (kwok)" });
    const { createServer } = await import("node:http");
    const srv = createServer((_req, res) => res.writeHead(200).end("open")).listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    try {
      const r = await checkGateway({ url: `http://127.0.0.1:${(srv.address() as { port: number }).port}` });
      assert.equal(r.ok, false);
      assert.match(r.line, /FAILED: the gateway answered \/orders without a token with HTTP 200 \(expected 401\): open/);
    } finally {
      srv.close();
    }
  });
});
