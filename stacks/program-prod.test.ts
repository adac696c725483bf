import { stackConfig } from "./stack-files";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { renderKongConfig } from "../components/kong/render";
import { credentialLeaks } from "../components/testing/inspect";
import { customResources, get, oneCustom } from "../components/testing/kubernetes";
import { installMocks, MockRun, settle } from "../components/testing/mocks";
import { MONGO_INDEXES, renderMongoInit } from "../components/mongodb/mongodb";
import { parseConfig } from "./config";
import { generateKongCredentials } from "./kong-credentials";

/**
 * The prod program under Pulumi mocks: Kubernetes with the read model on MongoDB Atlas, every
 * stateful resource protected and retained, topics replicated three times with two in sync.
 * Atlas cannot run here (its provider is not served by the registries); mocks are its only check.
 */

const SECRETS = { "coexist:debeziumPassword": "dbz-Pr0d-s3cret", "coexist:mongodbPassword": "atlas-Pr0d-s3cret" };
const KONG = generateKongCredentials(renderKongConfig("prod").secretVariables);
const file = stackConfig("prod");
const config = { ...file, "coexist:kubernetes": { ...(file["coexist:kubernetes"] as object), crds: "skip" } };

let run: MockRun;
let outputs: Record<string, unknown>;

before(async () => {
  run = installMocks("prod", { ...config, ...SECRETS, "coexist:kongCredentials": KONG }, [...Object.keys(SECRETS), "coexist:kongCredentials"]);
  const program = await import("./program");
  outputs = { ...(await run.runProgram(() => program.main())) };
  await settle();
});

describe("prod program (Kubernetes, Atlas)", () => {
  it("runs the read model on an Atlas cluster with backups, point-in-time restore and termination protection", () => {
    const cluster = run.one("mongodbatlas:index/advancedCluster:AdvancedCluster");
    assert.equal(cluster.inputs.backupEnabled, true);
    assert.equal(cluster.inputs.pitEnabled, true);
    assert.equal(cluster.inputs.terminationProtectionEnabled, true);
    assert.equal(cluster.inputs.retainBackupsEnabled, true);
    assert.equal(cluster.protect, true);
    assert.equal(cluster.retainOnDelete, true);
    const electable = get((cluster.inputs.replicationSpecs as unknown[])[0], "regionConfigs") as { electableSpecs: { instanceSize: string; nodeCount: number } }[];
    assert.deepEqual(electable[0]?.electableSpecs, { instanceSize: "M30", nodeCount: 3 });
  });

  it("gives the workers a database user with readWrite on the read-model database only, scoped to the cluster", () => {
    const user = run.one("mongodbatlas:index/databaseUser:DatabaseUser").inputs;
    assert.deepEqual(user.roles, [{ roleName: "readWrite", databaseName: "coexist" }]);
    assert.equal((user.scopes as { type: string }[])[0]?.type, "CLUSTER");
  });

  it("opens the Atlas project only to the cluster's egress addresses, never 0.0.0.0/0", () => {
    const entries = run.byType("mongodbatlas:index/projectIpAccessList:ProjectIpAccessList").map((e) => e.inputs.cidrBlock);
    assert.deepEqual(entries, ["203.0.113.10/32", "203.0.113.11/32"]);
    assert.ok(entries.every((c) => !String(c).endsWith("/0")));
  });

  it("creates the read-model collections and their indexes on Atlas, from the same schema as every other realisation", () => {
    // The init Job runs the idempotent mongosh script rendered from the capture list and MONGO_INDEXES.
    const jobs = run.byType("kubernetes:batch/v1:Job").filter((j) => j.parentType === "coexist:mongodb:MongoAtlas");
    assert.equal(jobs.length, 1, `one read-model init Job under MongoAtlas, found ${jobs.map((j) => j.name).join(", ") || "none"}`);
    const files = run.byType("kubernetes:core/v1:ConfigMap").filter((c) => c.parentType === "coexist:mongodb:MongoAtlas");
    const script = files.flatMap((c) => Object.values((c.inputs.data ?? {}) as Record<string, string>)).join("\n");
    const raw = Object.fromEntries(Object.entries({ ...config, ...SECRETS }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    const parsed = parseConfig(raw, "prod", Object.keys(SECRETS));
    assert.ok(parsed.captures.length > 0);
    assert.equal(script, renderMongoInit(parsed.mongodb.database, parsed.captures, { initiate: false, createAppUser: false }));
    for (const ix of MONGO_INDEXES) assert.ok(script.includes(`createIndex(${JSON.stringify(ix.keys)}, ${JSON.stringify(ix.options)})`), ix.options.name as string);
    assert.ok(!script.includes("replSetInitiate") && !script.includes("createUser"), "Atlas manages the replica set and the user");
    // It reaches Atlas as the application user, with the connection string only as a secret.
    const env = (get(jobs[0].inputs, "spec", "template", "spec", "containers") as { env?: { name: string; valueFrom?: unknown }[] }[])[0]?.env ?? [];
    assert.ok(env.some((e) => e.name === "MONGODB_URL" && e.valueFrom !== undefined), JSON.stringify(env));
  });

  it("runs no in-cluster MongoDB", () => {
    assert.deepEqual(customResources(run, "MongoDBCommunity"), []);
    assert.ok(!run.byType("kubernetes:helm.sh/v4:Chart").some((c) => String(c.inputs.chart).includes("mongodb")));
  });

  it("replicates every topic three times, and Kafka requires two in sync", () => {
    for (const t of customResources(run, "KafkaTopic")) {
      const spec = get(t.inputs, "spec") as { topicName: string; replicas: number; config: Record<string, string> };
      assert.equal(spec.replicas, 3, spec.topicName);
      if (!spec.topicName.startsWith("__debezium-heartbeat")) assert.equal(spec.config["min.insync.replicas"], "2", spec.topicName);
    }
    assert.equal(get(oneCustom(run, "Kafka").inputs, "spec", "kafka", "config", "min.insync.replicas"), 2);
  });

  it("protects and retains every stateful resource", () => {
    for (const kind of ["Kafka", "KafkaNodePool", "Cluster"]) {
      const r = oneCustom(run, kind);
      assert.equal(r.protect, true, kind);
      assert.equal(r.retainOnDelete, true, kind);
    }
    for (const t of customResources(run, "KafkaTopic")) assert.equal(t.protect, true, t.name);
    // Deleting the namespace would delete every retained resource inside it.
    const ns = run.one("kubernetes:core/v1:Namespace");
    assert.equal(ns.protect, true);
    assert.equal(ns.retainOnDelete, true);
  });

  it("hands the workers the Atlas connection string only as a secret, and nothing else of its credentials", () => {
    const leaks = credentialLeaks(run.resources, { ...SECRETS }, {
      "coexist:debeziumPassword": [{ type: "kubernetes:core/v1:Secret", name: /-role-debezium$/, input: "stringData" }, { type: "kubernetes:core/v1:Secret", name: /-connect-source-secret$/, input: "stringData" }],
      "coexist:mongodbPassword": [
        { type: "mongodbatlas:index/databaseUser:DatabaseUser", name: /-atlas-user$/, input: "password" },
        { type: "kubernetes:core/v1:Secret", name: /-(sync|reconciler|atlas-init)-env$/, input: "stringData" },
      ],
    });
    assert.deepEqual(leaks, []);
    void outputs;
  });
});
