import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, describe, it } from "node:test";
import { kubeRequest, loadKubeCredentials } from "./strimzi-client";

/**
 * The kubeconfig resolution of the offset reset's API client, as kubectl and the stack's
 * Kubernetes provider resolve it. A real client-certificate kubeconfig against a real API server
 * is test/strimzi-offsets.test.ts.
 */

const dir = mkdtempSync(join(tmpdir(), "coexist-kubeconfig-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const first = file("first.yaml", `
apiVersion: v1
kind: Config
current-context: ci
clusters:
- name: staging
  cluster: { server: "https://staging.example:6443/", certificate-authority: ca.crt, tls-server-name: api.staging }
users:
- name: ci
  user: { tokenFile: token }
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ${JSON.stringify(process.execPath)}
      args: ["-e", "const i = JSON.parse(process.env.KUBERNETES_EXEC_INFO); console.log(JSON.stringify({ kind: 'ExecCredential', apiVersion: i.apiVersion, status: { token: 'from-plugin-' + process.env.EXTRA } }))"]
      env: [{ name: EXTRA, value: "x" }]
- name: legacy
  user: { auth-provider: { name: gcp } }
contexts:
- name: ci
  context: { cluster: staging, user: ci }
- name: plugin
  context: { cluster: staging, user: plugin }
- name: legacy
  context: { cluster: staging, user: legacy }
`);
const second = file("second.yaml", `
current-context: other
clusters:
- name: staging
  cluster: { server: "https://shadowed.example" }
- name: local
  cluster: { server: "http://127.0.0.1:1", insecure-skip-tls-verify: true }
users:
- name: admin
  user: { client-certificate-data: ${Buffer.from("CERT").toString("base64")}, client-key-data: ${Buffer.from("KEY").toString("base64")} }
contexts:
- name: local
  context: { cluster: local, user: admin }
`);
file("ca.crt", "CA");
file("token", "tok-123\n");
const env = { KUBECONFIG: [first, join(dir, "missing.yaml"), second].join(delimiter), HOME: dir };

describe("kubeconfig resolution", () => {
  it("merges the KUBECONFIG list as kubectl does: the first file's entries and current-context win", () => {
    const c = loadKubeCredentials(undefined, env);
    assert.equal(c.context, "ci");
    assert.equal(c.server, "https://staging.example:6443");
    assert.equal(c.ca?.toString(), "CA", "a relative certificate-authority is read beside its kubeconfig");
    assert.equal(c.token, "tok-123");
    assert.equal(c.tlsServerName, "api.staging");
  });

  it("takes the named context from any file, with inline client certificates", () => {
    const c = loadKubeCredentials("local", env);
    assert.equal(c.server, "http://127.0.0.1:1");
    assert.equal(c.cert?.toString(), "CERT");
    assert.equal(c.key?.toString(), "KEY");
    assert.equal(c.insecureSkipTlsVerify, true);
  });

  it("runs an exec credential plugin with its env and KUBERNETES_EXEC_INFO", () => {
    assert.equal(loadKubeCredentials("plugin", env).token, "from-plugin-x");
  });

  it("names the context, what exists and the fix when the context is missing", () => {
    assert.throws(() => loadKubeCredentials("prod", env), /no context "prod" \(found: ci, plugin, legacy, local\); fix: set coexist:kubernetes\.context/);
  });

  it("refuses an auth-provider user, naming the fix", () => {
    assert.throws(() => loadKubeCredentials("legacy", env), /auth-provider, which is not supported here; fix: use an exec credential plugin/);
  });

  it("fails naming the path when there is no kubeconfig at all", () => {
    assert.throws(() => loadKubeCredentials(undefined, { HOME: dir }), new RegExp(`no kubeconfig at ${join(dir, ".kube", "config")}; fix: set KUBECONFIG`));
  });

  it("sends the token as a bearer and a merge patch with its content type", async () => {
    const seen: { auth?: string; type?: string; body: string; url?: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        seen.push({ auth: req.headers.authorization, type: req.headers["content-type"], body, url: req.url });
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const res = await kubeRequest({ server: `http://127.0.0.1:${port}`, context: "t", token: "tok" }, "PATCH", "/apis/x?fieldManager=m", { spec: { state: "stopped" } }, "application/merge-patch+json");
      assert.equal(res.status, 200);
      assert.deepEqual(seen, [{ auth: "Bearer tok", type: "application/merge-patch+json", body: '{"spec":{"state":"stopped"}}', url: "/apis/x?fieldManager=m" }]);
    } finally {
      server.close();
    }
  });
});
