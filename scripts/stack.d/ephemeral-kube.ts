/**
 * Just enough of the Kubernetes API to check what an ephemeral stack left behind: GET with the
 * kubeconfig's credentials (embedded or file certificates, or a bearer token), resource discovery,
 * and listing every listable kind by label. No client library: this is read-only and small.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { parse } from "yaml";

interface KubeConfigFile {
  readonly clusters?: { name: string; cluster: Record<string, string> }[];
  readonly users?: { name: string; user: Record<string, string> }[];
  readonly contexts?: { name: string; context: { cluster: string; user: string } }[];
  readonly "current-context"?: string;
}

export interface KubeClient {
  get(apiPath: string): Promise<{ status: number; body: unknown }>;
}

function material(entry: Record<string, string>, dataKey: string, fileKey: string, base: string): Buffer | undefined {
  if (entry[dataKey]) return Buffer.from(entry[dataKey] as string, "base64");
  if (entry[fileKey]) return fs.readFileSync(path.resolve(base, entry[fileKey] as string));
  return undefined;
}

/** A client for the kubeconfig's current (or named) context. */
export function kubeClient(kubeconfig: string, contextName?: string): KubeClient {
  const file = parse(fs.readFileSync(kubeconfig, "utf8")) as KubeConfigFile;
  const name = contextName ?? file["current-context"];
  const context = file.contexts?.find((c) => c.name === name)?.context;
  if (!context) throw new Error(`${kubeconfig}: no context "${name}"; fix: point KUBECONFIG at the cluster's kubeconfig or set coexist:kubernetes.context`);
  const cluster = file.clusters?.find((c) => c.name === context.cluster)?.cluster;
  const user = file.users?.find((u) => u.name === context.user)?.user ?? {};
  if (!cluster?.server) throw new Error(`${kubeconfig}: context "${name}" names no cluster server`);
  const base = path.dirname(kubeconfig);
  const agent = new https.Agent({
    ca: material(cluster, "certificate-authority-data", "certificate-authority", base),
    cert: material(user, "client-certificate-data", "client-certificate", base),
    key: material(user, "client-key-data", "client-key", base),
    rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== "true",
  });
  const token = user.token;
  return {
    get: (apiPath) =>
      new Promise((resolve, reject) => {
        const req = https.request(new URL(apiPath, cluster.server), { agent, method: "GET", headers: { accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, timeout: 15_000 }, (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => {
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON: kept as text for the error message
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: no answer from ${cluster.server} within 15 s`)));
        req.on("error", reject);
        req.end();
      }),
  };
}

interface ApiResource {
  readonly name: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: string[];
}

/** Every kind the server can list, with the path to list it across namespaces. */
async function listableKinds(kube: KubeClient): Promise<{ kind: string; path: string }[]> {
  const out: { kind: string; path: string }[] = [];
  const add = (prefix: string, resources: ApiResource[]) => {
    for (const r of resources) {
      if (r.name.includes("/") || !r.verbs.includes("list")) continue;
      out.push({ kind: r.kind, path: `${prefix}/${r.name}` });
    }
  };
  const core = await kube.get("/api/v1");
  add("/api/v1", (core.body as { resources: ApiResource[] }).resources ?? []);
  const groups = await kube.get("/apis");
  for (const g of (groups.body as { groups?: { preferredVersion: { groupVersion: string } }[] }).groups ?? []) {
    const gv = g.preferredVersion.groupVersion;
    const res = await kube.get(`/apis/${gv}`);
    if (res.status === 200) add(`/apis/${gv}`, (res.body as { resources: ApiResource[] }).resources ?? []);
  }
  return out;
}

/** `Kind namespace/name` of every object carrying the label, in any namespace or cluster-wide. */
export async function objectsLabelled(kube: KubeClient, label: string, value: string): Promise<string[]> {
  const found: string[] = [];
  const selector = encodeURIComponent(`${label}=${value}`);
  for (const k of await listableKinds(kube)) {
    // Events copy no labels, and their objects are listed themselves.
    if (k.kind === "Event") continue;
    const res = await kube.get(`${k.path}?labelSelector=${selector}`);
    if (res.status !== 200) continue;
    for (const item of (res.body as { items?: { metadata: { name: string; namespace?: string } }[] }).items ?? []) {
      found.push(`${k.kind} ${item.metadata.namespace ? `${item.metadata.namespace}/` : ""}${item.metadata.name}`);
    }
  }
  return [...new Set(found)].sort();
}

/** The namespace's phase, or undefined when it is gone. */
export async function namespacePhase(kube: KubeClient, namespace: string): Promise<string | undefined> {
  const res = await kube.get(`/api/v1/namespaces/${encodeURIComponent(namespace)}`);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET namespace ${namespace}: HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  return (res.body as { status?: { phase?: string } }).status?.phase ?? "Active";
}
