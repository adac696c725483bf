import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { admitted, Policy } from "../kubernetes/network-eval";
import { NetworkInputs, networkEdges, renderPolicies, WORKLOADS } from "../kubernetes/network-rules";
import { describeProbePod, probeOutcome, renderSlotProbePod, SLOT_PROBE_START_GRACE_MS, slotProbeLabels } from "./slot-probe-pod";

const spec = { namespace: "coexist-staging", image: "registry.example.com/coexist/worker@sha256:ab", url: "postgresql://coexist_slot_reader:pw@postgres-rw:5432/coexist", slot: "coexist_staging" };

describe("the in-cluster slot probe pod", () => {
  it("runs the worker image's probe as an unprivileged user with no token, the URL only by reference to its Secret", () => {
    const pod = renderSlotProbePod("slot-probe-x", spec, 60_000) as { metadata: { labels: Record<string, string> }; spec: Record<string, any> };
    const s = pod.spec;
    assert.equal(s.restartPolicy, "Never");
    assert.equal(s.automountServiceAccountToken, false);
    assert.equal(s.activeDeadlineSeconds, (60_000 + SLOT_PROBE_START_GRACE_MS) / 1000);
    assert.deepEqual(s.securityContext, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
    const c = s.containers[0];
    assert.deepEqual(c.args, ["node", "dist/slot/wait-main.js"]);
    assert.equal(c.image, spec.image);
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    assert.deepEqual(c.env.find((e: { name: string }) => e.name === "POSTGRES_URL"), { name: "POSTGRES_URL", valueFrom: { secretKeyRef: { name: "slot-probe-x", key: "POSTGRES_URL" } } });
    assert.ok(!JSON.stringify(pod).includes(":pw@"), "the password is in the Secret only");
    assert.deepEqual(Object.fromEntries(c.env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value])), { COEXIST_SLOTS: "coexist_staging", COEXIST_SLOT_WAIT_MS: "60000", NODE_ENV: "production" });
    assert.deepEqual(pod.metadata.labels, slotProbeLabels("coexist_staging"));
  });

  it("has exactly the slot exporter's network: PostgreSQL and DNS yes, the read model, Kafka, Connect and the outside no", () => {
    const NS = "coexist-staging";
    const n: NetworkInputs = {
      namespace: NS, postgresInCluster: true, mongodbInCluster: true, kafkaInCluster: true, operatorsInstalled: true,
      operators: ["strimzi", "cloudnative-pg", "mongodb-kubernetes"], monitoringNamespace: "monitoring", metricsPort: 9464, slotMetricsPort: 9465, egressCidrs: {},
    };
    const policies: Policy[] = [
      { namespace: NS, spec: { podSelector: { matchLabels: {} }, policyTypes: ["Ingress", "Egress"] } },
      ...renderPolicies(networkEdges(n)).map((p) => ({ namespace: NS, spec: p.spec })),
    ];
    const probe = { pod: { namespace: NS, labels: slotProbeLabels("coexist_staging") } };
    const to = (labels: Record<string, string>, ns = NS) => ({ pod: { namespace: ns, labels } });
    const reach = (dst: ReturnType<typeof to>, port: number, protocol: "TCP" | "UDP" = "TCP") => admitted(policies, probe, dst, { port, protocol });
    assert.equal(reach(to(WORKLOADS.postgres), 5432), true);
    assert.equal(reach(to({ "k8s-app": "kube-dns" }, "kube-system"), 53, "UDP"), true);
    assert.deepEqual([reach(to(WORKLOADS.mongodb), 27017), reach(to(WORKLOADS.kafka), 9093), reach(to(WORKLOADS.connect), 8083), admitted(policies, probe, { ip: "8.8.8.8" }, { port: 443, protocol: "TCP" })], [false, false, false, false]);
  });

  it("reads the verdict from the termination message, and says where a pod without one stands", () => {
    const ended = (message: string, exitCode = 1) => ({ phase: exitCode === 0 ? "Succeeded" : "Failed", containerStatuses: [{ state: { terminated: { exitCode, message } } }] });
    assert.deepEqual(probeOutcome(ended(JSON.stringify({ slot: "s", released: true, state: null, error: null, waitedMs: 3 }), 0)), { released: true, state: undefined, error: undefined });
    assert.deepEqual(probeOutcome(ended(JSON.stringify({ slot: "s", released: false, state: { active: true, activePid: 5 }, error: null, waitedMs: 3 }))), { released: false, state: { active: true, activePid: 5 }, error: undefined });
    const crashed = probeOutcome(ended("Error: Cannot find module '/app/dist/slot/wait-main.js'"));
    assert.equal(crashed.released, false);
    assert.match(crashed.error ?? "", /the probe pod ended Failed \(slot-probe exited 1\) without a verdict: Error: Cannot find module/);
    assert.equal(describeProbePod({ phase: "Pending", containerStatuses: [{ state: { waiting: { reason: "ImagePullBackOff", message: "not found" } } }] }), "Pending (slot-probe waiting: ImagePullBackOff: not found)");
    assert.equal(describeProbePod(undefined), "no pod");
  });
});
