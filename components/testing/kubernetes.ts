import { MockRun, Recorded } from "./mocks";

/** Helpers for mock tests of Kubernetes programs: custom resources and pod templates as registered. */

export const CUSTOM = "kubernetes:apiextensions.k8s.io:CustomResource";

type Obj = Record<string, unknown>;

/** The custom resources of one kind (the mock sees apiVersion/kind as inputs). */
export function customResources(run: MockRun, kind: string): Recorded[] {
  return run.resources.filter((r) => r.inputs.kind === kind && typeof r.inputs.apiVersion === "string" && !r.type.startsWith("kubernetes:core"));
}

export function oneCustom(run: MockRun, kind: string): Recorded {
  const found = customResources(run, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  return found[0] as Recorded;
}

export const WORKLOADS = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:batch/v1:Job"];

/** Every pod template the program declares, with the workload it belongs to. */
export function podTemplates(run: MockRun): { owner: Recorded; template: Obj }[] {
  return run.resources
    .filter((r) => WORKLOADS.includes(r.type))
    .map((owner) => {
      const spec = owner.inputs.spec as Obj;
      return { owner, template: spec.template as Obj };
    });
}

export function get(o: unknown, ...path: string[]): unknown {
  let cur: unknown = o;
  for (const p of path) cur = cur && typeof cur === "object" ? (cur as Obj)[p] : undefined;
  return cur;
}
