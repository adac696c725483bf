import { Platform } from "../components/platform";
import { loadPlatformArgs } from "./load";

export interface ProgramOutputs {
  readonly kongProxyUrl: unknown;
  readonly connectUrl: unknown;
  readonly postgresUrl: unknown;
  readonly mongodbUrl: unknown;
}

/** The program: config is parsed and validated before the first resource is registered. */
export function main(): ProgramOutputs {
  const args = loadPlatformArgs();
  const platform = new Platform("coexist", args);
  return {
    kongProxyUrl: platform.kongProxyUrl,
    connectUrl: platform.connectUrl,
    postgresUrl: platform.postgresUrl,
    mongodbUrl: platform.mongodbUrl,
  };
}
