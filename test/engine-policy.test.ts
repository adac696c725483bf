// test-lane: control-plane
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { DebeziumConnector } from "../components/connect";
import { SqlScript } from "../components/postgres/sql-script";
import { ROOT } from "../scripts/stack.d/engine";
import { testWorkspace, TestWorkspace } from "./support/engine";

/**
 * The policy pack run by the real engine (`preview --policy-pack policy/analyzer`): the CLI
 * launches policy/analyzer as a binary analyzer plugin, and a mandatory violation fails the
 * preview with the violation as a structured event. Previews only: nothing is created, so no
 * data plane is needed.
 */
const ANALYZER = path.join(ROOT, "policy", "analyzer");
const REF = "${file:/kafka/secrets/postgres.properties:password}";

describe("the policy pack through the real engine", { timeout: 300_000 }, () => {
  let ws: TestWorkspace;
  let stack: Stack;
  let broken = true;
  const program = async () => {
    const config: Record<string, string> = {
      name: "orders-source",
      "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
      "database.user": broken ? "postgres" : "coexist_debezium",
      "database.password": broken ? "hunter2" : REF,
      ...(broken ? {} : { "publication.autocreate.mode": "disabled" }),
    };
    new DebeziumConnector("connector", { connect: { kind: "rest", url: "http://127.0.0.1:9", passwordRef: REF, ready: [] }, config });
    new SqlScript("publication", { connection: "postgresql://127.0.0.1:9/app", up: broken ? "CREATE PUBLICATION p FOR ALL TABLES;" : "CREATE PUBLICATION p FOR TABLE public.orders;" });
    return {};
  };

  before(async () => {
    ws = await testWorkspace();
    stack = await ws.stack("policy", program);
    await stack.setConfig("coexist:target", { value: "docker" });
  });
  after(() => ws?.dispose());

  it("fails the preview on mandatory violations and reports each as a policy event naming the resource", async () => {
    broken = true;
    const events: EngineEvent[] = [];
    await assert.rejects(stack.preview({ policyPacks: [ANALYZER], onEvent: (e) => events.push(e) }), /preview failed|violat/);
    const violations = events.flatMap((e) => (e.policyEvent ? [e.policyEvent] : []));
    const byPolicy = new Map(violations.map((v) => [v.policyName, v]));
    assert.deepEqual([...byPolicy.keys()].sort(), ["debezium-role-not-superuser", "no-plaintext-secrets", "publication-not-all-tables"]);
    assert.ok(violations.every((v) => v.enforcementLevel === "mandatory" && v.policyPackName === "coexist-guardrails"));
    assert.match(byPolicy.get("no-plaintext-secrets")?.message ?? "", /Connector orders-source has a literal value in its config key "database\.password"/);
    assert.match(byPolicy.get("no-plaintext-secrets")?.resourceUrn ?? "", /coexist:Connector::connector-registration$/);
    assert.equal(violations.filter((v) => v.policyName === "publication-not-all-tables").length, 2, "the SQL script and the connector left to Debezium's default");
    const summary = events.find((e) => e.summaryEvent)?.summaryEvent as { result?: string } | undefined;
    assert.equal(summary?.result, "failed");
  });

  it("lets the same program through once it holds", async () => {
    broken = false;
    const events: EngineEvent[] = [];
    const preview = await stack.preview({ policyPacks: [ANALYZER], onEvent: (e) => events.push(e) });
    assert.deepEqual(events.filter((e) => e.policyEvent).map((e) => e.policyEvent?.message), []);
    // The stack, the connector component, its registration and the SQL script.
    assert.equal(preview.changeSummary.create, 4, JSON.stringify(preview.changeSummary));
  });
});
