import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { configChecksum, fileKey, renderPodTemplate, SECRET_FILE_MODE, workloadKind } from "./kubernetes";
import { ServiceSpec } from "./service";

const KEY = "stack-checksum-key";
const valueOf = <T>(v: pulumi.Input<T>): Promise<T> => new Promise((resolve) => pulumi.output(v).apply((x) => resolve(x as T)));

const base: ServiceSpec = {
  host: "sync",
  image: "registry.example.com/coexist/worker:1.0.0",
  user: "1000",
  env: { MODE: "x" },
  secretEnv: { MONGODB_URL: pulumi.secret("mongodb://u:p@h") },
  ports: [{ name: "metrics", container: 9464 }],
  files: [
    { path: "/etc/coexist/config.json", content: "{}" },
    { path: "/run/secrets/key", content: pulumi.secret("k"), secret: true, mode: "0444" },
  ],
  scratch: ["/tmp"],
};

describe("Kubernetes realisation of a ServiceSpec", () => {
  it("picks the workload kind from what the spec is", () => {
    assert.equal(workloadKind(base), "Deployment");
    assert.equal(workloadKind({ ...base, volumes: [{ name: "data", path: "/data" }] }), "StatefulSet");
    assert.equal(workloadKind({ ...base, job: true }), "Job");
  });

  it("runs as the spec's non-root uid with no privilege escalation, no capabilities and a read-only root filesystem", () => {
    const t = renderPodTemplate(base, {}, "c") as { spec: Record<string, any> };
    assert.deepEqual(t.spec.securityContext, { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(t.spec.containers[0].securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    assert.equal(t.spec.automountServiceAccountToken, false);
  });

  it("refuses a root or named user, which the API server could not check as non-root", () => {
    assert.throws(() => renderPodTemplate({ ...base, user: "0" }, {}, "c"), /numeric non-root uid/);
    assert.throws(() => renderPodTemplate({ ...base, user: "node" }, {}, "c"), /numeric non-root uid/);
  });

  it("mounts secret files from a Secret readable by the pod's group only, plain files from a ConfigMap, and scratch dirs", () => {
    const t = renderPodTemplate(base, {}, "c") as { spec: Record<string, any> };
    const volumes = t.spec.volumes as { name: string; configMap?: { items: { mode: number }[] }; secret?: { items: { mode: number }[] }; emptyDir?: object }[];
    assert.equal(volumes.find((v) => v.secret)?.secret?.items[0]?.mode, SECRET_FILE_MODE);
    assert.equal(SECRET_FILE_MODE, 0o440);
    assert.equal(volumes.find((v) => v.configMap)?.configMap?.items[0]?.mode, 0o644);
    assert.ok(volumes.some((v) => v.emptyDir));
    const mounts = t.spec.containers[0].volumeMounts as { mountPath: string; subPath?: string; readOnly?: boolean }[];
    assert.deepEqual(mounts.find((m) => m.mountPath === "/run/secrets/key"), { name: "secret-files", mountPath: "/run/secrets/key", subPath: fileKey({ path: "/run/secrets/key" }), readOnly: true });
  });

  it("takes secret env from the stack's Secret and never inlines its value", () => {
    const t = renderPodTemplate(base, {}, "c") as { spec: Record<string, any> };
    const env = t.spec.containers[0].env as { name: string; value?: unknown; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
    assert.deepEqual(env.find((e) => e.name === "MONGODB_URL"), { name: "MONGODB_URL", valueFrom: { secretKeyRef: { name: "sync-env", key: "MONGODB_URL" } } });
  });

  it("changes its checksum when a file or an env value changes, so the pods roll", async () => {
    const a = await valueOf(configChecksum(base, KEY));
    const b = await valueOf(configChecksum({ ...base, files: [{ path: "/etc/coexist/config.json", content: '{"x":1}' }] }, KEY));
    const c = await valueOf(configChecksum({ ...base, env: { MODE: "y" } }, KEY));
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, b);
    assert.notEqual(a, c);
    assert.equal(a, await valueOf(configChecksum(base, KEY)), "stable for the same config");
  });

  it("changes its checksum when a secret changes, but never shows a plain digest of the secret material", async () => {
    // Generated cases: random secrets, in secret files and secret env; the annotation follows each
    // change and equals no unkeyed SHA-256 of what the pod reads (nor of the secret alone).
    const seed = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);
    let x = seed;
    const rand = () => ((x = (Math.imul(x ^ (x >>> 15), 2654435761) + 0x9e3779b9) >>> 0), x.toString(36));
    for (let i = 0; i < 25; i++) {
      const secret = `pw-${rand()}`;
      const other = `${secret}x`;
      const withEnv = (s: string): ServiceSpec => ({ ...base, secretEnv: { ...base.secretEnv, MONGODB_URL: pulumi.secret(`mongodb://u:${s}@h/db`) } });
      const withFile = (s: string): ServiceSpec => ({ ...base, files: [...(base.files ?? []), { path: "/run/secrets/pw", content: s, secret: true }] });
      for (const make of [withEnv, withFile]) {
        const one = await valueOf(configChecksum(make(secret), KEY));
        assert.notEqual(one, await valueOf(configChecksum(make(other), KEY)), `seed ${seed}: a changed secret rolls the pods`);
        const plain = [secret, `mongodb://u:${secret}@h/db`].map((v) => createHash("sha256").update(v).digest("hex"));
        assert.ok(!plain.includes(one), `seed ${seed}: the annotation is a plain digest of the secret`);
        assert.notEqual(one, await valueOf(configChecksum(make(secret), `${KEY}-other-stack`)), `seed ${seed}: keyed by the stack's own key`);
      }
    }
    // And not the old unkeyed digest over the same parts.
    const parts = ["/etc/coexist/config.json\u0000{}", "/run/secrets/key\u0000k", "env:MODE=x", "secret:MONGODB_URL=mongodb://u:p@h"];
    assert.notEqual(await valueOf(configChecksum(base, KEY)), createHash("sha256").update(parts.join("\u0001")).digest("hex"));
  });

  it("uses HTTP probes when the spec has them, and runs a job to completion without probes", () => {
    const probed = renderPodTemplate({ ...base, probes: { liveness: { path: "/healthz", port: "metrics" } } }, {}, "c") as { spec: Record<string, any> };
    assert.deepEqual(probed.spec.containers[0].livenessProbe.httpGet, { path: "/healthz", port: "metrics" });
    const job = renderPodTemplate({ ...base, job: true, healthcheck: { command: ["true"] } }, {}, "c") as { spec: Record<string, any> };
    assert.equal(job.spec.restartPolicy, "OnFailure");
    assert.equal(job.spec.containers[0].livenessProbe, undefined);
  });
});
