import * as docker from "@pulumi/docker";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Local Docker (dev, pr-<n>): every service is a container on one private network. */
export interface DockerTarget {
  readonly kind: "docker";
  readonly network: docker.Network;
  readonly provider?: docker.Provider;
  /** Prefix of container and volume names, unique per stack so two stacks can share one engine. */
  readonly namePrefix: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Kubernetes (staging, prod). Realised by the Kubernetes target; see components/runtime/index.ts. */
export interface KubernetesTarget {
  readonly kind: "kubernetes";
  readonly namespace: pulumi.Input<string>;
  readonly provider?: k8s.Provider;
  readonly labels: Readonly<Record<string, string>>;
}

export type Target = DockerTarget | KubernetesTarget;

/** Labels every resource carries, so `docker ps --filter label=...` finds a stack's containers. */
export function stackLabels(project: string, stack: string): Record<string, string> {
  return { "app.kubernetes.io/part-of": project, "coexist.dev/stack": stack, "app.kubernetes.io/managed-by": "pulumi" };
}
