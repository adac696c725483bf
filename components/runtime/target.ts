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

/** Kubernetes (local, staging, prod): every service is a workload in the stack's namespace. */
export interface KubernetesTarget {
  readonly kind: "kubernetes";
  /** The stack's namespace, as an output of the Namespace resource so every object depends on it. */
  readonly namespace: pulumi.Output<string>;
  /** The same name as a plain string, for values that must be known at preview (config-provider references). */
  readonly namespaceName: string;
  readonly provider: k8s.Provider;
  /** The kubeconfig context `provider` uses (unset: $KUBECONFIG's current one), for dynamic resources that call the API server. */
  readonly kubeContext?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Service type of ports with exposure "public" (e.g. Kong's proxy). */
  readonly publicServiceType: "ClusterIP" | "NodePort" | "LoadBalancer";
  /** StorageClass of persistent volumes; unset: the cluster's default. */
  readonly storageClass?: string;
  /**
   * Wait for what operators bring up (Kafka, Connect, connectors, database clusters) to report
   * Ready before `up` finishes. Off only where the operators cannot run (the test cluster).
   */
  readonly awaitOperators: boolean;
  /**
   * The stack's key for the pods' config checksums (a GeneratedSecret): an HMAC under it shows that
   * a config changed without exposing a digest of the secrets in it.
   */
  readonly checksumKey: pulumi.Input<string>;
}

export type Target = DockerTarget | KubernetesTarget;

/** Labels every resource carries, so `docker ps --filter label=...` finds a stack's containers. */
export function stackLabels(project: string, stack: string): Record<string, string> {
  return { "app.kubernetes.io/part-of": project, "coexist.dev/stack": stack, "app.kubernetes.io/managed-by": "pulumi" };
}

/** The target a Docker-only realisation was given, checked: a config that pairs it with Kubernetes is a bug upstream. */
export function dockerTargetFor(target: Target, who: string): DockerTarget {
  if (target.kind !== "docker") throw new Error(`${who}: a container realisation needs the docker target, got ${target.kind}; fix: a kubernetes stack runs this service through its operator or as external`);
  return target;
}

/** The target an operator realisation was given, checked. */
export function kubernetesTargetFor(target: Target, who: string): KubernetesTarget {
  if (target.kind !== "kubernetes") throw new Error(`${who}: an operator realisation needs the kubernetes target, got ${target.kind}; fix: a docker stack runs every service as a container`);
  return target;
}
