// test-lane: control-plane
import { stackConfig } from "../stacks/stack-files";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import type { Stack } from "@pulumi/pulumi/automation";
import { renderKongConfig } from "../components/kong/render";
import { generateKongCredentials } from "../stacks/kong-credentials";
import { readDataplaneEnv } from "../scripts/stack.d/local";
import { plannedChanges, stopwatch, testWorkspace, TestWorkspace } from "./support/engine";
import { baselineSpec, unlistedSteps, upFromBaseline } from "./support/engine-baseline";
import { namespaceExists, kubectl, objectsIn } from "./support/kube";
import { compareWithTable } from "../components/kubernetes/network-eval";
import { networkInputs } from "../components/kubernetes/network-policies";
import { networkEdges, PolicySpec } from "../components/kubernetes/network-rules";
import { operatorsFor } from "../components/platform";
import { parseConfig } from "../stacks/config";

/**
 * The staging program, every service provisioned through its operator, deployed through the real
 * engine onto the data plane's real API server, with the operators' CRDs generated from their
 * registries (scripts/crds) and applied by the stack: every object is accepted by the API server
 * and by the real CRD schemas. Deployed first by the baseline commit's program
 * (test/support/engine-baseline.json, issue 15: a refactor must be invisible to the engine), then
 * HEAD's preview shows no change and HEAD's up changes nothing. A second staging stack (own state
 * and namespace, the same CRDs) then goes up beside it on the same cluster: it changes nothing of
 * the first's, and destroying the first leaves the second whole (this was
 * test/engine-two-stacks.test.ts, which deployed two more staging stacks of its own).
 *
 * What this test cannot show: the operators' images cannot run here (no container runtime, no
 * registry), so their Helm charts are not installed (coexist:kubernetes.operators skip) and the
 * readiness of what an operator would bring up (Kafka, Connect, the connector, the database
 * clusters) is not awaited (awaitOperators false). The stack's own workloads run on kwok nodes.
 * Protection is off so the test can destroy what it made; the mock test holds staging's protection.
 * The proxy's Service is a ClusterIP: no cloud load balancer exists here to give one an address.
 */
describe("the staging program on the real engine and API server", () => {
  const env = readDataplaneEnv();
  const id = randomBytes(3).toString("hex");
  const namespace = `coexist-st-${id}`;
  const namespaceB = `coexist-sb-${id}`;
  const file = stackConfig("staging");
  const plainIn = (ns: string): Record<string, unknown> => ({
    ...file,
    "coexist:protect": false,
    // No cloud load balancer answers here: a LoadBalancer Service would wait for an address forever.
    "coexist:kubernetes": { ...(file["coexist:kubernetes"] as object), namespace: ns, operators: "skip", crds: "apply", awaitOperators: false, publicServiceType: "ClusterIP" },
  });
  const plain = plainIn(namespace);
  const secrets = {
    "coexist:debeziumPassword": randomBytes(18).toString("base64url"),
    "coexist:mongodbPassword": randomBytes(18).toString("base64url"),
    "coexist:kongCredentials": JSON.stringify(generateKongCredentials(renderKongConfig("staging").secretVariables)),
  };
  const { timings, timed } = stopwatch();
  let ws: TestWorkspace;
  let stack: Stack;
  let wsB: TestWorkspace;
  let stackB: Stack;
  const configure = (s: Stack, config: Record<string, unknown>) =>
    s.setAllConfig({
      ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: typeof v === "string" ? v : JSON.stringify(v) }])),
      ...Object.fromEntries(Object.entries(secrets).map(([k, v]) => [k, { value: v, secret: true }])),
    });

  before(async () => {
    const { main } = await import("../stacks/program");
    ws = await testWorkspace({ KUBECONFIG: env.KUBECONFIG }, { kubernetes: true });
    stack = await ws.stack("staging", async () => main());
    await configure(stack, plain);
    wsB = await testWorkspace({ KUBECONFIG: env.KUBECONFIG }, { kubernetes: true });
    stackB = await wsB.stack("staging", async () => main());
    await configure(stackB, plainIn(namespaceB));
  });

  after(async () => {
    await stack?.destroy().catch(() => undefined);
    await stackB?.destroy().catch(() => undefined);
    ws?.dispose();
    wsB?.dispose();
    process.stderr.write(`[engine-staging] timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it("deploys staging from the baseline commit; HEAD's preview of that deployment changes and replaces nothing", async () => {
    const { commit } = baselineSpec();
    const baseline = await upFromBaseline(ws, "staging");
    timings["baseline up"] = baseline.ms;
    assert.equal(baseline.result, "succeeded");
    const t = Date.now();
    const planned = await plannedChanges(stack);
    timings["baseline preview"] = Date.now() - t;
    // Only what stacks/graph/changes.ts lists on purpose (a resource added, an input changed); never a replace or a delete.
    assert.deepEqual(unlistedSteps("staging", planned), [], `HEAD would change the staging stack deployed from ${commit} beyond the changes listed in stacks/graph/changes.ts`);
  });

  it("deploys staging: HEAD's up applies only the listed changes, every object accepted by the API server and the operators' CRD schemas", async () => {
    const t = Date.now();
    const up = await stack.up();
    timings.up = Date.now() - t;
    assert.equal(up.summary.result, "succeeded");
    // Beyond "same", only the creates and updates the preview above found listed in stacks/graph/changes.ts.
    assert.deepEqual(Object.keys(up.summary.resourceChanges ?? {}).filter((op) => !["same", "create", "update"].includes(op)), [], `HEAD's up replaced or deleted: ${JSON.stringify(up.summary.resourceChanges)}`);
    const objects = await objectsIn(env, namespace);
    for (const expected of [
      "kafka.kafka.strimzi.io/kafka", "kafkanodepool.kafka.strimzi.io/dual-role", "kafkaconnect.kafka.strimzi.io/connect",
      "kafkaconnector.kafka.strimzi.io/coexist-postgres-source", "kafkatopic.kafka.strimzi.io/coexist.public.orders",
      "cluster.postgresql.cnpg.io/postgres", "publication.postgresql.cnpg.io/coexist-staging", "mongodbcommunity.mongodbcommunity.mongodb.com/mongodb",
      "deployment.apps/sync", "deployment.apps/kong", "deployment.apps/reconciler", "job.batch/cdc-setup", "job.batch/mongodb-init",
      "poddisruptionbudget.policy/sync", "networkpolicy.networking.k8s.io/allow-postgres-ingress",
    ]) {
      assert.ok(objects.includes(expected), `${expected} missing from ${namespace}: ${objects.join(", ")}`);
    }
  });

  it("has NetworkPolicies that, read back from the API server, admit exactly the who-may-reach-what table", async () => {
    const got = await kubectl(env, ["get", "networkpolicies", "-n", namespace, "-o", "json"]);
    assert.equal(got.code, 0, got.stderr);
    const items = (JSON.parse(got.stdout) as { items: { metadata: { name: string }; spec: PolicySpec }[] }).items;
    const names = items.map((i) => i.metadata.name).sort();
    assert.ok(names.includes("default-deny-ingress") && names.includes("default-deny-egress"), names.join(", "));
    const raw = Object.fromEntries(Object.entries({ ...plain, ...secrets }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    const config = parseConfig(raw, "staging", Object.keys(secrets));
    const edges = networkEdges(networkInputs(config, operatorsFor(config), renderKongConfig("staging").config.services.map((svc) => svc.url)));
    const seed = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);
    let x = seed;
    const rand = () => ((x = (Math.imul(x ^ (x >>> 15), 2654435761) + 0x9e3779b9) >>> 0) / 4294967296);
    const r = compareWithTable(items.map((i) => ({ namespace, spec: i.spec })), edges, namespace, rand);
    assert.deepEqual(r.mismatches.slice(0, 5), [], `seed ${seed}`);
    process.stdout.write(`# ${items.length} policies read back from the API server: ${r.checked} connections checked, ${r.admitted} admitted, ${edges.length} edges (seed ${seed})\n`);
  });

  it("deploys a second staging stack beside it (own state and namespace, the same CRDs): the first shows no change afterwards", async () => {
    assert.equal((await timed("up b", () => stackB.up())).summary.result, "succeeded");
    const [a, b] = await Promise.all([namespace, namespaceB].map((n) => objectsIn(env, n)));
    for (const objects of [a!, b!]) assert.ok(objects.includes("deployment.apps/sync") && objects.includes("kafka.kafka.strimzi.io/kafka"), objects.join(", "));
    assert.equal(a!.length, b!.length, "the same objects in each namespace");
    // Also the first stack's second preview: no phantom diff.
    assert.deepEqual(Object.fromEntries(await timed("preview", () => plannedChanges(stack))), {});
  });

  it("has a KafkaConnector with a misspelled field rejected by the real API server, its message surfaced", async () => {
    const bad = await ws.stack("invalid", async () => {
      const provider = new k8s.Provider("p", { enableServerSideApply: true });
      new k8s.apiextensions.CustomResource("bad-connector", {
        apiVersion: "kafka.strimzi.io/v1",
        kind: "KafkaConnector",
        metadata: { name: "misspelled", namespace, labels: { "strimzi.io/cluster": "connect" } },
        spec: { clas: "io.debezium.connector.postgresql.PostgresConnector", tasksMax: 1 },
      }, { provider });
      return {};
    });
    await bad.setConfig("coexist:target", { value: "kubernetes" });
    const failure = await bad.up().then(() => undefined, (e: Error) => e.message);
    assert.ok(failure, "up of an invalid object must fail");
    assert.match(failure, /unknown field "spec\.clas"|spec\.clas|field not declared in schema/);
    await bad.destroy().catch(() => undefined);
  });

  it("destroys the first: nothing left in its namespace, the namespace removed, the second whole with nothing to change", async () => {
    const before = await objectsIn(env, namespaceB);
    const destroy = await timed("destroy", () => stack.destroy());
    assert.equal(destroy.summary.result, "succeeded");
    assert.equal(await namespaceExists(env, namespace), false, `namespace ${namespace} still holds ${(await objectsIn(env, namespace)).join(", ")}`);
    assert.deepEqual(await objectsIn(env, namespaceB), before);
    assert.deepEqual(Object.fromEntries(await timed("preview b", () => plannedChanges(stackB))), {});
  });

  it("destroys the second: its namespace removed", async () => {
    assert.equal((await timed("destroy b", () => stackB.destroy())).summary.result, "succeeded");
    assert.equal(await namespaceExists(env, namespaceB), false, `namespace ${namespaceB} still holds ${(await objectsIn(env, namespaceB)).join(", ")}`);
  });
});
