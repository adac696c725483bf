/**
 * Small programs that break one policy each, built from the repository's own components where a
 * developer could make the mistake through them, and from raw provider resources where the
 * components refuse it (the policy must still catch what anyone might write).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import type { DockerTarget, KubernetesTarget } from "../components/runtime";

export const LABELS = { "app.kubernetes.io/part-of": "coexist", "coexist.dev/stack": "policy-test" };

export function kubeTarget(publicServiceType: KubernetesTarget["publicServiceType"] = "LoadBalancer"): KubernetesTarget {
  const provider = new k8s.Provider("k8s", {});
  return { kind: "kubernetes", namespace: pulumi.output("coexist-test"), namespaceName: "coexist-test", provider, labels: LABELS, publicServiceType, awaitOperators: false, checksumKey: "policy-test-key" };
}

export function dockerTarget(): DockerTarget {
  return { kind: "docker", network: new docker.Network("net", { name: "coexist-test" }), namePrefix: "coexist-test", labels: LABELS };
}

/** A raw CloudNativePG Cluster with the given spec (the component always renders a safe one). */
export function cnpgCluster(spec: Record<string, unknown>): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource("cluster", { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", metadata: { name: "postgres", namespace: "coexist-test" }, spec });
}

export function pgRole(name: string, superuser: boolean): postgresql.Role {
  return new postgresql.Role(`role-${name}`, { name, login: true, replication: true, superuser });
}

/**
 * A copy of kong/ with base.yaml and one overlay edited, for rendering a gateway config that the
 * render-time lint would refuse (rendered with `lint: false`, as a careless change might).
 */
export function editedKongDir(edit: { base?: (b: Record<string, unknown>) => void; overlay?: { name: string; edit: (o: Record<string, unknown>) => void } }): string {
  const src = path.join(__dirname, "..", "kong");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-kong-"));
  fs.cpSync(src, dir, { recursive: true });
  if (edit.base) {
    const file = path.join(dir, "base.yaml");
    // Aliases are resolved by parse; the edited copy is written without them.
    const base = parse(fs.readFileSync(file, "utf8"), { merge: true }) as Record<string, unknown>;
    edit.base(base);
    for (const k of Object.keys(base)) if (k.startsWith("x-")) delete base[k];
    fs.writeFileSync(file, stringify(base));
  }
  if (edit.overlay) {
    const file = path.join(dir, "overlays", `${edit.overlay.name}.yaml`);
    const overlay = parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    edit.overlay.edit(overlay);
    fs.writeFileSync(file, stringify(overlay));
  }
  return dir;
}
