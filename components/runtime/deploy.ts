import * as pulumi from "@pulumi/pulumi";
import { runOnDocker } from "./docker";
import { runOnKubernetes } from "./kubernetes";
import { ServiceSpec } from "./service";
import { Target } from "./target";

/** What dependants of a deployed service wait on and reach it by. */
export interface DeployedService {
  /** The resources that must be ready before anything talks to the service. */
  readonly ready: pulumi.Resource[];
  /** Labels selecting its pods (Kubernetes), for NetworkPolicies. */
  readonly selector?: Record<string, string>;
}

/** Realises a neutral service description on the stack's target. */
export function deploy(name: string, spec: ServiceSpec, target: Target, opts: pulumi.CustomResourceOptions): DeployedService {
  switch (target.kind) {
    case "docker": {
      const svc = runOnDocker(name, spec, target, opts);
      return { ready: [svc.container] };
    }
    case "kubernetes": {
      const svc = runOnKubernetes(name, spec, target, opts);
      return { ready: [svc.workload, ...(svc.service ? [svc.service] : [])], selector: svc.selector };
    }
  }
}
