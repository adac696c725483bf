// test-lane: control-plane
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import { Operators } from "../components/kubernetes/operators";
import { StackNamespace } from "../components/kubernetes/namespace";
import type { KubernetesSettings } from "../components/platform-config";
import { stackLabels } from "../components/runtime";
import { readDataplaneEnv } from "../scripts/stack.d/local";
import { plannedChanges, testWorkspace, TestWorkspace } from "./support/engine";
import { kubectl } from "./support/kube";

/**
 * Two stacks that each install Strimzi's chart on one cluster. The chart's cluster-wide RBAC objects
 * are named without the release, so without `clusterScopedPerStack` the second install takes over
 * the first's ClusterRoleBindings and a destroy deletes what the other still uses. The pinned chart
 * cannot be fetched here (no chart registry), so the stacks install a stand-in written below: the
 * RBAC objects of Strimzi's chart 1.2.0 with their names, labels, subjects and role references as
 * its templates render them (rules shortened), through the same Operators component and the same
 * Helm v4 Chart resource, on the real engine and API server.
 */
const STRIMZI_ROLES = ["strimzi-cluster-operator-namespaced", "strimzi-cluster-operator-global", "strimzi-cluster-operator-leader-election", "strimzi-cluster-operator-watched", "strimzi-kafka-broker", "strimzi-entity-operator", "strimzi-kafka-client"];
const STRIMZI_CLUSTER_BINDINGS: [string, string][] = [["strimzi-cluster-operator", "strimzi-cluster-operator-global"], ["strimzi-cluster-operator-kafka-broker-delegation", "strimzi-kafka-broker"], ["strimzi-cluster-operator-kafka-client-delegation", "strimzi-kafka-client"]];
const STRIMZI_BINDINGS: [string, string][] = [["strimzi-cluster-operator", "strimzi-cluster-operator-namespaced"], ["strimzi-cluster-operator-watched", "strimzi-cluster-operator-watched"], ["strimzi-cluster-operator-entity-operator-delegation", "strimzi-entity-operator"], ["strimzi-cluster-operator-leader-election", "strimzi-cluster-operator-leader-election"]];

function writeStrimziStandIn(dir: string): void {
  fs.mkdirSync(path.join(dir, "templates"), { recursive: true });
  fs.writeFileSync(path.join(dir, "Chart.yaml"), "apiVersion: v2\nname: strimzi-kafka-operator\nversion: 1.2.0\nappVersion: 1.2.0\ndescription: the RBAC objects of Strimzi's chart 1.2.0 (a test stand-in)\n");
  const labels = (component: string) => `  labels:\n    app: strimzi\n    chart: strimzi-kafka-operator-1.2.0\n    component: ${component}\n    release: {{ .Release.Name }}\n    heritage: {{ .Release.Service }}\n`;
  const subject = "subjects:\n  - kind: ServiceAccount\n    name: strimzi-cluster-operator\n    namespace: {{ .Release.Namespace }}\n";
  const roleRef = (role: string) => `roleRef:\n  kind: ClusterRole\n  name: ${role}\n  apiGroup: rbac.authorization.k8s.io\n`;
  const docs = [
    `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: strimzi-cluster-operator\n  namespace: {{ .Release.Namespace }}\n${labels("service-account")}`,
    ...STRIMZI_ROLES.map((r) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${r}\n${labels("role")}rules:\n  - apiGroups: [""]\n    resources: ["pods"]\n    verbs: ["get", "list", "watch"]\n`),
    ...STRIMZI_CLUSTER_BINDINGS.map(([b, r]) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ${b}\n${labels("role-binding")}${subject}${roleRef(r)}`),
    ...STRIMZI_BINDINGS.map(([b, r]) => `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ${b}\n  namespace: {{ .Release.Namespace }}\n${labels("role-binding")}${subject}${roleRef(r)}`),
  ];
  fs.writeFileSync(path.join(dir, "templates", "rbac.yaml"), docs.join("---\n"));
}

describe("two stacks on one cluster, each installing Strimzi's chart", () => {
  const env = readDataplaneEnv();
  const id = randomBytes(3).toString("hex");
  const namespaces = [`coexist-sa-${id}`, `coexist-sb-${id}`];
  const chartDir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-strimzi-chart-"));
  const ws: TestWorkspace[] = [];
  const stacks: Stack[] = [];

  /** The stack's ClusterRoleBindings on the API server: name -> the namespace of the ServiceAccount it binds. */
  const clusterBindings = async (): Promise<Map<string, string>> => {
    const r = await kubectl(env, ["get", "clusterrolebindings", "-l", "app=strimzi", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; subjects?: { namespace?: string }[] }[] }).items;
    return new Map(items.map((i) => [i.metadata.name, i.subjects?.[0]?.namespace ?? ""]));
  };
  const sharedRoles = async (): Promise<{ name: string; labels: Record<string, string> }[]> => {
    const r = await kubectl(env, ["get", "clusterroles", ...STRIMZI_ROLES, "-o", "json", "--ignore-not-found"]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim() === "" ? [] : (JSON.parse(r.stdout) as { items: { metadata: { name: string; labels?: Record<string, string> } }[] }).items.map((i) => ({ name: i.metadata.name, labels: i.metadata.labels ?? {} }));
  };

  before(async () => {
    writeStrimziStandIn(chartDir);
    for (const namespace of namespaces) {
      const w = await testWorkspace({ KUBECONFIG: env.KUBECONFIG }, { kubernetes: true });
      ws.push(w);
      const s = await w.stack("strimzi", async () => {
        const settings: KubernetesSettings = { namespace, publicServiceType: "ClusterIP", operators: "install", crds: "skip", awaitOperators: false, podSecurity: "restricted" };
        const { target } = new StackNamespace("coexist-k8s", { settings, labels: stackLabels("coexist", namespace) });
        new Operators("coexist-operators", { target, settings, needed: ["strimzi"], chartDirs: { strimzi: chartDir } });
      });
      // Pulumi.yaml requires it; this program reads no config.
      await s.setConfig("coexist:target", { value: "kubernetes" });
      stacks.push(s);
    }
  });

  after(async () => {
    for (const s of stacks) await s.destroy().catch(() => undefined);
    for (const w of ws) w.dispose();
    // The shared ClusterRoles outlive every stack by design; this test's are removed here.
    await kubectl(env, ["delete", "clusterroles", ...STRIMZI_ROLES, "--ignore-not-found"]);
    fs.rmSync(chartDir, { recursive: true, force: true });
  });

  it("installs both, each operator bound under a binding of its own, the roles shared without a release", async () => {
    for (const s of stacks) assert.equal((await s.up()).summary.result, "succeeded");
    const bindings = await clusterBindings();
    for (const namespace of namespaces) {
      for (const [b] of STRIMZI_CLUSTER_BINDINGS) assert.equal(bindings.get(`${b}-${namespace}`), namespace, `${b}-${namespace} binds ${namespace}'s operator: ${JSON.stringify([...bindings])}`);
    }
    for (const [b] of STRIMZI_CLUSTER_BINDINGS) assert.equal(bindings.has(b), false, `no stack owns the chart's fixed name ${b}`);
    const roles = await sharedRoles();
    assert.deepEqual(roles.map((r) => r.name).sort(), [...STRIMZI_ROLES].sort());
    for (const r of roles) assert.equal(r.labels.release, undefined, `${r.name} carries no stack's release`);
  });

  it("the second install changed nothing of the first's", async () => {
    assert.deepEqual(Object.fromEntries(await plannedChanges(stacks[0]!)), {});
  });

  it("destroying the first leaves the second's operator bound, with nothing to change", async () => {
    assert.equal((await stacks[0]!.destroy()).summary.result, "succeeded");
    const bindings = await clusterBindings();
    for (const [b] of STRIMZI_CLUSTER_BINDINGS) {
      assert.equal(bindings.has(`${b}-${namespaces[0]}`), false, "the first stack's bindings went with it");
      assert.equal(bindings.get(`${b}-${namespaces[1]}`), namespaces[1]);
    }
    assert.equal((await sharedRoles()).length, STRIMZI_ROLES.length, "the shared roles outlive a stack");
    assert.deepEqual(Object.fromEntries(await plannedChanges(stacks[1]!)), {});
    assert.equal((await stacks[1]!.destroy()).summary.result, "succeeded");
  });
});
