import * as pulumi from "@pulumi/pulumi";
import { runOnDocker } from "./docker";
import { ServiceSpec } from "./service";
import { Target } from "./target";

/** What dependants of a deployed service wait on and reach it by. */
export interface DeployedService {
  /** The resources that must be ready before anything talks to the service. */
  readonly ready: pulumi.Resource[];
}

/** Realises a neutral service description on the stack's target. */
export function deploy(name: string, spec: ServiceSpec, target: Target, opts: pulumi.CustomResourceOptions): DeployedService {
  switch (target.kind) {
    case "docker": {
      const svc = runOnDocker(name, spec, target, opts);
      return { ready: [svc.container] };
    }
    case "kubernetes":
      // The Kubernetes realisation (Strimzi for Kafka/Connect, Kong's Helm chart, Atlas in prod) is
      // its own piece of work; refusing here keeps a staging/prod `pulumi up` from half-deploying.
      throw new Error(
        `${name}: the kubernetes target is not implemented yet; staging and prod configs validate, ` +
          `but only the docker target (dev, pr-<n>) can be deployed today`,
      );
  }
}
