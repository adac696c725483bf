import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type * as k8sTypes from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringsIn } from "../testing/inspect";
import { installMocks, MockRun, settle } from "../testing/mocks";
import { generateKongCredentials } from "../../stacks/kong-credentials";
import { renderKongConfig } from "./render";

/**
 * The gateway on the Kubernetes target for staging, under Pulumi mocks: the objects the lead's
 * Kubernetes realisation registers for Kong's neutral spec, with their inputs. Mocks first.
 */

const rendered = renderKongConfig("staging");
const credentials = generateKongCredentials(rendered.secretVariables);
let run: MockRun;
let proxyUrl: string;
let k8s: typeof k8sTypes;
let KongGateway: typeof import("./gateway").KongGateway;

function kubernetesTarget(name: string) {
  return {
    kind: "kubernetes" as const,
    namespace: pulumi.output("coexist-staging"),
    provider: new k8s.Provider(name, {}),
    labels: { "coexist.dev/stack": "staging" },
    namespaceName: "coexist-staging",
    publicServiceType: "LoadBalancer" as const,
    awaitOperators: false,
    checksumKey: pulumi.output("checksum-key"),
  };
}

const strings = (value: unknown) => stringsIn(value);

before(async () => {
  run = installMocks("staging", {});
  k8s = await import("@pulumi/kubernetes");
  ({ KongGateway } = await import("./gateway"));
  await run.runProgram(() => {
    const gateway = new KongGateway("coexist-kong", {
      target: kubernetesTarget("k8s"),
      rendered,
      credentials: pulumi.secret(credentials),
      vaultEnv: { COEXIST_KONG_REDIS_PASSWORD: { secret: "kong-redis", key: "password" } },
    });
    gateway.proxyUrl.apply((u) => (proxyUrl = u));
  });
  await settle();
});

describe("KongGateway on Kubernetes (staging)", () => {
  it("runs the overlay's two replicas as one Deployment with a config checksum on its pod template", () => {
    const deployment = run.one("kubernetes:apps/v1:Deployment").inputs as { spec: { replicas: number; template: { metadata: { annotations: Record<string, string> } } } };
    assert.equal(deployment.spec.replicas, 2);
    assert.match(deployment.spec.template.metadata.annotations["coexist.dev/config-checksum"], /^[0-9a-f]{64}$/);
  });

  it("exposes the proxy through the stack's public Service type and nothing else", () => {
    const services = run.byType("kubernetes:core/v1:Service").map((s) => s.inputs as { spec: { type: string; ports: { name: string; port: number }[] } });
    assert.equal(services.length, 1);
    assert.equal(services[0].spec.type, "LoadBalancer");
    assert.deepEqual(services[0].spec.ports.map((p) => [p.name, p.port]), [["proxy", 8000]]);
  });

  it("keeps the Admin API out of every Service and on the pod's loopback", () => {
    const ports = run.byType("kubernetes:core/v1:Service").flatMap((s) => (s.inputs as { spec: { ports: { port: number; targetPort: unknown }[] } }).spec.ports);
    assert.ok(ports.every((p) => p.port !== rendered.admin.port && p.targetPort !== "admin"), JSON.stringify(ports));
    const deployment = run.one("kubernetes:apps/v1:Deployment").inputs as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
    const env = deployment.spec.template.spec.containers[0].env;
    assert.equal(env.find((e) => e.name === "KONG_ADMIN_LISTEN")?.value, "127.0.0.1:8001");
    assert.equal(env.find((e) => e.name === "KONG_ADMIN_GUI_LISTEN")?.value, "off");
  });

  it("loads the credentialed file from a Secret and shows its review twin in a ConfigMap", () => {
    const files = strings(run.one("kubernetes:core/v1:Secret", "secret-files").inputs.stringData);
    assert.equal(files.length, 1);
    assert.ok(files[0].secret, "the gateway file is a Pulumi secret");
    for (const value of Object.values(credentials)) assert.ok(files[0].text.includes(value.split("\n")[1] ?? value), "it carries the credentials");
    const configMap = run.one("kubernetes:core/v1:ConfigMap").inputs as { data: Record<string, string> };
    const review = Object.values(configMap.data).join("\n");
    assert.match(review, /\$\{\{ env "DECK_JWT_WEB_APP_RSA_PUBLIC_KEY"/);
    for (const value of Object.values(credentials)) assert.ok(!review.includes(value.split("\n")[1] ?? value), "the review twin carries no credential");
  });

  it("gives a disruption budget to the replicated gateway and reports the proxy's cluster URL", () => {
    assert.equal(run.byType("kubernetes:policy/v1:PodDisruptionBudget").length, 1);
    assert.equal(proxyUrl, "http://kong.coexist-staging.svc.cluster.local:8000");
  });
});

describe("KongGateway arguments", () => {
  it("refuses an overlay written for the other target, naming overlay, stack and fix", async () => {
    await assert.rejects(
      run.runProgram(() => new KongGateway("dev-on-k8s", { target: kubernetesTarget("k8s-a"), rendered: renderKongConfig("dev"), credentials: {} })),
      /kong\/overlays\/dev\.yaml is written for the docker target, but the dev stack deploys to kubernetes; fix: set target: kubernetes/,
    );
  });

  it("refuses an overlay in database mode, which no target provides", async () => {
    const db = { ...renderKongConfig("local"), mode: "db" as const };
    await assert.rejects(run.runProgram(() => new KongGateway("db", { target: kubernetesTarget("k8s-b"), rendered: db, credentials: {} })), /runs Kong with a database, which no target provides/);
  });
});
