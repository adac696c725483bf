import * as pulumi from "@pulumi/pulumi";
import { PlatformArgs } from "../components/platform";
import { renderKongConfig, RenderedKong } from "../components/kong/render";
import { ConfigError, parseConfig, requiredSecrets, SecretKey } from "./config";

type StringSecret = Exclude<SecretKey, "kongCredentials">;

/**
 * Reads `coexist:*` from the Pulumi runtime once, validates it, and returns the Platform's args.
 * This is the only place that touches Pulumi config; components receive typed objects.
 */
export function loadPlatformArgs(): PlatformArgs {
  const raw = pulumi.runtime.allConfig();
  const secretKeys = Object.keys(raw).filter(isConfigSecret);
  const config = parseConfig(raw, pulumi.getStack(), secretKeys);
  const cfg = new pulumi.Config("coexist");
  // Only the secrets this configuration uses are required; each missing one is named before any resource.
  const needed = requiredSecrets(config);
  const missing = needed.filter((key) => raw[`coexist:${key}`] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((key) => key === "mongodbUrl"
      ? `coexist:mongodbUrl: missing, and coexist:mongodb.external needs it; fix: pulumi config set --secret coexist:mongodbUrl 'mongodb://user:password@host:27017/?replicaSet=rs0'`
      : `coexist:${key}: missing; fix: pulumi config set --secret coexist:${key} "$(openssl rand -base64 24)" (scripts/stack does this for dev, pr-<n> and local stacks)`));
  }
  const secret = (key: StringSecret): pulumi.Output<string> | undefined => (needed.includes(key) ? cfg.requireSecret(key) : undefined);
  // Rendered once, here: the gateway gets this rendering, and its credential names are checked now.
  const kongConfig = renderKongConfig(pulumi.getStack());
  checkKongCredentials(kongConfig, raw["coexist:kongCredentials"]);
  const kongCredentials = raw["coexist:kongCredentials"] === undefined ? pulumi.secret(pulumi.output({} as Record<string, string>)) : cfg.requireSecretObject<Record<string, string>>("kongCredentials");
  return {
    ...config,
    kongConfig,
    secrets: {
      postgresPassword: secret("postgresPassword"),
      debeziumPassword: secret("debeziumPassword"),
      reconcilerPassword: secret("reconcilerPassword"),
      mongodbPassword: secret("mongodbPassword"),
      mongodbUrl: secret("mongodbUrl"),
      connectPassword: secret("connectPassword"),
      kongCredentials,
    },
  };
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

/**
 * The gateway file references credentials (`${{ env "DECK_..." }}`) that come from the secret
 * `coexist:kongCredentials` ({"DECK_...": value}). Checked here, by name only, so a missing one
 * fails before any resource is registered; values are never printed.
 */
function checkKongCredentials(kong: RenderedKong, raw: string | undefined): void {
  const { stack, secretVariables: needed } = kong;
  let given: Record<string, unknown> = {};
  if (raw !== undefined) {
    try {
      given = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      throw new ConfigError(["coexist:kongCredentials: expected a JSON object of DECK_* names to values; fix: pulumi config set --secret coexist:kongCredentials '{\"DECK_...\": \"...\"}'"]);
    }
  }
  const missing = needed.filter((name) => typeof given[name] !== "string" || given[name] === "");
  if (missing.length > 0) {
    throw new ConfigError([
      `coexist:kongCredentials: the ${stack} gateway config needs ${missing.join(", ")}, not set; fix: scripts/stack generates them for dev and pr-<n> (for local: node --import tsx stacks/kong-credentials.ts local); elsewhere set them from the secret store with pulumi config set --secret coexist:kongCredentials '{"NAME": "value", ...}'`,
    ]);
  }
}
