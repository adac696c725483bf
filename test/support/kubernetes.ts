/**
 * Access to the Kubernetes control plane that `scripts/dataplane up --kubernetes` starts: its
 * KUBECONFIG and KUBECTL from the data plane's env file, and kubectl calls that return what the
 * API server answered instead of throwing it away.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./dataplane";

export interface KubeEnv {
  readonly KUBECONFIG: string;
  readonly KUBECTL: string;
}

/** Reads `<state>/env`; fails, naming the fix, when the control plane is not up. */
export function loadKubeEnv(stateDir = process.env.COEXIST_DATAPLANE_DIR ?? join(ROOT, ".dataplane")): KubeEnv {
  const path = join(stateDir, "env");
  const fix = "run scripts/dataplane install --kubernetes && scripts/dataplane up --kubernetes (scripts/test does both)";
  if (!existsSync(path)) throw new Error(`${path} not found: the data plane is not up; ${fix}`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^export ([A-Z_]+)='(.*)'$/.exec(line);
    if (m) env[m[1] as string] = m[2] as string;
  }
  if (!env.KUBECONFIG || !env.KUBECTL) throw new Error(`${path} has no KUBECONFIG/KUBECTL: the Kubernetes control plane is not up; ${fix}`);
  return { KUBECONFIG: env.KUBECONFIG, KUBECTL: env.KUBECTL };
}

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl against the cluster; a non-zero exit is a result, not an exception. */
export function kubectl(env: KubeEnv, args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(env.KUBECTL, ["--kubeconfig", env.KUBECONFIG, ...args], { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      if (err && code === -1) reject(err);
      else resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** kubectl that must succeed: its stdout, or an error carrying its stderr. */
export async function kubectlOk(env: KubeEnv, args: readonly string[], input?: string): Promise<string> {
  const r = await kubectl(env, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `kubectl get -o json`, parsed; undefined when the object does not exist. */
export async function getObject<T = KubeObject>(env: KubeEnv, kind: string, name: string, namespace?: string): Promise<T | undefined> {
  const r = await kubectl(env, ["get", kind, name, "-o", "json", ...(namespace ? ["-n", namespace] : [])]);
  if (r.code !== 0) {
    if (/NotFound/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get ${kind} ${name} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** `kubectl get KIND -o json` items (in one namespace, or all with namespace undefined). */
export async function listObjects<T = KubeObject>(env: KubeEnv, kind: string, namespace: string | undefined, selector?: string): Promise<T[]> {
  const out = await kubectlOk(env, ["get", kind, "-o", "json", ...(namespace ? ["-n", namespace] : ["--all-namespaces"]), ...(selector ? ["-l", selector] : [])]);
  return (JSON.parse(out) as { items: T[] }).items;
}

export interface KubeObject {
  metadata: { name: string; namespace?: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string; message?: string }[]; phase?: string };
}

export function condition(o: KubeObject | undefined, type: string): string | undefined {
  return o?.status?.conditions?.find((c) => c.type === type)?.status;
}

/** A namespace name no other run uses: `it-<prefix>-<8 hex>`. */
export function uniqueNamespace(prefix: string): string {
  return `it-${prefix}-${randomBytes(4).toString("hex")}`;
}
