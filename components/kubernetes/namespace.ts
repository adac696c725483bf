import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesSettings } from "../platform-config";
import { GeneratedSecret, KubernetesTarget } from "../runtime";

export interface StackNamespaceArgs {
  readonly settings: KubernetesSettings;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The stack's namespace on its cluster: the Kubernetes provider (the kubeconfig context the stack
 * names, else $KUBECONFIG's current one), the Namespace with a Pod Security Standard enforced by
 * the API server, and default-deny ingress and egress policies that the services' own policies open up.
 * Destroying the stack deletes the namespace last, and with it anything left inside.
 */
export class StackNamespace extends pulumi.ComponentResource {
  readonly target: KubernetesTarget;

  constructor(name: string, args: StackNamespaceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kubernetes:StackNamespace", name, {}, opts);
    const s = args.settings;
    const provider = new k8s.Provider(`${name}-provider`, {
      context: s.context,
      enableServerSideApply: true,
    }, { parent: this });
    const ns = new k8s.core.v1.Namespace(`${name}-namespace`, {
      metadata: { name: s.namespace, labels: { ...args.labels, ...podSecurityLabels(s.podSecurity) } },
    }, { parent: this, provider, protect: opts.retainOnDelete, retainOnDelete: opts.retainOnDelete });
    const target: KubernetesTarget = {
      kind: "kubernetes",
      namespace: ns.metadata.name,
      namespaceName: s.namespace,
      provider,
      kubeContext: s.context,
      labels: args.labels,
      publicServiceType: s.publicServiceType,
      storageClass: s.storageClass,
      awaitOperators: s.awaitOperators,
      // Generated once per stack, kept encrypted in its state: the key of the pods' config checksums.
      checksumKey: new GeneratedSecret(`${name}-checksum-key`, { bytes: 32 }, { parent: this }).value,
    };
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
      metadata: { name: "default-deny-ingress", namespace: target.namespace, labels: args.labels },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    }, { parent: this, provider });
    // Egress too: a pod reaches only what network-rules.ts lists (DNS included), nothing else in or out of the cluster.
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny-egress`, {
      metadata: { name: "default-deny-egress", namespace: target.namespace, labels: args.labels },
      spec: { podSelector: {}, policyTypes: ["Egress"] },
    }, { parent: this, provider });
    this.target = target;
    this.registerOutputs({ namespace: ns.metadata.name });
  }
}

/**
 * Pod Security admission labels: the chosen standard is enforced; `restricted` is always warned
 * and audited, so anything weaker shows up in `kubectl apply` warnings and the audit log.
 */
export function podSecurityLabels(level: "restricted" | "baseline"): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": level,
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
  };
}
