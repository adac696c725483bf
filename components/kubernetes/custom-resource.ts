import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesTarget } from "../runtime";

/** A custom resource of an operator's API, as a plain object the CRD's schema validates. */
export interface CustomObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: k8s.types.input.meta.v1.ObjectMeta;
  readonly spec: Record<string, unknown>;
}

export function customResource(name: string, obj: CustomObject, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(name, { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec }, opts);
}

/**
 * How `up` waits for what an operator brings up: until its Ready condition is True, so `up`
 * finishes only when Kafka, Connect, the connector and the databases serve. Where operators
 * cannot run (the local test cluster) nothing would ever become Ready: there it does not wait.
 */
export function awaitAnnotations(target: Pick<KubernetesTarget, "awaitOperators">): Record<string, string> {
  return target.awaitOperators ? { "pulumi.com/waitFor": "condition=Ready" } : { "pulumi.com/skipAwait": "true" };
}
