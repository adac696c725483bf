import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import type { PlatformConfig } from "../components/platform-config";
import { ensureSecrets, ensureStackFile, openUserEngine, prepareLocal } from "../scripts/stack.d/cli";
import { connectFetch, connectUrlWithCredentials } from "../scripts/stack.d/dataplane-env";
import type { Engine } from "../scripts/stack.d/engine";
import { readDataplaneEnv } from "../scripts/stack.d/local";
import { configOf } from "../scripts/stack.d/local-workers";
import { ROOT } from "./support/dataplane";
import { plannedChanges, stopwatch } from "./support/engine";
import { baselineSpec, unlistedSteps, upFromBaseline } from "./support/engine-baseline";
import { namespaceExists, objectsIn } from "./support/kube";

/**
 * `npm start` and the `local` stack on the real engine and the data plane's real API server, one
 * deployment for both (it used to be two: test/start.test.ts and this file each deployed local):
 *
 * 1. the user's `local` stack (the one npm start deploys) is deployed from the baseline commit's
 *    program (test/support/engine-baseline.json; issue 15: a refactor must be invisible to the
 *    engine), and HEAD's preview of it shows no change;
 * 2. `npm start --demo` (no Docker, non-TTY): its `scripts/stack up local` is HEAD's up, a no-op;
 *    the demo writer's changes reach the store through the worker running the config the stack
 *    rendered (the worker's applied counter on each plain view line);
 * 3. the workloads are in their namespace and the connector RUNNING on the data plane's Connect;
 *    `scripts/stack graph local` draws every resource of the deployed stack and none more;
 * 4. Ctrl-C (SIGINT) stops the processes and leaves the stack deployed; a preview shows no
 *    phantom diff, and field-level diffs when a capture or a connector setting changes;
 * 5. npm stop destroys local with the leftover check finding nothing: the namespace and the
 *    connector are gone.
 *
 * The suite's data plane is reused: start's `dataplane up` is a no-op when it is up, and
 * COEXIST_STOP_KEEP_DATAPLANE=1 keeps npm stop from taking it down for the tests that follow.
 */
describe("npm start and the local stack on the real engine and API server", { timeout: 1_200_000 }, () => {
  const env = readDataplaneEnv();
  const { timings, timed } = stopwatch();
  const stackFile = path.join(ROOT, "stacks", "Pulumi.local.yaml");
  let engine: Engine;
  let stack: Stack;
  let config: PlatformConfig;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let out = "";
  let err = "";
  let stopped = false;
  const t0 = Date.now();

  before(async () => {
    await ensureStackFile("local");
    engine = await openUserEngine("local");
    const { main } = await import("../stacks/program");
    stack = await engine.stack("local", async () => main());
    await ensureSecrets(stack, "local");
    const deployed = ((await stack.exportStack()).deployment as { resources?: unknown[] }).resources ?? [];
    if (deployed.length > 0) {
      // Left by an earlier npm start: the baseline's up must start from nothing to mean anything.
      process.stderr.write(`[engine-local] the local stack holds ${deployed.length} resources from an earlier run: destroying it first\n`);
      await stack.destroy();
    }
    await prepareLocal(stack);
    config = await configOf(stack, "local");
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    if (!stopped) spawnSync(path.join(ROOT, "scripts", "stop"), [], { cwd: ROOT, stdio: "ignore", env: { ...process.env, COEXIST_STOP_KEEP_DATAPLANE: "1" }, timeout: 300_000 });
    process.stderr.write(`[engine-local] timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it("deploys local from the baseline commit; HEAD's preview of that deployment changes and replaces nothing", async () => {
    const { commit } = baselineSpec();
    const baseline = await timed("baseline up", () => upFromBaseline({ dir: engine.workDir, engine }, "local"));
    assert.equal(baseline.result, "succeeded");
    const planned = await timed("preview", () => plannedChanges(stack));
    // Only what stacks/graph/changes.ts lists on purpose (a resource added, an input changed); never a replace or a delete.
    assert.deepEqual(unlistedSteps("local", planned), [], `HEAD would change the local stack deployed from ${commit} beyond the changes listed in stacks/graph/changes.ts`);
    // The listed changes applied now, so that npm start's up below must be a no-op.
    if (planned.size > 0) assert.equal((await timed("up (listed changes)", () => stack.up())).summary.result, "succeeded");
  });

  it("npm start --demo: HEAD's up is a no-op, and >= 100 changes reach the store through the worker the stack rendered", async () => {
    const started = Date.now();
    child = spawn(path.join(ROOT, "scripts", "start"), ["--demo", "50"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    const proc = child;
    exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    const deadline = Date.now() + 480_000;
    let applied = 0;
    while (Date.now() < deadline && child.exitCode === null) {
      const last = [...out.matchAll(/applied_total=(\d+)/g)].at(-1);
      applied = last ? Number(last[1]) : 0;
      if (applied >= 100) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    timings["npm start to 100 changes"] = Date.now() - started;
    assert.equal(child.exitCode, null, `npm start exited early:\n${err.slice(-3000)}`);
    assert.ok(applied >= 100, `only ${applied} changes reached the store in time\n${out.split("\n").slice(-5).join("\n")}\n${err.slice(-3000)}`);
    const [last] = await stack.history(1);
    assert.equal(last?.kind, "update");
    assert.deepEqual(Object.keys(last?.resourceChanges ?? {}), ["same"], `npm start's up (HEAD) changed the stack deployed from the baseline: ${JSON.stringify(last?.resourceChanges)}`);
    // Non-TTY: plain lines, no ANSI; the PostgreSQL password masked.
    assert.doesNotMatch(out, /\x1b\[/);
    assert.match(err, /write to +PostgreSQL +postgres(ql)?:\/\/[^:]+:\*\*\*@/);
    assert.doesNotMatch(err + out, new RegExp(process.env.PGPASSWORD ?? "never-matches-$^"));
    process.stderr.write(`# npm start --demo: ${applied} changes in the store ${((Date.now() - t0) / 1000).toFixed(0)}s after the test started\n`);
  });

  it("has the workloads in their namespace and the connector RUNNING on the data plane's Connect", async () => {
    const namespace = (await stack.outputs()).namespace?.value as string;
    assert.ok(namespace, "the stack exports its namespace");
    const objects = await objectsIn(env, namespace);
    for (const expected of ["deployment.apps/sync", "deployment.apps/kong", "deployment.apps/reconciler", "service/kong", "networkpolicy.networking.k8s.io/default-deny-ingress"]) {
      assert.ok(objects.includes(expected), `${expected} in ${objects.join(", ")}`);
    }
    const status = (await (await connectFetch(`${connectUrlWithCredentials(env)}/connectors/${config.topicPrefix}-postgres-source/status`)).json()) as { connector: { state: string } };
    assert.equal(status.connector.state, "RUNNING");
  });

  it("scripts/stack graph local draws every resource of the deployed stack, none invented", async () => {
    const graph = await timed("graph", async () => spawnSync(path.join(ROOT, "scripts", "stack"), ["graph", "local"], { cwd: ROOT, encoding: "utf8", timeout: 180_000 }));
    assert.equal(graph.status, 0, graph.stderr);
    const exported = (await stack.exportStack()) as { deployment: { resources: { urn: string }[] } };
    const names = exported.deployment.resources.map((r) => r.urn.slice(r.urn.lastIndexOf("::") + 2)).sort();
    const drawn = [...graph.stdout.matchAll(/^\s+r\d+\["([^<]+)<br\/>/gm)].map((m) => m[1]!).sort();
    assert.ok(names.length > 10, `the local stack has ${names.length} resources`);
    assert.deepEqual(drawn, names);
    assert.match(graph.stdout, / --> /, "the deployed graph draws dependencies");
  });

  it("stops the processes on SIGINT and leaves the stack deployed", async () => {
    assert.ok(child, "npm start ran");
    child.kill("SIGINT");
    const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000))]);
    assert.equal(code, 0, `npm start did not stop cleanly on SIGINT: ${code}\n${err.slice(-2000)}`);
    assert.match(err, /the local stack stays deployed/);
  });

  it("shows no change on a second preview (no phantom diff)", async () => {
    const planned = await timed("preview 2", () => plannedChanges(stack));
    assert.deepEqual([...planned.keys()], []);
  });

  it("shows a field-level diff in a real preview when a capture or a connector setting changes", async () => {
    const saved = fs.readFileSync(stackFile);
    const all = await stack.getAllConfig();
    const captures = (JSON.parse(all["coexist:capture"]!.value) as { table: string }[]).filter((c) => c.table !== "public.products");
    const postgres = { ...(JSON.parse(all["coexist:postgres"]!.value) as object), heartbeatIntervalMs: 5000 };
    try {
      await stack.setAllConfig({ "coexist:capture": { value: JSON.stringify(captures) }, "coexist:postgres": { value: JSON.stringify(postgres) } });
      const planned = await timed("preview diff", () => plannedChanges(stack));
      const connector = [...planned.entries()].find(([k]) => k.includes("coexist:Connector"));
      assert.ok(connector, `the connector changes: ${[...planned.keys()].join("; ")}`);
      assert.ok(connector[1].some((p) => p.includes("table.include.list")), `diffs: ${connector[1].join(", ")}`);
      assert.ok(connector[1].some((p) => p.includes("heartbeat.interval.ms")), `diffs: ${connector[1].join(", ")}`);
      const sync = [...planned.entries()].find(([k]) => k.includes("apps/v1:Deployment") && k.endsWith("workers-sync"));
      assert.ok(sync?.[1].some((p) => p.startsWith("spec.template")), `the worker's Deployment rolls with its new config: ${JSON.stringify(sync)}`);
    } finally {
      fs.writeFileSync(stackFile, saved);
    }
  });

  it("npm stop destroys local with 0 leftovers: no namespace, no connector", async () => {
    const namespace = (await stack.outputs()).namespace?.value as string;
    const stop = await timed("npm stop", async () => spawnSync(path.join(ROOT, "scripts", "stop"), [], { cwd: ROOT, encoding: "utf8", env: { ...process.env, COEXIST_STOP_KEEP_DATAPLANE: "1" }, timeout: 300_000 }));
    stopped = true;
    assert.equal(stop.status, 0, `npm stop failed:\n${stop.stderr.slice(-3000)}`);
    assert.match(stop.stderr, /local: 0 leftovers/, stop.stderr.slice(-2000));
    assert.equal(await namespaceExists(env, namespace), false, `namespace ${namespace} still exists: ${(await objectsIn(env, namespace)).join(", ")}`);
    const res = await connectFetch(`${connectUrlWithCredentials(env)}/connectors/${config.topicPrefix}-postgres-source`);
    assert.equal(res.status, 404, "the connector is gone from Connect");
  });
});
