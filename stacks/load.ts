import * as pulumi from "@pulumi/pulumi";
import { PlatformArgs } from "../components/platform";
import { parseConfig, SECRET_KEYS, SecretKey } from "./config";

/**
 * Reads `coexist:*` from the Pulumi runtime once, validates it, and returns the Platform's args.
 * This is the only place that touches Pulumi config; components receive typed objects.
 */
export function loadPlatformArgs(): PlatformArgs {
  const raw = pulumi.runtime.allConfig();
  // The engine passes the names of secret keys alongside the values; the SDK reads the same variable.
  const secretKeys = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? "[]") as string[];
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
