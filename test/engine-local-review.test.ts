import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { EphemeralContext, ephemeralCreate, ephemeralDestroy, ephemeralSweep, ephemeralTest, ephemeralUp } from "../scripts/stack.d/ephemeral";
import { observe } from "../scripts/stack.d/ephemeral-inspect";
import { footprintOf } from "../scripts/stack.d/ephemeral-footprint";
import { metaOf } from "../scripts/stack.d/ephemeral-meta";
import { ROOT } from "../scripts/stack.d/engine";
import { readDataplaneEnv } from "../scripts/stack.d/local";
import { collectPreview } from "../scripts/stack.d/markdown";
import { GITHUB_COMMENT_LIMIT, renderPreviewMarkdown } from "../scripts/stack.d/markdown-render";
import { parseConfig } from "../stacks/config";
import { testWorkspace, TestWorkspace, stopwatch } from "./support/engine";
import { connectUrlWithCredentials } from "../scripts/stack.d/dataplane-env";
import { kafkaSasl, loadDataplaneEnv } from "./support/dataplane";

/**
 * An ephemeral `local` stack through its whole review life, for real: the engine built here under
 * the Automation API, the data plane's kube-apiserver (kwok nodes), PostgreSQL, Kafka, Connect and
 * MongoDB-wire store. It is created and tagged, previewed as a pull-request comment (with the policy
 * pack), deployed, smoke-tested (a canary row reaches MongoDB and its delete follows), previewed
 * again after a connector change, and destroyed: a slot injected under the stack's name makes the
 * destroy fail and name it; once it is gone, a second destroy finds 0 leftovers and removes the
 * stack. Finally a sweep destroys an expired stack and keeps a fresh one.
 *
 * Needs `scripts/dataplane up --kubernetes` (KUBECONFIG in the data plane's env file).
 */
let env: ReturnType<typeof readDataplaneEnv> | undefined;
let missing: string | undefined;
try {
  env = readDataplaneEnv();
} catch (e) {
  missing = (e as Error).message;
}

describe("an ephemeral local stack, reviewed and torn down for real", { skip: missing, timeout: 1_800_000 }, () => {
  const id = `rv-${randomBytes(3).toString("hex")}`;
  const sweptId = `sw-${randomBytes(3).toString("hex")}`;
  const leftover = `coexist_${id.replace(/-/g, "_")}_leftover`;
  const { timings, timed } = stopwatch();
  let ws: TestWorkspace;
  let ctx: EphemeralContext;
  let stack: Stack;
  /** The backend's stacks, without creating one (engine.stack would). */
  const names = async () => {
    const w = await LocalWorkspace.create({ workDir: ws.dir, envVars: ws.engine.env, pulumiCommand: ws.engine.command, pulumiHome: ws.engine.env.PULUMI_HOME });
    return (await w.listStacks()).map((s) => s.name).sort();
  };
  const pg = async (sql: string, values: unknown[] = []) => {
    const c = new Client({ connectionString: env!.POSTGRES_URL });
    await c.connect();
    try {
      return await c.query(sql, values);
    } finally {
      await c.end();
    }
  };
  const previewComment = async (): Promise<{ text: string; changes: Record<string, number> }> => {
    const events: EngineEvent[] = [];
    const preview = await stack.preview({ policyPacks: [path.join(ROOT, "policy", "analyzer")], onEvent: (e) => events.push(e) });
    return { text: renderPreviewMarkdown(collectPreview("local", events)), changes: preview.changeSummary as Record<string, number> };
  };

  before(async () => {
    ws = await testWorkspace({ KUBECONFIG: env!.KUBECONFIG }, { kubernetes: true });
    const log = (line: string) => process.stderr.write(`[ephemeral] ${line}\n`);
    ctx = { engine: ws.engine, workDir: ws.dir, stateDir: path.join(ws.dir, "state-keys"), log, out: () => undefined, now: () => new Date() };
  });

  after(async () => {
    // Whatever a failed test left: the injected slot, then the stack through the command under test.
    await pg("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", [leftover]).catch(() => undefined);
    for (const name of await names().catch(() => [] as string[])) {
      if (name === "local") await ephemeralDestroy(ctx, "local").catch((e: Error) => process.stderr.write(`[ephemeral] cleanup: ${e.message}\n`));
      else await LocalWorkspace.create({ workDir: ws.dir, envVars: ws.engine.env, pulumiCommand: ws.engine.command }).then((w) => w.removeStack(name)).catch(() => undefined);
    }
    ws?.dispose();
    process.stderr.write(`[engine-local-review] timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it("creates the stack and tags it with the PR, its creator, the creation time and a TTL", async () => {
    await timed("create", () => ephemeralCreate(ctx, "local", { pr: "9", creator: "reviewer", ttl: "2h", id }));
    stack = await ws.engine.stack("local", async () => (await import("../stacks/program")).main());
    const meta = metaOf("local", await stack.listTags());
    assert.equal(meta?.pr, 9);
    assert.equal(meta?.creator, "reviewer");
    assert.equal(meta?.ttlMs, 2 * 3_600_000);
    assert.ok(Date.now() - (meta?.createdAt.getTime() ?? 0) < 600_000);
    const namespace = (await stack.getConfig("coexist:kubernetes")).value;
    assert.match(namespace, new RegExp(`"namespace":"coexist-${id}"`));
  });

  it("previews it as a PR comment from the engine's events: what it creates, its connector, its routes; the policy pack holds", async () => {
    const { text, changes } = await timed("preview", () => previewComment());
    const lines = text.split("\n");
    assert.equal(lines[0], "<!-- coexist-preview:local -->");
    assert.equal(lines[lines.findIndex((l) => l.startsWith("| create |")) + 2], `| ${changes.create ?? 0} | 0 | 0 | 0 | ${changes.same ?? 0} |`);
    assert.ok((changes.create ?? 0) > 10, JSON.stringify(changes));
    assert.match(text, new RegExp(`<summary><b>create</b> <code>Connector coexist_${id.replace(/-/g, "_")}-postgres-source</code>`));
    assert.match(text, new RegExp(`\\| <code>slot\\.name</code> \\| add \\|  \\| <code>coexist_${id.replace(/-/g, "_")}</code> \\|`));
    assert.doesNotMatch(text, /replaces the connector/, "a new connector replaces nothing");
    // The password is a config-provider reference: readable, and no secret.
    assert.match(text, /\| <code>database\.password<\/code> \| add \|  \| <code>\$\{file:[^<]+:password\}<\/code> \|/);
    assert.match(text, /\| <code>orders\/orders<\/code> \| added \|/);
    assert.match(text, /\| <code>products\/products<\/code> \| added \|/);
    assert.doesNotMatch(text, /Policy violations/);
    assert.doesNotMatch(text, /\[!CAUTION\]/, "nothing stateful is replaced or deleted by a first deploy");
    const creds = fs.readFileSync(path.join(env!.DATAPLANE_DIR, "env"), "utf8").match(/PASSWORD='([^']+)'/g) ?? [];
    for (const c of creds) assert.ok(!text.includes(c.slice(c.indexOf("'") + 1, -1)), "a data plane password is in the comment");
    assert.ok(text.length < GITHUB_COMMENT_LIMIT);
  });

  it("deploys it, and the smoke test's canary reaches MongoDB and its delete follows", async () => {
    await timed("up", () => ephemeralUp(ctx, "local", { policyPack: true }));
    assert.ok(metaOf("local", await stack.listTags()), "the tags survive an update on the file backend");
    const smoke = await timed("smoke", () => ephemeralTest(ctx, "local", { timeoutMs: 180_000 }));
    assert.ok(smoke.ok, smoke.lines.join("\n"));
    assert.match(smoke.lines.join("\n"), /ok: the canary reached MongoDB in [\d.]+s\nok: its delete reached MongoDB in [\d.]+s\ngateway: not checked \(the local cluster's kwok nodes run no containers/);
  });

  it("shows a connector setting change in the comment, field by field", async () => {
    const postgres = JSON.parse((await stack.getConfig("coexist:postgres")).value) as Record<string, unknown>;
    await stack.setConfig("coexist:postgres", { value: JSON.stringify({ ...postgres, heartbeatIntervalMs: 5000 }) });
    try {
      const { text } = await previewComment();
      assert.match(text, /\| <code>heartbeat\.interval\.ms<\/code> \| update \| <code>1000<\/code> \| <code>5000<\/code> \|/);
      assert.doesNotMatch(text, /replaces the connector/);
    } finally {
      await stack.setConfig("coexist:postgres", { value: JSON.stringify(postgres) });
    }
  });

  it("refuses to finish the destroy while a slot under the stack's name is left, and names it", async () => {
    await pg("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [leftover]);
    const left = await timed("destroy", () => ephemeralDestroy(ctx, "local"));
    assert.deepEqual(left.map((l) => `${l.kind} ${l.name}`), [`replication slot ${leftover}`]);
    assert.match(left[0]?.fix ?? "", new RegExp(`SELECT pg_drop_replication_slot\\('${leftover}'\\)`));
    assert.ok((await names()).includes("local"), "the stack is kept until nothing is left");
    // Everything else went, in order: the connector, its slot and publication, the topics, the namespace.
    const all = await stack.getAllConfig();
    const config = parseConfig(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value])), "local", Object.entries(all).filter(([, v]) => v.secret).map(([k]) => k));
    const seen = await observe(footprintOf(config), { postgresUrl: env!.POSTGRES_URL, kafkaBrokers: env!.KAFKA_BROKERS.split(","), kafkaSasl: kafkaSasl(loadDataplaneEnv(), "admin"), connectUrl: connectUrlWithCredentials(env!), mongoUrl: env!.MONGODB_URL, kubeconfig: env!.KUBECONFIG });
    assert.deepEqual(seen.slots?.filter((s) => s.name.startsWith(config.postgres.slotName)).map((s) => s.name), [leftover]);
    assert.equal(seen.namespacePhase, undefined);
    assert.ok(!seen.connectors?.some((c) => c.startsWith(config.topicPrefix)));
    assert.ok(!seen.topics?.some((t) => t.startsWith(`${config.topicPrefix}.`)));
  });

  it("finishes once the leftover is gone: 0 leftovers, and the stack and its file are removed", async () => {
    await pg("SELECT pg_drop_replication_slot($1)", [leftover]);
    const left = await ephemeralDestroy(ctx, "local");
    assert.deepEqual(left, []);
    assert.ok(!(await names()).includes("local"));
    assert.equal(fs.existsSync(path.join(ws.dir, "stacks", "Pulumi.local.yaml")), false);
  });

  it("sweeps an ephemeral stack past its TTL and keeps one within it", async () => {
    await ephemeralCreate(ctx, "local", { ttl: "1s", id: sweptId });
    await ephemeralCreate(ctx, "pr-9001", { ttl: "24h" });
    await new Promise((r) => setTimeout(r, 1_500));
    const r = await timed("sweep", () => ephemeralSweep(ctx));
    assert.deepEqual(r, { swept: ["local"], kept: ["pr-9001"], failed: [] });
    assert.deepEqual(await names(), ["pr-9001"]);
  });
});
