import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { outsideTheStack, type PlatformConfig } from "../platform-config";
import { KubernetesTarget } from "../runtime";
import { inClusterUpstreams, NetworkInputs, networkEdges, RenderedPolicy, renderPolicies, WORKLOADS } from "./network-rules";
import type { Operator } from "./operators";

/**
 * The stack namespace's NetworkPolicies, rendered from the one list of who-may-reach-what in
 * network-rules.ts. The namespace denies ingress and egress by default (StackNamespace); each
 * workload gets one policy for what may reach it and one for what it may reach.
 */
export function createNetworkPolicies(name: string, policies: readonly RenderedPolicy[], target: KubernetesTarget, opts: pulumi.CustomResourceOptions): k8s.networking.v1.NetworkPolicy[] {
  const seen = new Set<string>();
  return policies.map((p) => {
    if (seen.has(p.name)) throw new Error(`network policy ${p.name} is rendered twice`);
    seen.add(p.name);
    return new k8s.networking.v1.NetworkPolicy(`${name}-${p.name}`, {
      metadata: { name: p.name, namespace: target.namespace, labels: target.labels },
      spec: p.spec as k8s.types.input.networking.v1.NetworkPolicySpec,
    }, { ...opts, provider: target.provider });
  });
}

/** What the network rules need from the stack's config. */
export function networkInputs(c: PlatformConfig, operators: readonly Operator[], upstreamUrls: readonly (string | undefined)[] = []): NetworkInputs {
  const k = c.kubernetes;
  if (!k) throw new Error("network policies: only the kubernetes target has them");
  return {
    namespace: k.namespace,
    postgresInCluster: !outsideTheStack(c.postgres),
    mongodbInCluster: !outsideTheStack(c.mongodb),
    kafkaInCluster: !outsideTheStack(c.kafka),
    operatorsInstalled: k.operators === "install",
    operators,
    operatorNamespace: k.operatorNamespace,
    monitoringNamespace: k.monitoringNamespace,
    metricsPort: c.workers.metricsPort,
    slotMetricsPort: c.workers.slotMetricsPort,
    egressCidrs: k.egressCidrs ?? {},
    gatewayUpstreams: inClusterUpstreams(upstreamUrls),
  };
}

/** The stack's policies for a config. */
export function stackNetworkPolicies(c: PlatformConfig, operators: readonly Operator[], upstreamUrls: readonly (string | undefined)[]): RenderedPolicy[] {
  return renderPolicies(networkEdges(networkInputs(c, operators, upstreamUrls)));
}

/** Pod labels of the services, in one place. */
export const PODS = WORKLOADS;
