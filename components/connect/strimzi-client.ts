/**
 * Just enough of a Kubernetes client for the Strimzi offset reset (strimzi-offsets.ts), with no
 * dependency beyond `yaml`: a kubeconfig context resolved the way the stack's Kubernetes provider
 * resolves it ($KUBECONFIG, a colon-separated list, else ~/.kube/config; the named context, else
 * the current one), and JSON calls to the API server with that context's credentials.
 *
 * Everything from `node:` and npm is required inside the functions: a dynamic provider is
 * serialised with its closure, and a module object captured at the top would be serialised too.
 */

/** Where the API server is and how to log in to it, as a kubeconfig context resolves. */
export interface KubeCredentials {
  readonly server: string;
  readonly context: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
  readonly basic?: { readonly username: string; readonly password: string };
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
}

type Cluster = Record<string, string | boolean | undefined>;
type User = Record<string, unknown>;
interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
}

/** A call's bound: a hung API server fails the step instead of hanging it. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Resolves a kubeconfig context. Fails naming the context and the files read when it is missing,
 * and naming the fix when the user entry uses something this client does not speak (auth-provider).
 */
export function loadKubeCredentials(context: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeCredentials {
  const fs = require("node:fs") as typeof import("node:fs");
  const path = require("node:path") as typeof import("node:path");
  const os = require("node:os") as typeof import("node:os");
  const YAML = require("yaml") as typeof import("yaml");
  const files = (env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "");
  if (files.length === 0) files.push(path.join(env.HOME ?? os.homedir(), ".kube", "config"));
  const clusters = new Map<string, { value: Cluster; dir: string }>();
  const users = new Map<string, { value: User; dir: string }>();
  const contexts = new Map<string, { cluster: string; user: string }>();
  let current: string | undefined;
  const found = files.filter((f) => fs.existsSync(f));
  if (found.length === 0) throw new Error(`no kubeconfig at ${files.join(path.delimiter)}; fix: set KUBECONFIG for pulumi as for kubectl (the stack's Kubernetes provider reads the same)`);
  for (const file of found) {
    const doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    const dir = path.dirname(path.resolve(file));
    // Merged as kubectl merges: the first file that names an entry wins.
    for (const c of (doc.clusters ?? []) as { name: string; cluster?: Cluster }[]) if (!clusters.has(c.name)) clusters.set(c.name, { value: c.cluster ?? {}, dir });
    for (const u of (doc.users ?? []) as { name: string; user?: User }[]) if (!users.has(u.name)) users.set(u.name, { value: u.user ?? {}, dir });
    for (const c of (doc.contexts ?? []) as { name: string; context: { cluster: string; user: string } }[]) if (!contexts.has(c.name)) contexts.set(c.name, c.context);
    if (current === undefined && typeof doc["current-context"] === "string" && doc["current-context"] !== "") current = doc["current-context"];
  }
  const name = context ?? current;
  const where = `kubeconfig ${files.join(path.delimiter)}`;
  if (name === undefined) throw new Error(`${where}: no context named and no current-context; fix: set coexist:kubernetes.context or KUBECONFIG`);
  const ctx = contexts.get(name);
  if (ctx === undefined) throw new Error(`${where}: no context "${name}" (found: ${[...contexts.keys()].join(", ") || "none"}); fix: set coexist:kubernetes.context to one of them`);
  const cluster = clusters.get(ctx.cluster);
  if (cluster === undefined || typeof cluster.value.server !== "string") throw new Error(`${where}: context "${name}" names cluster "${ctx.cluster}", which has no server`);
  const user = users.get(ctx.user) ?? { value: {}, dir: cluster.dir };
  const read = (data: unknown, file: unknown, dir: string): Buffer | undefined => {
    if (typeof data === "string") return Buffer.from(data, "base64");
    if (typeof file === "string") return fs.readFileSync(path.resolve(dir, file));
    return undefined;
  };
  const u = user.value;
  if (u["auth-provider"] !== undefined) {
    throw new Error(`${where}: user "${ctx.user}" logs in with an auth-provider, which is not supported here; fix: use an exec credential plugin (e.g. gke-gcloud-auth-plugin, kubelogin)`);
  }
  let cert = read(u["client-certificate-data"], u["client-certificate"], user.dir);
  let key = read(u["client-key-data"], u["client-key"], user.dir);
  let token = typeof u.token === "string" ? u.token : typeof u.tokenFile === "string" ? fs.readFileSync(path.resolve(user.dir, u.tokenFile), "utf8").trim() : undefined;
  if (u.exec !== undefined) {
    const status = runExecPlugin(u.exec as ExecConfig, env);
    token = status.token ?? token;
    if (status.clientCertificateData) cert = Buffer.from(status.clientCertificateData);
    if (status.clientKeyData) key = Buffer.from(status.clientKeyData);
  }
  const c = cluster.value;
  return {
    server: (c.server as string).replace(/\/+$/, ""),
    context: name,
    ca: read(c["certificate-authority-data"], c["certificate-authority"], cluster.dir),
    cert,
    key,
    token,
    basic: typeof u.username === "string" && typeof u.password === "string" ? { username: u.username, password: u.password } : undefined,
    insecureSkipTlsVerify: c["insecure-skip-tls-verify"] === true,
    tlsServerName: typeof c["tls-server-name"] === "string" ? c["tls-server-name"] : undefined,
  };
}

/** A client.authentication.k8s.io exec plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin): its ExecCredential status. */
function runExecPlugin(exec: ExecConfig, env: NodeJS.ProcessEnv): { token?: string; clientCertificateData?: string; clientKeyData?: string } {
  const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
  const apiVersion = exec.apiVersion ?? "client.authentication.k8s.io/v1";
  const out = execFileSync(exec.command, exec.args ?? [], {
    env: {
      ...env,
      ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])),
      KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion, kind: "ExecCredential", spec: { interactive: false } }),
    },
    timeout: 60_000,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return ((JSON.parse(out) as { status?: Record<string, string> }).status ?? {});
}

export interface KubeResponse {
  readonly status: number;
  readonly body: string;
}

/** One JSON call to the API server. Never throws on an HTTP status; a network error or timeout throws. */
export function kubeRequest(creds: KubeCredentials, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeResponse> {
  const url = new URL(creds.server + path);
  const http = require(url.protocol === "https:" ? "node:https" : "node:http") as typeof import("node:https");
  const headers: Record<string, string> = { accept: "application/json" };
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) {
    headers["content-type"] = contentType;
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  if (creds.token !== undefined) headers.authorization = `Bearer ${creds.token}`;
  else if (creds.basic !== undefined) headers.authorization = `Basic ${Buffer.from(`${creds.basic.username}:${creds.basic.password}`).toString("base64")}`;
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      headers,
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      rejectUnauthorized: !creds.insecureSkipTlsVerify,
      servername: creds.tlsServerName,
      timeout: REQUEST_TIMEOUT_MS,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${creds.server}${path}: no answer within ${REQUEST_TIMEOUT_MS / 1000}s`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
