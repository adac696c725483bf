// test-lane: control-plane
/**
 * The local Kubernetes control plane (`scripts/dataplane up --kubernetes`) behaves as a real
 * cluster does for what the stacks deploy: workloads reach their ready states on kwok's fake
 * nodes, claims bind, the API server rejects bad objects with its own message, and deletions
 * cascade. Each test works in a namespace of its own. These tests fail, not skip, when the
 * control plane is not up.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually } from "./support/dataplane";
import { condition, getObject, type KubeEnv, type KubeObject, kubectl, kubectlOk, listObjects, loadKubeEnv, uniqueNamespace } from "./support/kubernetes";

const image = "registry.invalid/coexist/never-pulled:1"; // kwok runs no container: nothing pulls it

function labels(app: string): Record<string, string> {
  return { "app.kubernetes.io/name": app };
}

function podTemplate(app: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metadata: { labels: labels(app) },
    spec: { containers: [{ name: "main", image, resources: { requests: { cpu: "100m", memory: "64Mi" } } }], ...extra },
  };
}

function deployment(name: string, replicas: number, extraPodSpec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: { replicas, selector: { matchLabels: labels(name) }, template: podTemplate(name, extraPodSpec) },
  };
}

function statefulSet(name: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name },
    spec: {
      serviceName: name,
      replicas,
      selector: { matchLabels: labels(name) },
      template: podTemplate(name),
      // No storageClassName: the DefaultStorageClass admission plugin fills in the cluster's default.
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
    },
  };
}

function job(name: string, completions: number): Record<string, unknown> {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: { completions, parallelism: completions, backoffLimit: 0, template: podTemplate(name, { restartPolicy: "Never" }) },
  };
}

async function apply(env: KubeEnv, namespace: string, ...objects: Record<string, unknown>[]): Promise<void> {
  await kubectlOk(env, ["apply", "-n", namespace, "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}

async function createNamespace(env: KubeEnv, name: string): Promise<void> {
  await kubectlOk(env, ["create", "namespace", name]);
  // Pods are refused until the service-account controller has made the namespace's `default` account.
  await eventually(`service account default in ${name}`, () => getObject(env, "serviceaccount", "default", name), 30_000);
}

describe("the local Kubernetes control plane", { timeout: 600_000 }, () => {
  let env: KubeEnv;
  const namespaces: string[] = [];

  before(() => {
    env = loadKubeEnv();
  });

  after(async () => {
    if (!env) return;
    for (const ns of namespaces) await kubectl(env, ["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
  });

  async function namespace(prefix: string): Promise<string> {
    const ns = uniqueNamespace(prefix);
    namespaces.push(ns);
    await createNamespace(env, ns);
    return ns;
  }

  it("runs a three-replica Deployment with required pod anti-affinity to Available, one pod per fake node, and its PodDisruptionBudget allows one disruption", async () => {
    const ns = await namespace("deploy");
    const antiAffinity = {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels("web") }, topologyKey: "topology.kubernetes.io/zone" }] } },
    };
    const pdb = { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "web" }, spec: { minAvailable: 2, selector: { matchLabels: labels("web") } } };
    await apply(env, ns, deployment("web", 3, antiAffinity), pdb);

    const d = await eventually("Deployment web Available", async () => {
      const o = await getObject(env, "deployment", "web", ns);
      return condition(o, "Available") === "True" && o?.status?.readyReplicas === 3 ? o : undefined;
    });
    assert.equal(d.status?.availableReplicas, 3);
    const pods = await listObjects<KubeObject & { spec: { nodeName?: string } }>(env, "pods", ns, "app.kubernetes.io/name=web");
    assert.equal(pods.length, 3);
    assert.equal(new Set(pods.map((p) => p.spec.nodeName)).size, 3, `pods share a node: ${pods.map((p) => p.spec.nodeName).join(", ")}`);
    for (const p of pods) assert.equal(condition(p, "Ready"), "True", `pod ${p.metadata.name} is not Ready`);
    const budget = await eventually("PodDisruptionBudget web observed", async () => {
      const o = await getObject(env, "poddisruptionbudget", "web", ns);
      return o?.status?.currentHealthy === 3 ? o : undefined;
    });
    assert.equal(budget.status?.disruptionsAllowed, 1);
  });

  it("runs a StatefulSet with a volumeClaimTemplate to Ready, each claim Bound to a PV the default StorageClass provisioned", async () => {
    const ns = await namespace("sts");
    await apply(env, ns, statefulSet("db", 2));

    await eventually("StatefulSet db ready", async () => {
      const o = await getObject(env, "statefulset", "db", ns);
      return o?.status?.readyReplicas === 2 && o.status.currentReplicas === 2 ? o : undefined;
    });
    for (const claimName of ["data-db-0", "data-db-1"]) {
      const claim = await getObject<KubeObject & { spec: { storageClassName?: string; volumeName?: string } }>(env, "pvc", claimName, ns);
      assert.ok(claim, `claim ${claimName} missing`);
      assert.equal(claim.status?.phase, "Bound");
      assert.equal(claim.spec.storageClassName, "standard");
      const pv = await getObject<KubeObject & { spec: { claimRef?: { name: string; namespace: string } } }>(env, "pv", claim.spec.volumeName ?? "");
      assert.ok(pv, `PV ${claim.spec.volumeName} missing`);
      assert.equal(pv.status?.phase, "Bound");
      assert.deepEqual({ name: pv.spec.claimRef?.name, namespace: pv.spec.claimRef?.namespace }, { name: claimName, namespace: ns });
      assert.equal(pv.metadata.annotations?.["pv.kubernetes.io/provisioned-by"], "kubernetes.io/host-path");
    }
  });

  it("runs a two-completion Job to Complete", async () => {
    const ns = await namespace("job");
    await apply(env, ns, job("migrate", 2));
    const j = await eventually("Job migrate Complete", async () => {
      const o = await getObject(env, "job", "migrate", ns);
      return condition(o, "Complete") === "True" ? o : undefined;
    });
    assert.equal(j.status?.succeeded, 2);
    assert.equal(j.status?.failed ?? 0, 0);
  });

  it("rejects an unknown field, a wrong type and a missing required field with the API server's own message, and stores nothing", async () => {
    const ns = await namespace("invalid");
    const base = deployment("bad", 1);
    const unknownField = { ...base, spec: { ...(base.spec as object), replicass: 2 } };
    const wrongType = { ...base, spec: { ...(base.spec as object), replicas: "three" } };
    const noSelector = { ...base, spec: { ...(base.spec as object), selector: undefined } };
    // kubectl prints a 400 as "Error from server (BadRequest)" and a 422 as "<Kind> <name> is invalid";
    // the texts after that are the API server's own.
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["unknown field", unknownField, /Error from server \(BadRequest\).*strict decoding error: unknown field "spec\.replicass"/s],
      ["wrong type", wrongType, /Error from server \(BadRequest\).*cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32/s],
      ["missing selector", noSelector, /The Deployment "bad" is invalid: .*spec\.selector: Required value/s],
    ];
    for (const [what, object, message] of cases) {
      // --validate=strict asks the server for strict field validation (fieldValidation=Strict).
      const r = await kubectl(env, ["create", "--validate=strict", "-n", ns, "-f", "-"], JSON.stringify(object));
      assert.notEqual(r.code, 0, `${what}: accepted`);
      assert.match(r.stderr, message, `${what}: ${r.stderr}`);
    }
    assert.equal(await getObject(env, "deployment", "bad", ns), undefined);
  });

  it("deletes a Deployment's ReplicaSet and pods with it (garbage collector)", async () => {
    const ns = await namespace("gc");
    await apply(env, ns, deployment("api", 2));
    await eventually("2 ready pods", async () => {
      const pods = await listObjects(env, "pods", ns, "app.kubernetes.io/name=api");
      return pods.length === 2 && pods.every((p) => condition(p, "Ready") === "True") ? pods : undefined;
    });
    await kubectlOk(env, ["delete", "deployment", "api", "-n", ns, "--wait=false"]);
    await eventually("no ReplicaSet and no pod of api", async () => {
      const rs = await listObjects(env, "replicasets", ns, "app.kubernetes.io/name=api");
      const pods = await listObjects(env, "pods", ns, "app.kubernetes.io/name=api");
      return rs.length === 0 && pods.length === 0 ? true : undefined;
    });
  });

  it("deletes a namespace holding a Deployment, a StatefulSet with claims, a Job, a ConfigMap, a Secret and a Service completely, and releases its volumes", async () => {
    const ns = await namespace("nsdel");
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { k: "v" } };
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "creds" }, stringData: { password: "p" } };
    const service = { apiVersion: "v1", kind: "Service", metadata: { name: "db" }, spec: { clusterIP: "None", selector: labels("db"), ports: [{ port: 5432 }] } };
    await apply(env, ns, deployment("web", 2), statefulSet("db", 1), job("once", 1), configMap, secret, service);
    await eventually("the workloads up", async () => {
      const sts = await getObject(env, "statefulset", "db", ns);
      const d = await getObject(env, "deployment", "web", ns);
      const j = await getObject(env, "job", "once", ns);
      return sts?.status?.readyReplicas === 1 && condition(d, "Available") === "True" && condition(j, "Complete") === "True" ? true : undefined;
    });
    const claim = await getObject<KubeObject & { spec: { volumeName?: string } }>(env, "pvc", "data-db-0", ns);
    const volume = claim?.spec.volumeName;
    assert.ok(volume, "the StatefulSet's claim has no volume");

    await kubectlOk(env, ["delete", "namespace", ns, "--wait=false"]);
    await eventually(`namespace ${ns} gone`, async () => ((await getObject(env, "namespace", ns)) === undefined ? true : undefined), 180_000, 1000);
    // The claim went with the namespace; its PV's reclaim policy (Delete) removes the PV too.
    await eventually(`PV ${volume} deleted`, async () => ((await getObject(env, "pv", volume)) === undefined ? true : undefined), 60_000, 1000);
    const pvsOfNamespace = (await listObjects<KubeObject & { spec: { claimRef?: { namespace: string } } }>(env, "pv", undefined)).filter((pv) => pv.spec.claimRef?.namespace === ns);
    assert.deepEqual(pvsOfNamespace.map((pv) => pv.metadata.name), []);
  });

  it("fills a service-account token Secret and issues tokens that authenticate as that service account", async () => {
    const ns = await namespace("sa");
    const account = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "deployer" } };
    const tokenSecret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "deployer-token", annotations: { "kubernetes.io/service-account.name": "deployer" } },
      type: "kubernetes.io/service-account-token",
    };
    await apply(env, ns, account, tokenSecret);
    const legacy = await eventually("the token controller fills deployer-token", async () => {
      const s = await getObject<KubeObject & { data?: Record<string, string> }>(env, "secret", "deployer-token", ns);
      return s?.data?.token ? Buffer.from(s.data.token, "base64").toString() : undefined;
    });
    const requested = (await kubectlOk(env, ["create", "token", "deployer", "-n", ns])).trim();

    // Authenticate with nothing but the token: a kubeconfig-less kubectl with the cluster's CA.
    const server = (await kubectlOk(env, ["config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"])).trim();
    const ca = (await kubectlOk(env, ["config", "view", "--raw", "--minify", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"])).trim();
    const dir = mkdtempSync(join(tmpdir(), "coexist-it-sa-"));
    try {
      writeFileSync(join(dir, "ca.crt"), Buffer.from(ca, "base64"));
      writeFileSync(join(dir, "empty.kubeconfig"), "apiVersion: v1\nkind: Config\n");
      const bare: KubeEnv = { KUBECTL: env.KUBECTL, KUBECONFIG: join(dir, "empty.kubeconfig") };
      for (const [which, token] of [["token Secret", legacy], ["TokenRequest", requested]] as const) {
        const who = JSON.parse(await kubectlOk(bare, ["--server", server, "--certificate-authority", join(dir, "ca.crt"), "--token", token, "auth", "whoami", "-o", "json"])) as {
          status: { userInfo: { username: string } };
        };
        assert.equal(who.status.userInfo.username, `system:serviceaccount:${ns}:deployer`, which);
      }
      const forged = await kubectl(bare, ["--server", server, "--certificate-authority", join(dir, "ca.crt"), "--token", `${requested.slice(0, -4)}AAAA`, "auth", "whoami"]);
      assert.notEqual(forged.code, 0, "a token with a forged signature was accepted");
      assert.match(forged.stderr, /Unauthorized/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
