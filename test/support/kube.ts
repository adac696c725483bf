/** kubectl against the data plane's API server (KUBECONFIG and KUBECTL from .dataplane/env). */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { DataplaneEnv } from "../../scripts/stack.d/local";

export async function kubectl(env: DataplaneEnv & { KUBECTL?: string }, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(env.KUBECTL ?? "kubectl", args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? String(e) };
  }
}

/** Every namespaced object of a namespace (all listable kinds), as "kind/name". */
export async function objectsIn(env: DataplaneEnv, namespace: string): Promise<string[]> {
  const kinds = await kubectl(env, ["api-resources", "--namespaced=true", "--verbs=list", "-o", "name"]);
  if (kinds.code !== 0) throw new Error(`kubectl api-resources: ${kinds.stderr}`);
  const list = kinds.stdout.split("\n").filter((k) => k && !k.startsWith("events"));
  const got = await kubectl(env, ["get", list.join(","), "-n", namespace, "-o", "name", "--ignore-not-found"]);
  if (got.code !== 0) throw new Error(`kubectl get in ${namespace}: ${got.stderr}`);
  return got.stdout.split("\n").filter((l) => l && !l.startsWith("configmap/kube-root-ca.crt") && !l.startsWith("serviceaccount/default"));
}

export async function namespaceExists(env: DataplaneEnv, namespace: string): Promise<boolean> {
  const r = await kubectl(env, ["get", "namespace", namespace, "-o", "name", "--ignore-not-found"]);
  return r.stdout.trim() !== "";
}
