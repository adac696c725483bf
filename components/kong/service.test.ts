import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { configChecksum, renderPodTemplate, selectorLabels, workloadKind } from "../runtime/kubernetes";
import { ServiceSpec } from "../runtime/service";
import { controlListenProblem } from "./listen";
import { renderKongConfig } from "./render";
import { KONG_USER, kongService, KongServiceArgs } from "./service";

const STACKS = ["dev", "pr-3", "local", "staging", "prod"];
const valueOf = <T>(v: pulumi.Input<T>): Promise<T> => new Promise((resolve) => pulumi.output(v).apply((x) => resolve(x as T)));

/** The spec a stack's gateway gets, with a stand-in for the credentialed file and secrets for any vault variable. */
function specFor(stack: string, extra: Partial<KongServiceArgs> = {}): ServiceSpec {
  const rendered = renderKongConfig(stack);
  const vaultEnv = Object.fromEntries(rendered.vaultVariables.map((v) => [v, pulumi.secret("redis-password")]));
  return kongService({ rendered, declarativeConfig: "# the gateway file", proxyHostPort: 8000, vaultEnv, ...extra });
}

describe("kongService", () => {
  for (const stack of STACKS) {
    it(`keeps the Admin API and Kong Manager on ${stack}'s loopback and publishes the proxy alone`, () => {
      const spec = specFor(stack);
      assert.equal(controlListenProblem("KONG_ADMIN_LISTEN", spec.env?.KONG_ADMIN_LISTEN as string), undefined, String(spec.env?.KONG_ADMIN_LISTEN));
      assert.equal(controlListenProblem("KONG_ADMIN_GUI_LISTEN", spec.env?.KONG_ADMIN_GUI_LISTEN as string), undefined);
      const ports = spec.ports ?? [];
      assert.deepEqual(ports.filter((p) => p.host !== undefined).map((p) => p.name), ["proxy"], "only the proxy gets a Docker host port");
      assert.deepEqual(ports.filter((p) => (p.exposure ?? "cluster") !== "none").map((p) => [p.name, p.exposure]), [["proxy", "public"]], "only the proxy gets a Service");
      assert.equal(spec.replicas, renderKongConfig(stack).replicas);
    });
  }

  it("gives Kong the config's own settings (the proxy cache's shared dict) next to its listeners", () => {
    const spec = specFor("staging");
    assert.match(String(spec.env?.KONG_NGINX_HTTP_LUA_SHARED_DICT), /^kong_proxy_cache \d+m$/);
    assert.equal(spec.env?.KONG_DATABASE, "off");
    assert.equal(spec.env?.KONG_DECLARATIVE_CONFIG, spec.files?.find((f) => f.secret)?.path);
  });

  it("refuses to build a gateway whose Admin API would listen on every interface", () => {
    const rendered = { ...renderKongConfig("dev"), adminListen: "0.0.0.0:8001" };
    assert.throws(() => kongService({ rendered, declarativeConfig: "x", proxyHostPort: 8000 }), /kongService \(kong\/overlays\/dev\.yaml\): KONG_ADMIN_LISTEN is "0\.0\.0\.0:8001"/);
  });

  it("mounts the credentialed file as a secret and its review twin as plain", async () => {
    const spec = specFor("prod");
    const files = spec.files ?? [];
    assert.deepEqual(files.map((f) => [f.path, f.secret ?? false]), [["/kong/declarative/kong.yaml", true], ["/kong/declarative/kong.review.yaml", false]]);
    assert.match(await valueOf(files[1].content), /^# Rendered from kong\/base\.yaml \+ kong\/overlays\/prod\.yaml/);
    assert.match(await valueOf(files[1].content), /\$\{\{ env "DECK_JWT_WEB_APP_RSA_PUBLIC_KEY"/);
  });

  it("requires a source for every vault variable the overlay references, naming them", () => {
    const rendered = renderKongConfig("staging");
    assert.throws(() => kongService({ rendered, declarativeConfig: "x" }), /none is given for COEXIST_KONG_REDIS_PASSWORD; fix: pass them in vaultEnv/);
    const fromSecret = kongService({ rendered, declarativeConfig: "x", vaultEnv: { COEXIST_KONG_REDIS_PASSWORD: { secret: "kong-redis", key: "password" } } });
    assert.deepEqual(fromSecret.secretRefEnv, { COEXIST_KONG_REDIS_PASSWORD: { secret: "kong-redis", key: "password" } });
    assert.equal(fromSecret.secretEnv, undefined);
    assert.deepEqual(Object.keys(specFor("staging").secretEnv ?? {}), ["COEXIST_KONG_REDIS_PASSWORD"]);
  });
});

describe("kongService on Kubernetes (staging)", () => {
  const spec = specFor("staging");
  const labels = selectorLabels(spec);
  const template = renderPodTemplate(spec, labels, configChecksum(spec, "k"));
  const pod = template.spec as pulumi.Unwrap<typeof template.spec> & object;
  const container = pod.containers[0];

  it("is a Deployment of two replicas", () => {
    assert.equal(workloadKind(spec), "Deployment");
    assert.equal(spec.replicas, 2);
  });

  it("rolls the pods when the gateway file changes: the pod template carries a checksum over it", async () => {
    const annotation = (template.metadata as { annotations: Record<string, pulumi.Input<string>> }).annotations["coexist.dev/config-checksum"];
    assert.ok(annotation !== undefined, "checksum annotation present");
    const changed = specFor("staging", { declarativeConfig: "# another gateway file" });
    const [before, same, after] = await Promise.all([valueOf(annotation), valueOf(configChecksum(specFor("staging"), "k")), valueOf(configChecksum(changed, "k"))]);
    assert.match(before, /^[0-9a-f]{64}$/);
    assert.equal(same, before, "the same config keeps the pods");
    assert.notEqual(after, before, "a new config rolls them");
  });

  it("runs as Kong's non-root user with a read-only root filesystem, no capabilities, and a writable prefix", () => {
    const uid = Number(KONG_USER.split(":")[0]);
    assert.ok(uid > 0);
    assert.deepEqual([pod.securityContext?.runAsNonRoot, pod.securityContext?.runAsUser], [true, uid]);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ["ALL"]);
    const prefix = String(container.env?.find((e) => e.name === "KONG_PREFIX")?.value);
    const writable = (container.volumeMounts ?? []).filter((m) => pod.volumes?.find((v) => v.name === m.name)?.emptyDir !== undefined).map((m) => m.mountPath);
    assert.ok(writable.some((dir) => prefix === dir || prefix.startsWith(`${dir}/`)), `KONG_PREFIX ${prefix} lies on a writable mount (${writable.join(", ")})`);
    assert.ok(writable.includes("/tmp"));
  });

  it("probes the read-only status API, never the Admin API", () => {
    assert.deepEqual(container.readinessProbe?.httpGet, { path: "/status/ready", port: "status" });
    assert.deepEqual(container.livenessProbe?.httpGet, { path: "/status", port: "status" });
    assert.equal(container.ports?.find((p) => p.name === "status")?.containerPort, 8100);
  });

  it("reads the Redis password from a secret, never as plain env", () => {
    const redis = container.env?.find((e) => e.name === "COEXIST_KONG_REDIS_PASSWORD");
    assert.ok(redis?.valueFrom?.secretKeyRef, "from a Secret");
    assert.equal(redis?.value, undefined);
  });
});
