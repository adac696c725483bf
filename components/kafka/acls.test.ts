import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Capture, TRANSFORMS } from "../capture";
import { cdcTopics, dlqTopic, heartbeatTopic } from "../connect/connector-config";
import { aclBindings, isAllowed, kafkaAccess, KafkaAccessInput, kafkaAclsArgs, renderStrimziAuthorization } from "./acls";
import { rng } from "../testing/seeded";

// A seeded generator (mulberry32): every run prints its seed; COEXIST_SEED=<n> replays a failure.
const SEED = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);
const ident = (r: () => number, n = 1 + Math.floor(r() * 8)) => Array.from({ length: n }, () => "abcdefghij_"[Math.floor(r() * 11)]).join("").replace(/^_/, "t");

function genInput(r: () => number): KafkaAccessInput {
  const topicPrefix = ident(r);
  const tables = new Set<string>();
  const count = 1 + Math.floor(r() * 6);
  while (tables.size < count) tables.add(`${r() < 0.5 ? "public" : ident(r)}.${ident(r)}`);
  const captures: Capture[] = [...tables].map((table) => ({ table, collection: table.replace(".", "_"), key: "id", transform: TRANSFORMS[0] }));
  const connectGroup = `${topicPrefix}-connect`;
  return {
    topicPrefix,
    captures,
    connect: { user: `${topicPrefix}-connect`, group: connectGroup, internalTopics: { configs: `${connectGroup}.configs`, offsets: `${connectGroup}.offsets`, status: `${connectGroup}.status` } },
    worker: { user: `${topicPrefix}-worker`, group: `${topicPrefix}-sync` },
  };
}

const RUNS = 200;
function forAll(property: (input: KafkaAccessInput, r: () => number) => void): void {
  for (let i = 0; i < RUNS; i++) {
    const seed = (SEED + i) >>> 0;
    const r = rng(seed);
    const input = genInput(r);
    try {
      property(input, r);
    } catch (e) {
      (e as Error).message = `seed ${seed} (COEXIST_SEED=${seed} replays it), input ${JSON.stringify(input)}: ${(e as Error).message}`;
      throw e;
    }
  }
}

describe("kafkaAccess (seed " + SEED + ")", () => {
  it("lets the worker consume exactly its capture topics in its group and produce only to the DLQ", () => {
    forAll((input, r) => {
      const { worker } = kafkaAccess(input);
      const captures = cdcTopics(input.topicPrefix, input.captures);
      for (const t of captures) {
        assert.ok(isAllowed(worker, "Read", "topic", t), `worker reads ${t}`);
        assert.ok(isAllowed(worker, "Describe", "topic", t), `worker describes ${t}`);
        assert.ok(!isAllowed(worker, "Write", "topic", t), `worker must not write capture topic ${t}`);
      }
      assert.ok(isAllowed(worker, "Read", "group", input.worker.group));
      assert.ok(isAllowed(worker, "Write", "topic", dlqTopic(input.topicPrefix)));
      assert.ok(!isAllowed(worker, "Read", "group", input.connect.group), "worker must not join Connect's group");
      // Topics outside the capture list: another prefix's, Connect's, the heartbeat, random names.
      const others = [
        heartbeatTopic(input.topicPrefix),
        ...Object.values(input.connect.internalTopics),
        ...captures.map((t) => `x${t}`),
        ...captures.map((t) => `${t}x`),
        `${input.topicPrefix}.${ident(r)}.${ident(r)}x`,
      ].filter((t) => !captures.includes(t));
      for (const t of others) assert.ok(!isAllowed(worker, "Read", "topic", t), `worker must not read ${t}`);
      assert.ok(!isAllowed(worker, "Read", "topic", dlqTopic(input.topicPrefix)), "worker writes the DLQ, never reads it");
    });
  });

  it("lets Connect write the capture topics and the heartbeat, use its internal topics and group, and read no capture topic", () => {
    forAll((input) => {
      const { connect } = kafkaAccess(input);
      for (const t of cdcTopics(input.topicPrefix, input.captures)) {
        assert.ok(isAllowed(connect, "Write", "topic", t));
        assert.ok(!isAllowed(connect, "Read", "topic", t), `connect must not read ${t}`);
      }
      assert.ok(isAllowed(connect, "Write", "topic", heartbeatTopic(input.topicPrefix)));
      for (const t of Object.values(input.connect.internalTopics)) {
        for (const op of ["Read", "Write", "DescribeConfigs"] as const) assert.ok(isAllowed(connect, op, "topic", t), `${op} ${t}`);
        assert.ok(!isAllowed(connect, "Create", "topic", t), "topics are pre-created unless connectCreatesInternalTopics");
      }
      assert.ok(isAllowed(connect, "Read", "group", input.connect.group));
      assert.ok(!isAllowed(connect, "Write", "topic", dlqTopic(input.topicPrefix)), "the DLQ is the worker's");
      assert.ok(!isAllowed(connect, "Read", "group", input.worker.group));
      const sinks = kafkaAccess({ ...input, connectRunsSinks: true }).connect;
      for (const t of cdcTopics(input.topicPrefix, input.captures)) assert.ok(isAllowed(sinks, "Read", "topic", t), `a sink reads ${t}`);
      assert.ok(isAllowed(sinks, "Read", "group", "connect-bench-sink"));
      assert.ok(!isAllowed(sinks, "Read", "topic", dlqTopic(input.topicPrefix)));
      assert.ok(!isAllowed(connect, "Read", "group", "connect-bench-sink"), "no sink groups unless asked");
      const created = kafkaAccess({ ...input, connectCreatesInternalTopics: true }).connect;
      for (const t of Object.values(input.connect.internalTopics)) assert.ok(isAllowed(created, "Create", "topic", t));
    });
  });

  it("grants nothing on the cluster and no wildcard, and renders one binding per (rule, operation)", () => {
    forAll((input) => {
      const access = kafkaAccess(input);
      for (const p of [access.connect, access.worker]) {
        for (const rule of p.acls) {
          assert.ok(rule.resource.type === "topic" || rule.resource.type === "group");
          assert.notEqual(rule.resource.name, "*");
          assert.equal(rule.resource.patternType, "literal");
        }
        const bindings = aclBindings(p);
        assert.equal(bindings.length, p.acls.reduce((n, r) => n + r.operations.length, 0));
        assert.ok(bindings.every((b) => b.principal === `User:${p.user}`));
        const args = kafkaAclsArgs(p);
        assert.equal(args.length, p.acls.length);
        assert.deepEqual(renderStrimziAuthorization(p).acls.map((a) => (a.resource as { name: string }).name), p.acls.map((r) => r.resource.name));
      }
    });
  });

  it("in prefix scope covers every test prefix under the data plane's, and nothing outside it", () => {
    forAll((input, r) => {
      const { worker, connect } = kafkaAccess({ ...input, topicPrefix: "it", scope: "prefix", worker: { ...input.worker, group: "coexist-sync-it-" } });
      const id = ident(r);
      const own = cdcTopics(`it${id}`, input.captures);
      for (const t of own) {
        assert.ok(isAllowed(worker, "Read", "topic", t));
        assert.ok(isAllowed(connect, "Write", "topic", t));
      }
      assert.ok(isAllowed(worker, "Read", "group", `coexist-sync-it-${id}`));
      assert.ok(isAllowed(connect, "Write", "topic", heartbeatTopic(`it${id}`)));
      assert.ok(!isAllowed(worker, "Read", "topic", `x${own[0]}`));
      assert.ok(!isAllowed(worker, "Read", "group", `other-${id}`));
    });
  });

  it("refuses a shared or malformed user before anything is rendered, naming the field", () => {
    const input = genInput(rng(SEED));
    assert.throws(() => kafkaAccess({ ...input, worker: { ...input.worker, user: input.connect.user } }), /connect\.user and worker\.user are both/);
    assert.throws(() => kafkaAccess({ ...input, worker: { ...input.worker, user: "a b" } }), /worker\.user is "a b"/);
  });
});
