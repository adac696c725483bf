import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { createNetworkPolicies, stackNetworkPolicies } from "./kubernetes/network-policies";
import { StackNamespace } from "./kubernetes/namespace";
import { Operator, Operators } from "./kubernetes/operators";
import type { DockerPlatformConfig, KubernetesPlatformConfig, PlatformConfig } from "./platform-config";
import { DockerTarget, stackLabels, Target } from "./runtime";
import { imageDigestRef } from "./runtime/docker";
import { buildWorkerImage } from "./workers";

/**
 * Where a stack runs, made once: the Docker network, or the Kubernetes namespace with the
 * operators its services need. The Docker-vs-Kubernetes choice of the whole program is here; each
 * backing service's choice is its factory's (postgresFor, kafkaFor, connectFor, readModelFor).
 */
export interface PlatformSite {
  readonly target: Target;
  /** What operator-run services wait for: the operators and their CRDs. */
  readonly crds: pulumi.Resource[];
  /** The workers' image: built on the Docker engine, or the one CI pushed. */
  readonly workerImage: pulumi.Input<string>;
  /** Docker: the workers' metrics ports published on loopback; none on Kubernetes. */
  readonly hostPorts: { readonly metrics?: number; readonly slotMetrics?: number };
  /** Kubernetes: the stack's namespace. @default none (Docker) */
  readonly namespace?: string;
  /** What the target adds once the workloads exist (Kubernetes: the namespace's network policies, given Kong's upstream URLs). */
  readonly seal: (upstreamUrls: readonly (string | undefined)[]) => void;
}

/** The stack's site for its config; `parent` is the platform. */
export function siteFor(name: string, config: PlatformConfig, parent: pulumi.Resource): PlatformSite {
  return config.target === "docker" ? dockerSite(name, config, parent) : kubernetesSite(name, config, parent);
}

/** The operators whose resources the stack declares. */
export function operatorsFor(c: PlatformConfig): Operator[] {
  const ops: Operator[] = [];
  if (c.kafka.mode === "strimzi" || c.connect.mode === "strimzi") ops.push("strimzi");
  if (c.postgres.mode === "cnpg") ops.push("cloudnative-pg");
  if (c.mongodb.mode === "community") ops.push("mongodb-kubernetes");
  return ops;
}

function dockerSite(name: string, config: DockerPlatformConfig, parent: pulumi.Resource): PlatformSite {
  const labels = stackLabels("coexist", config.stack);
  const namePrefix = `coexist-${config.stack}`;
  // Internal: containers reach each other by name; nothing on it is routable from outside the host.
  const network = new docker.Network(`${name}-network`, {
    name: namePrefix,
    driver: "bridge",
    labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
  }, { parent });
  const target: DockerTarget = { kind: "docker", network, namePrefix, labels };
  return {
    target,
    crds: [],
    workerImage: imageDigestRef(buildWorkerImage(`${name}-worker-image`, target, { parent })),
    hostPorts: { metrics: config.workers.metricsPort, slotMetrics: config.workers.slotMetricsPort },
    seal: () => undefined,
  };
}

function kubernetesSite(name: string, config: KubernetesPlatformConfig, parent: pulumi.Resource): PlatformSite {
  const settings = config.kubernetes;
  // Retained with the stateful resources: deleting the namespace would delete every one inside it.
  const target = new StackNamespace(`${name}-k8s`, { settings, labels: stackLabels("coexist", config.stack) }, { parent, retainOnDelete: config.protect }).target;
  const operators = operatorsFor(config);
  const crds = operators.length > 0 ? new Operators(`${name}-operators`, { target, settings, needed: operators }, { parent }).ready : [];
  return {
    target,
    crds,
    workerImage: config.workers.image,
    hostPorts: {},
    namespace: settings.namespace,
    seal: (upstreamUrls) => {
      createNetworkPolicies(`${name}-policy`, stackNetworkPolicies(config, operators, upstreamUrls), target, { parent });
    },
  };
}
