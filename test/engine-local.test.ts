import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import { Client } from "pg";
import { renderKongConfig } from "../components/kong/render";
import { parseConfig } from "../stacks/config";
import { generateKongCredentials } from "../stacks/kong-credentials";
import { localStackConfig, prepareExistingSources, readDataplaneEnv, removeExistingSources } from "../scripts/stack.d/local";
import { eventually, freePort, kafkaSasl, loadDataplaneEnv, newMongo } from "./support/dataplane";
import { plannedChanges, testWorkspace, TestWorkspace, stopwatch } from "./support/engine";
import { baselineSpec, upFromBaseline } from "./support/engine-baseline";
import { namespaceExists, objectsIn } from "./support/kube";
import { STORE_ENV } from "./support/pipeline";
import { WorkerProcess } from "./support/worker-process";
import { connectFetch, connectUrlWithCredentials } from "../scripts/stack.d/dataplane-env";

/**
 * The `local` stack through the real engine onto the data plane's real API server: the
 * Kubernetes target with the data plane's PostgreSQL, Kafka, Connect and store as external
 * services. Deployed first by the baseline commit's program (test/support/engine-baseline.json,
 * issue 15: a refactor must be invisible to the engine), then HEAD's preview shows no change and
 * HEAD's up changes nothing; then a canary row from PostgreSQL to the store through the connector and the worker
 * the stack rendered, a second preview with no change, field-level diffs in a real preview,
 * and a destroy that leaves nothing in (and removes) the stack's namespace.
 */
describe("the local stack on the real engine and API server", () => {
  const env = readDataplaneEnv();
  const id = `it-${randomBytes(3).toString("hex")}`;
  const base = localStackConfig(env, id);
  const namespace = `coexist-${id}`;
  const reconcilerPassword = randomBytes(18).toString("base64url");
  const secrets = { "coexist:reconcilerPassword": reconcilerPassword, "coexist:mongodbUrl": env.MONGODB_URL, "coexist:connectPassword": env.CONNECT_PASSWORD, "coexist:kongCredentials": JSON.stringify(generateKongCredentials(renderKongConfig("local").secretVariables)) };
  const config = parseConfig(Object.fromEntries([...Object.entries(base), ...Object.entries(secrets)].map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])), "local", Object.keys(secrets));
  const { timings, timed } = stopwatch();
  let ws: TestWorkspace;
  let stack: Stack;
  let worker: WorkerProcess | undefined;

  const setConfig = async (overrides: Record<string, unknown> = {}) => {
    const plain = { ...base, ...overrides };
    await stack.setAllConfig({
      ...Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, { value: typeof v === "string" ? v : JSON.stringify(v) }])),
      ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { value: v, secret: true }])),
    });
  };
  before(async () => {
    ws = await testWorkspace({ KUBECONFIG: env.KUBECONFIG }, { kubernetes: true });
    const { main } = await import("../stacks/program");
    stack = await ws.stack("local", async () => main());
    await setConfig();
    await prepareExistingSources(env, config, reconcilerPassword);
  });

  after(async () => {
    await worker?.stop("SIGTERM").catch(() => undefined);
    await stack?.destroy().catch(() => undefined);
    await removeExistingSources(env, config).catch(() => undefined);
    const mongo = await newMongo({ MONGODB_URL: env.MONGODB_URL } as never).catch(() => undefined);
    await mongo?.db(config.mongodb.database).dropDatabase().catch(() => undefined);
    await mongo?.close();
    ws?.dispose();
    process.stderr.write(`[engine-local] timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it("deploys from the baseline commit; HEAD's preview of that deployment changes and replaces nothing", async () => {
    const { commit } = baselineSpec();
    const baseline = await timed("baseline up", () => upFromBaseline(ws, "local"));
    assert.equal(baseline.result, "succeeded");
    const planned = await timed("preview", () => plannedChanges(stack));
    assert.deepEqual(Object.fromEntries(planned), {}, `HEAD would change the local stack deployed from ${commit}: ${[...planned].map(([k, v]) => `${k} [${v.join(", ")}]`).join("; ")}`);
  });

  it("deploys: HEAD's up is a no-op, with the workloads in their namespace and the connector RUNNING on the data plane's Connect", async () => {
    const up = await timed("up", () => stack.up());
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(Object.keys(up.summary.resourceChanges ?? {}), ["same"], `HEAD's up changed the stack: ${JSON.stringify(up.summary.resourceChanges)}`);
    const objects = await objectsIn(env, namespace);
    for (const expected of ["deployment.apps/sync", "deployment.apps/kong", "deployment.apps/reconciler", "service/kong", "networkpolicy.networking.k8s.io/default-deny-ingress"]) {
      assert.ok(objects.includes(expected), `${expected} in ${objects.join(", ")}`);
    }
    const status = (await (await connectFetch(`${connectUrlWithCredentials(env)}/connectors/${config.topicPrefix}-postgres-source/status`)).json()) as { connector: { state: string } };
    assert.equal(status.connector.state, "RUNNING");
  });

  it("carries a canary row from PostgreSQL to the read model, through the worker running the config the stack rendered", async () => {
    const rendered = (await stack.outputs()).workerConfig?.value as { metrics: { port: number } };
    assert.ok(rendered, "the stack exports the worker's config");
    const port = await freePort();
    worker = WorkerProcess.spawn("workers/src/sync/main.ts", [], {
      COEXIST_CONFIG: JSON.stringify({ ...rendered, metrics: { ...rendered.metrics, port } }),
      MONGODB_URL: env.MONGODB_URL,
      // The stack renders the worker's SCRAM user; its password comes from the environment, as on a cluster.
      KAFKA_SASL_PASSWORD: kafkaSasl(loadDataplaneEnv(), "worker").password,
      COEXIST_METRICS_HOST: "127.0.0.1",
      ...STORE_ENV,
    }, path.join(os.tmpdir(), `coexist-${id}-worker.log`));
    const canary = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    const pg = new Client({ connectionString: env.POSTGRES_URL });
    await pg.connect();
    try {
      await pg.query("INSERT INTO public.orders (order_id, customer_id, status, total, items) VALUES ($1, 1, 'canary', 12.5, '[]')", [canary]);
    } finally {
      await pg.end();
    }
    const mongo = await newMongo({ MONGODB_URL: env.MONGODB_URL } as never);
    try {
      const doc = await timed("canary", () => eventually(`order ${canary} in ${config.mongodb.database}.orders`, async () => {
        if (worker!.exitCode !== null) throw new Error(`worker exited: ${worker!.tail()}`);
        return (await mongo.db(config.mongodb.database).collection("orders").findOne({ _id: canary as never })) ?? undefined;
      }, 120_000));
      assert.equal(doc.status, "canary");
    } finally {
      await mongo.close();
    }
  });

  it("shows no change on a second preview (no phantom diff)", async () => {
    const planned = await timed("preview 2", () => plannedChanges(stack));
    assert.deepEqual([...planned.keys()], []);
  });

  it("shows a field-level diff in a real preview when a capture or a connector setting changes", async () => {
    const captures = (base["coexist:capture"] as { table: string }[]).filter((c) => c.table !== "public.products");
    await setConfig({ "coexist:capture": captures, "coexist:postgres": { ...(base["coexist:postgres"] as object), heartbeatIntervalMs: 5000 } });
    try {
      const planned = await plannedChanges(stack);
      const connector = [...planned.entries()].find(([k]) => k.includes("coexist:Connector"));
      assert.ok(connector, `the connector changes: ${[...planned.keys()].join("; ")}`);
      assert.ok(connector[1].some((p) => p.includes("table.include.list")), `diffs: ${connector[1].join(", ")}`);
      assert.ok(connector[1].some((p) => p.includes("heartbeat.interval.ms")), `diffs: ${connector[1].join(", ")}`);
      const sync = [...planned.entries()].find(([k]) => k.includes("apps/v1:Deployment") && k.endsWith("workers-sync"));
      assert.ok(sync?.[1].some((p) => p.startsWith("spec.template")), `the worker's Deployment rolls with its new config: ${JSON.stringify(sync)}`);
    } finally {
      await setConfig();
    }
  });

  it("destroys everything: no object left in the namespace, and the namespace removed", async () => {
    await worker?.stop("SIGTERM");
    worker = undefined;
    const destroy = await timed("destroy", () => stack.destroy());
    assert.equal(destroy.summary.result, "succeeded");
    assert.equal(await namespaceExists(env, namespace), false, `namespace ${namespace} still exists: ${(await objectsIn(env, namespace)).join(", ")}`);
    const res = await connectFetch(`${connectUrlWithCredentials(env)}/connectors/${config.topicPrefix}-postgres-source`);
    assert.equal(res.status, 404, "the connector is gone from Connect");
  });
});
