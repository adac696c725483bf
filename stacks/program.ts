import { Platform } from "../components/platform";
import { loadPlatformArgs } from "./load";

/** The stack's outputs: the same for `pulumi up` from Pulumi.yaml and for the Automation API's inline program. */
export interface ProgramOutputs {
  readonly kongProxyUrl?: unknown;
  /** Docker: the Connect REST API, and superuser connection strings (secrets) on loopback. */
  readonly connectUrl?: unknown;
  readonly postgresUrl?: unknown;
  readonly mongodbUrl?: unknown;
  /** The config the sync worker and the reconciler run with; no secret in it. */
  readonly workerConfig?: unknown;
  /** Kubernetes: the stack's namespace. */
  readonly namespace?: unknown;
}

/** The program: config is parsed and validated before the first resource is registered. */
export function main(): ProgramOutputs {
  const args = loadPlatformArgs();
  const platform = new Platform("coexist", args);
  const outputs: ProgramOutputs = {
    kongProxyUrl: platform.kongProxyUrl,
    connectUrl: platform.connectUrl,
    postgresUrl: platform.postgresUrl,
    mongodbUrl: platform.mongodbUrl,
    workerConfig: platform.workerConfig,
    namespace: platform.namespace,
  };
  // Only what this target has: an undefined output would show as a warning in every run.
  return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined)) as ProgramOutputs;
}
