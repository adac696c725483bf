import * as pulumi from "@pulumi/pulumi";
import { PlatformArgs } from "../components/platform";
import { parseConfig, SECRET_KEYS, SecretKey } from "./config";

/**
 * Reads `coexist:*` from the Pulumi runtime once, validates it, and returns the Platform's args.
 * This is the only place that touches Pulumi config; components receive typed objects.
 */
export function loadPlatformArgs(): PlatformArgs {
  const raw = pulumi.runtime.allConfig();
  const secretKeys = Object.keys(raw).filter(isConfigSecret);
  const config = parseConfig(raw, pulumi.getStack(), secretKeys);
  const cfg = new pulumi.Config("coexist");
  const secret = (key: SecretKey): pulumi.Output<string> => {
    if (raw[`coexist:${key}`] === undefined) {
      throw new Error(`coexist:${key}: missing; fix: pulumi config set --secret coexist:${key} "$(openssl rand -base64 24)" (scripts/stack does this for dev and pr-<n> stacks)`);
    }
    return cfg.requireSecret(key);
  };
  const [postgresPassword, debeziumPassword, mongodbPassword] = SECRET_KEYS.map(secret);
  return { ...config, secrets: { postgresPassword, debeziumPassword, mongodbPassword } };
}

/**
 * Whether the engine passed a key as a secret. The SDK keeps that list in its runtime store
 * (PULUMI_CONFIG_SECRET_KEYS); `isConfigSecret` reads it but is not in the SDK's typings.
 */
function isConfigSecret(key: string): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret?: (k: string) => boolean };
  if (typeof runtimeConfig.isConfigSecret !== "function") {
    throw new Error("this @pulumi/pulumi no longer exposes runtime/config.isConfigSecret; update stacks/load.ts");
  }
  return runtimeConfig.isConfigSecret(key);
}
