// test-lane: control-plane
/**
 * The Strimzi offset reset (issue 14 §1.6) for real: the StrimziConnectorOffsets provider, loaded
 * as the engine loads it (serialised, then required from the project root), against the data
 * plane's kube-apiserver with the KafkaConnector CRD generated from Strimzi 1.2.0's API, and the
 * data plane's PostgreSQL for the replication slot. kwok runs no operator, so a fake reconcile
 * loop in this file plays Strimzi's part: it watches the KafkaConnector, reports STOPPED for
 * `spec.state: stopped` (and then lets go of the slot, as Connect's task does), and on
 * `strimzi.io/connector-offsets=reset` with the connector stopped resets and removes the
 * annotation; on a running connector it keeps the annotation with a Warning, as Strimzi does.
 * Where PostgreSQL is reachable only in the cluster, the provider runs a probe pod instead
 * (slot-probe-pod.ts); kwok runs no container, so a fake kubelet here runs the pod's own command
 * (workers/src/slot/wait-main.ts, with the env the pod declares, its Secret read from the API
 * server) against the data plane's PostgreSQL, and writes its exit and termination message into the
 * pod's status as a kubelet does.
 * Fails, not skips, when the control plane is not up.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { Capture } from "../components/capture";
import { renderConnectorConfig } from "../components/connect/connector-config";
import { renderKafkaConnectorSpec } from "../components/connect/strimzi";
import { KubeCredentials, kubeRequest, loadKubeCredentials } from "../components/connect/strimzi-client";
import { connectorIdentity, KafkaConnectorObject, OFFSETS_ANNOTATION } from "../components/connect/strimzi-offsets";
import type { OffsetsInputs, OffsetsOutputs } from "../components/connect/strimzi-offsets-provider";
import { slotProbeLabels } from "../components/connect/slot-probe-pod";
import { STRIMZI_API } from "../components/kafka/strimzi-api";
import { pg } from "../workers/src/testing/deps.js";
import { eventually, loadDataplaneEnv, newPool, ROOT, type DataplaneEnv } from "./support/dataplane";
import { kubectl, kubectlOk, loadKubeEnv, uniqueNamespace, type KubeEnv } from "./support/kubernetes";
import { SlotHolder, slotRow } from "./support/slots";
import { plannedChanges, testWorkspace, type TestWorkspace } from "./support/engine";
import type { Stack } from "@pulumi/pulumi/automation";

const run = randomBytes(3).toString("hex");
const name = `coexist-offsets-${run}`;
const slot = `coexist_offsets_${run}`;
const publication = `coexist_offsets_${run}`;
const CRD = "kafkaconnectors.kafka.strimzi.io";
const captures: Capture[] = [{ table: "public.orders", collection: "orders", key: "id", transform: "identity" }];

const config = (epoch: number, heartbeatMs = 10_000) => ({
  name,
  ...renderConnectorConfig({
    name,
    topicPrefix: `offsets${run}`,
    database: { host: "postgres-rw", port: 5432, dbname: "coexist", user: "debezium" },
    passwordRef: "${secrets:ns/connect-postgres:password}",
    slotName: slot,
    publicationName: publication,
    heartbeat: { table: "coexist.heartbeat", intervalMs: heartbeatMs },
    captures,
    epoch,
  }),
});

let kube: KubeEnv;
let env: DataplaneEnv;
let creds: KubeCredentials;
let pool: InstanceType<typeof pg.Pool>;
let namespace: string;
let createdCrd = false;
let provider: pulumi.dynamic.ResourceProvider;
let operator: FakeStrimzi;

/** What the serialised provider is given, as the stack gives it. */
function inputs(epoch: number, extra: Partial<OffsetsInputs> = {}): OffsetsInputs {
  return {
    namespace, connector: name, identity: connectorIdentity(config(epoch)), awaitOperators: true, slotName: slot,
    slotProbeUrl: env.POSTGRES_URL, offsetResetTimeoutMs: 60_000, slotReleaseTimeoutMs: 30_000, ...extra,
  };
}
const outs = (i: OffsetsInputs): OffsetsOutputs => ({ ...i, outcome: "created" });

async function applyConnector(epoch: number): Promise<void> {
  const cr = {
    apiVersion: STRIMZI_API, kind: "KafkaConnector",
    metadata: { name, namespace, labels: { "strimzi.io/cluster": "connect" } },
    spec: renderKafkaConnectorSpec(config(epoch)),
  };
  await kubectlOk(kube, ["apply", "--server-side", "--force-conflicts", "--field-manager=pulumi-kubernetes", "-f", "-"], JSON.stringify(cr));
}

async function getConnector(): Promise<KafkaConnectorObject & { metadata: { resourceVersion: string } }> {
  return JSON.parse(await kubectlOk(kube, ["get", "kafkaconnector", name, "-n", namespace, "-o", "json"])) as KafkaConnectorObject & { metadata: { resourceVersion: string } };
}

/**
 * Strimzi's part, in miniature: a watch on the namespace's KafkaConnectors and a reconcile of each
 * event. `stops` and `resets` turn each answer off, to see the provider time out.
 */
class FakeStrimzi {
  readonly log: string[] = [];
  stops = true;
  resets = true;
  /** Also log KafkaConnectors created and deleted (the engine test's replacement). */
  lifecycle = false;
  /** Called once the connector is reported STOPPED (Connect's task shutting down). */
  onStopped: () => void = () => undefined;
  private request: import("node:http").ClientRequest | undefined;
  private closed = false;
  private queue = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly creds: KubeCredentials, private readonly ns: string) {}

  start(): void {
    const https = require("node:https") as typeof import("node:https");
    const url = new URL(`${this.creds.server}/apis/${STRIMZI_API}/namespaces/${this.ns}/kafkaconnectors?watch=1`);
    let buffer = "";
    this.request = https.get(url, { ca: this.creds.ca, cert: this.creds.cert, key: this.creds.key, headers: this.creds.token ? { authorization: `Bearer ${this.creds.token}` } : {} }, (res) => {
      res.setEncoding("utf8").on("data", (d: string) => {
        buffer += d;
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          const event = JSON.parse(line) as { type: string; object: KafkaConnectorObject };
          if (this.lifecycle && event.type === "ADDED") this.log.push("created");
          if (this.lifecycle && event.type === "DELETED") this.log.push("deleted");
          if (event.type === "ADDED" || event.type === "MODIFIED") this.queue = this.queue.then(() => this.reconcileLatest(event.object.metadata.name)).catch((e) => void this.log.push(`error: ${(e as Error).message}`));
        }
      });
    });
    this.request.on("error", (e) => { if (!this.closed) this.log.push(`watch error: ${e.message}`); });
    // Strimzi also reconciles every resource periodically, not only on events.
    this.timer = setInterval(() => {
      this.queue = this.queue.then(async () => {
        const res = await kubeRequest(this.creds, "GET", `/apis/${STRIMZI_API}/namespaces/${this.ns}/kafkaconnectors`);
        if (res.status !== 200) return;
        for (const cr of (JSON.parse(res.body) as { items: KafkaConnectorObject[] }).items) await this.reconcileLatest(cr.metadata.name);
      }).catch((e) => void this.log.push(`error: ${(e as Error).message}`));
    }, 1_000);
  }

  stop(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.request?.destroy();
  }

  private async patch(connector: string, sub: string, body: unknown): Promise<void> {
    const res = await kubeRequest(this.creds, "PATCH", `/apis/${STRIMZI_API}/namespaces/${this.ns}/kafkaconnectors/${connector}${sub}`, body, "application/merge-patch+json");
    if (res.status === 404) return; // deleted meanwhile
    if (res.status !== 200) throw new Error(`fake operator PATCH${sub}: HTTP ${res.status}: ${res.body}`);
  }

  /** As Strimzi does, each reconciliation reads the resource as it is now, not as an event showed it. */
  private async reconcileLatest(connector: string): Promise<void> {
    const res = await kubeRequest(this.creds, "GET", `/apis/${STRIMZI_API}/namespaces/${this.ns}/kafkaconnectors/${connector}`);
    if (res.status === 200) await this.reconcile(JSON.parse(res.body) as KafkaConnectorObject);
  }

  private async reconcile(cr: KafkaConnectorObject): Promise<void> {
    // Being deleted (setting deletionTimestamp bumps the generation): nothing to reconcile, as for Strimzi.
    if ((cr.metadata as { deletionTimestamp?: string }).deletionTimestamp) return;
    const desired = cr.spec?.state ?? "running";
    const generation = cr.metadata.generation ?? 0;
    const reported = cr.status?.connectorStatus?.connector?.state;
    if (cr.status?.observedGeneration !== generation && (desired === "running" || this.stops)) {
      const stopped = desired === "stopped";
      await this.patch(cr.metadata.name, "/status", {
        status: {
          observedGeneration: generation,
          connectorStatus: { name: cr.metadata.name, type: "source", connector: { state: stopped ? "STOPPED" : "RUNNING", worker_id: "fake:8083" }, tasks: stopped ? [] : [{ id: 0, state: "RUNNING", worker_id: "fake:8083" }] },
          conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date().toISOString() }],
        },
      });
      if (stopped) {
        this.log.push("stopped");
        this.onStopped();
      }
      return;
    }
    if (cr.metadata.annotations?.[OFFSETS_ANNOTATION] === "reset") {
      if (!this.log.includes("annotation seen")) this.log.push("annotation seen");
      if (!this.resets) return;
      if (desired === "stopped" && reported === "STOPPED") {
        this.log.push("reset");
        await this.patch(cr.metadata.name, "", { metadata: { annotations: { [OFFSETS_ANNOTATION]: null } } });
      } else {
        await this.patch(cr.metadata.name, "/status", { status: { conditions: [{ type: "Warning", status: "True", reason: "ResetOffsets", message: "Failed to reset the connector offsets due to connector not stopped", lastTransitionTime: new Date().toISOString() }] } });
      }
    }
  }
}

/** The provider as the engine runs it: serialised by Pulumi with its closure, required back from the project root. */
async function serialisedOffsetsProvider(): Promise<pulumi.dynamic.ResourceProvider> {
  const pulumiSdk = await import("@pulumi/pulumi");
  const { installMocks, settle } = await import("../components/testing/mocks");
  const mocks = installMocks("it", {});
  const { DebeziumConnector } = await import("../components/connect/connector");
  const target = { kind: "kubernetes", namespace: pulumiSdk.output("ns"), namespaceName: "ns", labels: {}, awaitOperators: true };
  await mocks.runProgram(() => new DebeziumConnector("probe", {
    connect: { kind: "strimzi", target, cluster: "connect", passwordRef: "x", ready: [] } as never,
    config: { name: "probe", "connector.class": "io.debezium.connector.postgresql.PostgresConnector", "slot.name": "probe" },
  }));
  await settle();
  const text = String(mocks.one("pulumi-nodejs:dynamic/coexist:StrimziConnectorOffsets").inputs.__provider);
  if (process.cwd() !== ROOT) throw new Error(`run the tests from ${ROOT}: the engine loads the provider from the project root`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const requireFromString = require("require-from-string") as (code: string) => { handler: unknown };
  const handler = requireFromString(text).handler;
  return (typeof handler === "function" ? handler() : handler) as pulumi.dynamic.ResourceProvider;
}

/** A slot held as the Connect task holds it, released some time after the connector is reported stopped. */
async function holdSlot(releaseAfterMs: number): Promise<{ holder: SlotHolder; released: Promise<number> }> {
  const holder = await SlotHolder.start(env, pool, slot, publication);
  let resolve!: (t: number) => void;
  const released = new Promise<number>((r) => (resolve = r));
  operator.onStopped = () => {
    operator.onStopped = () => undefined;
    setTimeout(() => void holder.release().then(() => {
      operator.log.push("slot released");
      resolve(Date.now());
    }), releaseAfterMs);
  };
  return { holder, released };
}

before(async () => {
  kube = loadKubeEnv();
  env = loadDataplaneEnv();
  // The provider resolves the kubeconfig as the stack's Kubernetes provider does: from $KUBECONFIG.
  process.env.KUBECONFIG = kube.KUBECONFIG;
  creds = loadKubeCredentials(undefined);
  if ((await kubectl(kube, ["get", "crd", CRD])).code !== 0) {
    const line = execFileSync(join(ROOT, "scripts", "crds"), ["ensure", "strimzi"], { encoding: "utf8" }).trim().split("\n").pop() ?? "";
    const dir = line.split(" ")[1];
    await kubectlOk(kube, ["create", "-f", join(dir ?? "", "047-Crd-kafkaconnector.yaml")]);
    createdCrd = true;
    await kubectlOk(kube, ["wait", "--for=condition=Established", `crd/${CRD}`, "--timeout=60s"]);
  }
  namespace = uniqueNamespace("offsets");
  await kubectlOk(kube, ["create", "namespace", namespace]);
  pool = newPool(env);
  await pool.query(`CREATE PUBLICATION ${publication}`);
  await pool.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
  provider = await serialisedOffsetsProvider();
  operator = new FakeStrimzi(creds, namespace);
  operator.start();
});

after(async () => {
  operator?.stop();
  if (namespace) await kubectl(kube, ["delete", "namespace", namespace, "--wait=false"]);
  if (createdCrd) await kubectl(kube, ["delete", "crd", CRD, "--wait=false"]);
  if (pool) {
    await pool.query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active", [slot]).catch(() => undefined);
    await eventually(`slot ${slot} inactive`, async () => ((await slotRow(pool, slot))?.active ? undefined : true), 10_000).catch(() => undefined);
    await pool.query("SELECT pg_drop_replication_slot($1) WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", [slot]).catch(() => undefined);
    await pool.query(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => undefined);
    await pool.end();
  }
});

describe("the Strimzi offset reset on a real API server (issue 14 §1.6)", () => {
  it("on a stack's first up there is no KafkaConnector yet, and nothing is asked", async () => {
    const created = await provider.create!(inputs(1));
    assert.match((created.outs as OffsetsOutputs).outcome, /^nothing to reset: no KafkaConnector yet/);
  });

  it("a generation bump stops the connector, waits for its slot, has the operator reset the offsets, and leaves it stopped for its replacement", async () => {
    await applyConnector(1);
    await eventually("the fake operator reports the connector RUNNING", async () => ((await getConnector()).status?.connectorStatus?.connector?.state === "RUNNING" ? true : undefined), 30_000);
    const { released } = await holdSlot(1_500);
    const up = await provider.update!(`${namespace}/${name}`, outs(inputs(1)), inputs(2));
    assert.match((up.outs as OffsetsOutputs).outcome, /^reset \(transforms\.epoch\.static\.value changed\): stopped, offsets reset by the operator/);
    await released;
    assert.deepEqual(operator.log, ["stopped", "slot released", "annotation seen", "reset"], "Strimzi's order, and no reset while the task may still commit");
    const cr = await getConnector();
    assert.equal(cr.spec?.state, "stopped", "running again is the replacement KafkaConnector's own spec");
    assert.equal(cr.metadata.annotations?.[OFFSETS_ANNOTATION], undefined);
    assert.equal((await slotRow(pool, slot))?.active, false);
  });

  it("a slot still held after the stop fails the reset by its bound, naming the backend, before any annotation", async () => {
    await applyConnector(2);
    await eventually("RUNNING again", async () => ((await getConnector()).status?.connectorStatus?.connector?.state === "RUNNING" ? true : undefined), 30_000);
    const holder = await SlotHolder.start(env, pool, slot, publication);
    try {
      const pid = (await slotRow(pool, slot))?.active_pid;
      await assert.rejects(
        provider.update!(`${namespace}/${name}`, outs(inputs(2)), inputs(3, { slotReleaseTimeoutMs: 2_000 })),
        new RegExp(`KafkaConnector ${namespace}/${name} was stopped for its offset reset, but replication slot "${slot}" is still active \\(held by backend pid ${pid}\\) after 2s, so its offsets were not reset`),
      );
      assert.equal((await getConnector()).metadata.annotations?.[OFFSETS_ANNOTATION], undefined, "no reset while the slot is held");
    } finally {
      await holder.release();
    }
  });

  it("the same generation with another setting asks nothing of the operator", async () => {
    const before = (await getConnector()).metadata.resourceVersion;
    const log = operator.log.length;
    await provider.update!(`${namespace}/${name}`, outs(inputs(2)), inputs(2, { identity: connectorIdentity(config(2, 5_000)), offsetResetTimeoutMs: 90_000 }));
    assert.equal((await getConnector()).metadata.resourceVersion, before);
    assert.equal(operator.log.length, log);
  });

  it("fails with a timeout naming the step and the status when no operator stops the connector", async () => {
    await applyConnector(2); // running again, as the replacement declares it
    await eventually("RUNNING again", async () => ((await getConnector()).status?.connectorStatus?.connector?.state === "RUNNING" ? true : undefined), 30_000);
    operator.stops = false;
    try {
      await assert.rejects(
        provider.update!(`${namespace}/${name}`, outs(inputs(2)), inputs(3, { offsetResetTimeoutMs: 3_000 })),
        new RegExp(`KafkaConnector ${namespace}/${name}: not STOPPED 3s after spec.state was set to stopped \\(spec.state stopped, generation \\d+ observed \\d+, connector RUNNING, 1 task\\(s\\)\\); its offsets were not reset; fix: check that the Strimzi cluster operator runs`),
      );
      assert.equal((await getConnector()).metadata.annotations?.[OFFSETS_ANNOTATION], undefined, "never annotated while running");
    } finally {
      operator.stops = true;
    }
  });

  it("fails with a timeout naming the annotation when the operator stops the connector but never resets", async () => {
    operator.resets = false;
    try {
      await assert.rejects(
        provider.update!(`${namespace}/${name}`, outs(inputs(2)), inputs(3, { offsetResetTimeoutMs: 4_000 })),
        /the operator did not remove strimzi\.io\/connector-offsets=reset within 4s, so its offsets are not known to be reset \(spec\.state stopped, .*connector STOPPED, 0 task\(s\), strimzi\.io\/connector-offsets=reset\); the connector stays stopped/,
      );
    } finally {
      operator.resets = true;
    }
    // A retry (the next `up`) finishes the job.
    const retried = await provider.update!(`${namespace}/${name}`, outs(inputs(2)), inputs(3));
    assert.match((retried.outs as OffsetsOutputs).outcome, /^reset/);
    assert.equal((await getConnector()).metadata.annotations?.[OFFSETS_ANNOTATION], undefined);
  });

  it("delete returns only once the slot is released, and fails naming the backend when it is not", async () => {
    const holder = await SlotHolder.start(env, pool, slot, publication);
    const pid = (await slotRow(pool, slot))?.active_pid;
    await assert.rejects(provider.delete!(`${namespace}/${name}`, outs(inputs(3, { slotReleaseTimeoutMs: 2_000 }))), new RegExp(`replication slot "${slot}" is still active \\(held by backend pid ${pid}\\) after 2s`));
    const releaseAt = Date.now() + 1_500;
    setTimeout(() => void holder.release(), 1_500);
    await provider.delete!(`${namespace}/${name}`, outs(inputs(3)));
    assert.ok(Date.now() >= releaseAt, "delete waited for the release");
    assert.equal((await slotRow(pool, slot))?.active, false);
  });
});

/**
 * A kubelet for the probe pods only: kwok makes them Running and runs nothing, so this runs the
 * container's command (the probe's source through tsx) with the env the pod declares, secretKeyRefs
 * read from the API server, and reports its exit and termination message in the pod's status.
 */
class ProbeKubelet {
  readonly ran: { pod: string; exitCode: number; message: string; ownerOfSecret: string | undefined; spec: Record<string, any> }[] = [];
  /** Called as a probe's command starts. */
  onStart: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = new Set<string>();

  constructor(private readonly creds: KubeCredentials, private readonly ns: string) {}

  start(): void {
    this.timer = setInterval(() => void this.tick().catch(() => undefined), 250);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const selector = encodeURIComponent("app.kubernetes.io/name=slot-probe");
    const res = await kubeRequest(this.creds, "GET", `/api/v1/namespaces/${this.ns}/pods?labelSelector=${selector}`);
    if (res.status !== 200) return;
    for (const pod of (JSON.parse(res.body) as { items: Record<string, any>[] }).items) {
      const name = pod.metadata.name as string;
      // kwok's pod-ready stage first (it would overwrite an earlier status), then the container, once.
      if (pod.status?.phase !== "Running" || pod.metadata.deletionTimestamp || this.busy.has(name)) continue;
      this.busy.add(name);
      void this.run(pod).catch((e) => this.ran.push({ pod: name, exitCode: -1, message: `kubelet error: ${(e as Error).message}`, ownerOfSecret: undefined, spec: pod.spec }));
    }
  }

  private async run(pod: Record<string, any>): Promise<void> {
    const name = pod.metadata.name as string;
    const container = pod.spec.containers[0];
    assert.deepEqual(container.args, ["node", "dist/slot/wait-main.js"], "the image's probe entrypoint");
    const env: Record<string, string> = {};
    let ownerOfSecret: string | undefined;
    for (const e of container.env as { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom) {
        const secret = JSON.parse((await kubeRequest(this.creds, "GET", `/api/v1/namespaces/${this.ns}/secrets/${e.valueFrom.secretKeyRef.name}`)).body) as { data: Record<string, string>; metadata: { ownerReferences?: { kind: string; name: string }[] } };
        env[e.name] = Buffer.from(secret.data[e.valueFrom.secretKeyRef.key] ?? "", "base64").toString("utf8");
        ownerOfSecret = secret.metadata.ownerReferences?.map((o) => `${o.kind}/${o.name}`).join(",");
      }
    }
    const resultFile = join(fs.mkdtempSync(join(os.tmpdir(), "coexist-probe-")), "termination-log");
    this.onStart();
    const exitCode = await new Promise<number>((resolve) => {
      const child = execFile(process.execPath, ["--import", "tsx", join(ROOT, "workers", "src", "slot", "wait-main.ts")], {
        cwd: join(ROOT, "workers"), env: { PATH: process.env.PATH, ...env, COEXIST_SLOT_RESULT_FILE: resultFile },
      }, () => undefined);
      child.once("exit", (code) => resolve(code ?? 1));
    });
    const message = fs.existsSync(resultFile) ? fs.readFileSync(resultFile, "utf8") : "";
    this.ran.push({ pod: name, exitCode, message, ownerOfSecret, spec: pod.spec });
    const res = await kubeRequest(this.creds, "PATCH", `/api/v1/namespaces/${this.ns}/pods/${name}/status`, {
      status: {
        phase: exitCode === 0 ? "Succeeded" : "Failed",
        containerStatuses: [{ name: container.name, image: container.image, imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error", message, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString() } } }],
      },
    }, "application/merge-patch+json");
    if (res.status !== 200 && res.status !== 404) throw new Error(`PATCH pod status: HTTP ${res.status}: ${res.body}`);
  }
}

describe("the slot wait through an in-cluster probe pod, on a real API server and PostgreSQL (issue 14 §1.6)", () => {
  let kubelet: ProbeKubelet;
  const role = `coexist_probe_${run}`;
  let roleUrl: string;
  /** As staging gives it: no URL Pulumi reaches, the worker image and the slot exporter's login-only role. */
  const inCluster = (epoch: number, extra: Partial<OffsetsInputs> = {}) => inputs(epoch, { slotProbeUrl: undefined, inClusterProbeImage: "registry.example.com/coexist/worker:test", inClusterProbeUrl: roleUrl, ...extra });
  const leftovers = async () => {
    const selector = encodeURIComponent(Object.entries(slotProbeLabels(slot)).map(([k, v]) => `${k}=${v}`).join(","));
    const count = async (kind: string) => (JSON.parse((await kubeRequest(creds, "GET", `/api/v1/namespaces/${namespace}/${kind}?labelSelector=${selector}`)).body) as { items: { metadata: { deletionTimestamp?: string } }[] }).items.filter((i) => !i.metadata.deletionTimestamp).length;
    return { pods: await count("pods"), secrets: await count("secrets") };
  };

  before(async () => {
    // The slot exporter's role: LOGIN and nothing else (reading pg_replication_slots needs no grant).
    const password = randomBytes(12).toString("hex");
    await pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const u = new URL(env.POSTGRES_URL);
    u.username = role;
    u.password = password;
    roleUrl = u.toString();
    kubelet = new ProbeKubelet(creds, namespace);
    kubelet.start();
  });

  after(async () => {
    kubelet?.stop();
    await pool?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  it("a generation bump: the pod sees the stopped task's slot released before the reset, and leaves neither itself nor its Secret behind", async () => {
    await applyConnector(4);
    await eventually("RUNNING again", async () => ((await getConnector()).status?.connectorStatus?.connector?.state === "RUNNING" ? true : undefined), 30_000);
    operator.log.length = 0;
    const { released } = await holdSlot(2_000);
    const up = await provider.update!(`${namespace}/${name}`, outs(inCluster(4)), inCluster(5));
    assert.match((up.outs as OffsetsOutputs).outcome, /^reset \(transforms\.epoch\.static\.value changed\)/);
    await released;
    assert.deepEqual(operator.log, ["stopped", "slot released", "annotation seen", "reset"], "no reset while the task may still commit");
    assert.equal(kubelet.ran.length, 1, JSON.stringify(kubelet.ran));
    const probe = kubelet.ran[0]!;
    assert.equal(probe.exitCode, 0, probe.message);
    assert.deepEqual(JSON.parse(probe.message).state, { active: false, activePid: null });
    assert.equal(probe.ownerOfSecret, `Pod/${probe.pod}`, "the garbage collector removes the Secret with the pod");
    assert.equal(probe.spec.automountServiceAccountToken, false);
    assert.deepEqual(await leftovers(), { pods: 0, secrets: 0 });
  });

  it("a slot still held: the pod's verdict fails the reset by its bound, naming the backend, before any annotation", async () => {
    await applyConnector(5);
    await eventually("RUNNING again", async () => ((await getConnector()).status?.connectorStatus?.connector?.state === "RUNNING" ? true : undefined), 30_000);
    const holder = await SlotHolder.start(env, pool, slot, publication);
    try {
      const pid = (await slotRow(pool, slot))?.active_pid;
      await assert.rejects(
        provider.update!(`${namespace}/${name}`, outs(inCluster(5)), inCluster(6, { slotReleaseTimeoutMs: 2_000 })),
        new RegExp(`KafkaConnector ${namespace}/${name} was stopped for its offset reset, but replication slot "${slot}" is still active \\(held by backend pid ${pid}\\) after 2s, so its offsets were not reset`),
      );
      assert.equal((await getConnector()).metadata.annotations?.[OFFSETS_ANNOTATION], undefined, "no reset while the slot is held");
      assert.equal(kubelet.ran.at(-1)?.exitCode, 1);
      assert.deepEqual(await leftovers(), { pods: 0, secrets: 0 });
    } finally {
      await holder.release();
    }
  });

  it("a destroy returns only once the pod saw the slot released; a wrong password fails it naming the probe's fix", async () => {
    const holder = await SlotHolder.start(env, pool, slot, publication);
    // Released 2 s after the probe started reading: it must have seen the slot held that long.
    kubelet.onStart = () => {
      kubelet.onStart = () => undefined;
      setTimeout(() => void holder.release(), 2_000);
    };
    await provider.delete!(`${namespace}/${name}`, outs(inCluster(6)));
    const verdict = JSON.parse(kubelet.ran.at(-1)?.message ?? "{}") as { released?: boolean; waitedMs?: number };
    assert.equal(verdict.released, true);
    assert.ok((verdict.waitedMs ?? 0) >= 1_500, `the probe waited for the release: ${JSON.stringify(verdict)}`);
    assert.equal((await slotRow(pool, slot))?.active, false);
    const wrong = new URL(roleUrl);
    wrong.password = "wrong";
    await assert.rejects(
      provider.delete!(`${namespace}/${name}`, outs(inCluster(6, { inClusterProbeUrl: wrong.toString(), slotReleaseTimeoutMs: 2_000 }))),
      new RegExp(`connector ${name} was deleted, but whether replication slot "${slot}" is released could not be checked within 2s by the in-cluster probe: password authentication failed .*fix: check that the slot exporter reads the slot`),
    );
    assert.deepEqual(await leftovers(), { pods: 0, secrets: 0 });
  });
});

/**
 * The same through the real engine: a program with the DebeziumConnector on a Strimzi endpoint,
 * `up` at generation 1, then at generation 2. The engine must finish the reset (the
 * KafkaConnector depends on the waiting resource) before it replaces the KafkaConnector, whose
 * replacement then runs from empty offsets.
 */
describe("a generation bump on the real engine (issue 14 §1.6)", () => {
  let ws: TestWorkspace;
  let stack: Stack;
  let ns: string;
  let fake: FakeStrimzi;
  let epoch = 1;
  const connector = `coexist-engine-${run}`;

  before(async () => {
    ns = uniqueNamespace("offsets-engine");
    await kubectlOk(kube, ["create", "namespace", ns]);
    fake = new FakeStrimzi(creds, ns);
    fake.lifecycle = true;
    fake.start();
    ws = await testWorkspace({ KUBECONFIG: kube.KUBECONFIG }, { kubernetes: true });
    stack = await ws.stack("offsets", async () => {
      const k8s = await import("@pulumi/kubernetes");
      const sdk = await import("@pulumi/pulumi");
      const { DebeziumConnector } = await import("../components/connect/connector");
      const provider = new k8s.Provider("k8s", { enableServerSideApply: true });
      const target = { kind: "kubernetes", namespace: sdk.output(ns), namespaceName: ns, provider, labels: {}, publicServiceType: "ClusterIP", awaitOperators: true, checksumKey: "k" };
      const c = new DebeziumConnector("c", {
        connect: { kind: "strimzi", target, cluster: "connect", passwordRef: "x", ready: [] } as never,
        config: { ...config(epoch), name: connector },
        offsetResetTimeoutMs: 60_000,
      });
      return { connectorName: c.connectorName };
    });
    // Pulumi.yaml requires it; the inline program reads no config.
    await stack.setConfig("coexist:target", { value: "kubernetes" });
  });

  after(async () => {
    await stack?.destroy().catch(() => undefined);
    ws?.dispose();
    fake?.stop();
    if (ns) await kubectl(kube, ["delete", "namespace", ns, "--wait=false"]);
  });

  it("previews the bump as an update of the waiting resource and a replacement of the KafkaConnector, and runs the reset before the replacement", async () => {
    assert.equal((await stack.up()).summary.result, "succeeded");
    assert.deepEqual(fake.log, ["created"]);
    epoch = 2;
    const planned = await plannedChanges(stack);
    // plannedChanges names a step "<op> <parent types>$<type> <name>".
    const guard = [...planned].find(([k]) => /^update (\S+\$)?pulumi-nodejs:dynamic\/coexist:StrimziConnectorOffsets /.test(k));
    assert.ok(guard && guard[1].some((p) => p.includes("transforms.epoch.static.value")), `the preview shows the reset's trigger: ${JSON.stringify([...planned])}`);
    assert.ok([...planned.keys()].some((k) => /^(replace|delete-replaced|create-replacement) (\S+\$)?kubernetes:kafka\.strimzi\.io\/v1:KafkaConnector /.test(k)), JSON.stringify([...planned.keys()]));
    assert.equal((await stack.up()).summary.result, "succeeded");
    assert.deepEqual(fake.log, ["created", "stopped", "annotation seen", "reset", "deleted", "created"], "reset first, then the replacement");
    const cr = JSON.parse(await kubectlOk(kube, ["get", "kafkaconnector", connector, "-n", ns, "-o", "json"])) as KafkaConnectorObject;
    assert.equal(cr.spec?.state, "running");
    assert.equal(cr.spec?.config?.["transforms.epoch.static.value"], "2");
    assert.equal(cr.metadata.annotations?.[OFFSETS_ANNOTATION], undefined);
  });
});
